"""Partnerships between client organisations and their consultants and auditors."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class User(Base):
        class Meta:
            table_name = "users"

    class Partnership(Base):
        client = pw.ForeignKeyField(Organisation)
        partner = pw.ForeignKeyField(Organisation)
        kind = pw.CharField(max_length=16)
        created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()
        ended_at = pw.DateTimeField(null=True)
        ended_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            table_name = "partnership"
            indexes = ((("client", "partner", "kind"), False),)

    db.create_tables([Partnership])
