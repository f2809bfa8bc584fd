"""A confirmation of an organisation's users, and what was sent for each due date (once each)."""

import peewee as pw

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow


class UserConfirmation(BaseModel):
    """The organisation's admin confirmed its list of active users (``confirmed_by`` empty: the count began
    at the upgrade that brought the feature, or an Exchange admin's decision)."""

    organisation = pw.ForeignKeyField(Organisation, backref="user_confirmations", on_delete="CASCADE")
    confirmed_by = pw.ForeignKeyField(User, null=True)
    confirmed_at = pw.DateTimeField(default=utcnow)
    kept = pw.IntegerField(default=0)
    deactivated = pw.IntegerField(default=0)
    restored = pw.IntegerField(default=0)

    class Meta:
        table_name = "user_confirmation"
        indexes = ((("organisation", "confirmed_at"), False),)


class UserConfirmationEvent(BaseModel):
    """A reminder ("remind-30", "remind-7", "remind-1") or the suspension ("suspend") done for one due
    date of one organisation: the unique key makes each happen once, however many workers run the job."""

    organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
    due_on = pw.DateField()
    kind = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "user_confirmation_event"
        indexes = ((("organisation", "due_on", "kind"), True),)
