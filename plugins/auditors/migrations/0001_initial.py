"""The list of recognised audit organisations and the reminders sent about their yearly confirmation."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):  # a core table: only its name matters here
        class Meta:
            table_name = "organisation"

    class RecognisedAuditor(Base):
        organisation = pw.ForeignKeyField(Organisation, unique=True, on_delete="CASCADE")
        status = pw.CharField(max_length=16, default="recognised", index=True)
        recognised_on = pw.DateField(null=True)
        confirmed_until = pw.DateField(null=True)
        excluded_on = pw.DateField(null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "auditors_recognised"

    class AuditorReminder(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        deadline = pw.DateField()
        key = pw.CharField(max_length=16)
        sent_at = pw.DateTimeField()

        class Meta:
            table_name = "auditors_reminder"
            indexes = ((("organisation", "deadline", "key"), True),)

    db.create_tables([RecognisedAuditor, AuditorReminder])
