"""The yearly confirmation of each organisation's users: confirmations, the reminders and suspensions sent
for each due date (once each), and a user's suspension.

Existing client organisations start their count at this upgrade (a confirmation row with nobody as the
confirming admin): an organisation created years ago is not overdue, and its users are not suspended, on the
day the feature arrives."""

import datetime

import peewee as pw
from playhouse.migrate import migrate


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

    class UserConfirmation(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        confirmed_by = pw.ForeignKeyField(User, null=True)
        confirmed_at = pw.DateTimeField()
        kept = pw.IntegerField(default=0)
        deactivated = pw.IntegerField(default=0)
        restored = pw.IntegerField(default=0)

        class Meta:
            table_name = "user_confirmation"
            indexes = ((("organisation", "confirmed_at"), False),)

    class UserConfirmationEvent(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        due_on = pw.DateField()
        kind = pw.CharField(max_length=16)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "user_confirmation_event"
            indexes = ((("organisation", "due_on", "kind"), True),)

    db.create_tables([UserConfirmation, UserConfirmationEvent])
    migrate(migrator.add_column("users", "suspended_at", pw.DateTimeField(null=True)))
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    clients = (
        "select id from organisation where id not in "
        "(select organisation_id from organisation_role where role = 'exchange')"
    )
    rows = [(row[0], now) for row in db.execute_sql(clients)]
    if rows:
        fields = [UserConfirmation.organisation, UserConfirmation.confirmed_at]
        UserConfirmation.insert_many(rows, fields=fields).execute()
