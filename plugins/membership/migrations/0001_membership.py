"""Exchange membership by category: one row per organisation and category, open while it lasts."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):  # a core table: only its name matters here
        class Meta:
            table_name = "organisation"

    class Application(Base):  # a core table
        class Meta:
            table_name = "application"

    class Membership(Base):
        organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
        category = pw.CharField(max_length=16)
        since = pw.DateField()
        until = pw.DateField(null=True)
        granted_by = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")
        ended_by = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            table_name = "membership"
            indexes = ((("organisation", "category"), False),)

    db.create_tables([Membership])
