"""Admission initiators' disclosure obligations and the reminders sent about them."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):  # core tables: only their names matter here
        class Meta:
            table_name = "organisation"

    class Application(Base):
        class Meta:
            table_name = "application"

    class Obligation(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        kind = pw.CharField(max_length=32)
        period = pw.CharField(max_length=32)
        due_on = pw.DateField(index=True)
        status = pw.CharField(max_length=16, default="open", index=True)
        application = pw.ForeignKeyField(Application, null=True, on_delete="SET NULL")
        event_on = pw.DateField(null=True)
        description = pw.TextField(default="")
        submitted_on = pw.DateField(null=True)
        accepted_on = pw.DateField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "disclosure_obligation"
            indexes = ((("organisation", "kind", "period"), True),)

    class DisclosureReminder(Base):
        obligation = pw.ForeignKeyField(Obligation, on_delete="CASCADE")
        key = pw.CharField(max_length=16)
        sent_at = pw.DateTimeField()

        class Meta:
            table_name = "disclosure_reminder"
            indexes = ((("obligation", "key"), True),)

    db.create_tables([Obligation, DisclosureReminder])
