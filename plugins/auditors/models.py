"""The list of audit organisations recognised by the Exchange, and the reminders sent about the yearly
confirmation."""

import datetime

import peewee as pw
from flask_babel import lazy_gettext as _l

from core import BaseModel, Organisation, add_working_days, utcnow

# Each recognised organisation confirms every year that it still meets the Exchange's requirements,
# by this day (month, day). A deadline on a day off moves to the next working day.
CONFIRM_BY = (6, 1)
# Reminders go this many working days before the deadline, and once the day after it is missed.
REMINDER_DAYS = (20, 10, 3)
OVERDUE = "overdue"
# A missed confirmation suspends recognition until a confirmation is accepted: issuers must not
# choose an auditor whose compliance nobody has confirmed.
SUSPEND_WHEN_OVERDUE = True

STATUSES = {
    "recognised": _l("Признается Биржей"),
    "suspended": _l("Признание приостановлено"),
    "excluded": _l("Исключена из перечня"),
}


def confirmation_due(year: int) -> datetime.date:
    return datetime.date(year, *CONFIRM_BY)


class RecognisedAuditor(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, unique=True, backref="+", on_delete="CASCADE")
    status = pw.CharField(max_length=16, default="recognised", index=True)
    recognised_on = pw.DateField(null=True)
    confirmed_until = pw.DateField(null=True)
    excluded_on = pw.DateField(null=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "auditors_recognised"

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def in_list(self) -> bool:
        return self.status in ("recognised", "suspended")

    @property
    def deadline(self) -> datetime.date | None:
        """The day the next confirmation is due, moved off weekends and holidays."""
        return add_working_days(self.confirmed_until, 0) if self.confirmed_until else None

    @classmethod
    def of(cls, organisation):
        return cls.get_or_none(cls.organisation == organisation)

    @classmethod
    def listed(cls):
        """Every organisation ever included, with its organisation, by name."""
        return (
            cls.select(cls, Organisation)
            .join(Organisation, on=(cls.organisation == Organisation.id))
            .order_by(cls.status == "excluded", Organisation.name_ru)
        )

    @classmethod
    def recognised_ids(cls):
        """A subquery of the organisations issuers may choose as their auditor now."""
        return cls.select(cls.organisation).where(cls.status == "recognised")

    def include(self, on: datetime.date) -> None:
        """Included by a positive decision: recognised, and the next confirmation due next year."""
        self.status = "recognised"
        self.recognised_on = on
        self.excluded_on = None
        self.confirmed_until = confirmation_due(on.year + 1)
        self.updated_at = utcnow()
        self.save()

    def confirm(self, on: datetime.date) -> None:
        """A confirmation accepted: recognised again, the next one due a year after the one just met."""
        current = self.confirmed_until.year if self.confirmed_until else on.year
        self.status = "recognised"
        self.confirmed_until = confirmation_due(max(current, on.year) + 1)
        self.updated_at = utcnow()
        self.save()

    def exclude(self, on: datetime.date) -> None:
        self.status = "excluded"
        self.excluded_on = on
        self.updated_at = utcnow()
        self.save()


class AuditorReminder(BaseModel):
    """One reminder sent to one organisation about one deadline: the row is what makes it once only."""

    organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
    deadline = pw.DateField()
    key = pw.CharField(max_length=16)
    sent_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "auditors_reminder"
        indexes = ((("organisation", "deadline", "key"), True),)
