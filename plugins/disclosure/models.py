"""Each admission initiator's disclosure obligations and the reminders sent about them."""

import datetime

import peewee as pw
from flask_babel import lazy_gettext as _l

from core import Application, BaseModel, Organisation, utcnow, working_days_between
from plugins.disclosure.rules import RULE_BY_KIND, period_label

STATUSES = {
    "open": _l("Ожидается"),
    "submitted": _l("Представлено"),
    "accepted": _l("Принято"),
    "returned": _l("Возвращено"),
    "overdue": _l("Просрочено"),
}
# Still owed: nothing is with the Exchange for it.
OWED = ("open", "overdue")


class Obligation(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    period = pw.CharField(max_length=32)
    due_on = pw.DateField(index=True)
    status = pw.CharField(max_length=16, default="open", index=True)
    application = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")
    event_on = pw.DateField(null=True)
    description = pw.TextField(default="")
    submitted_on = pw.DateField(null=True)
    accepted_on = pw.DateField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "disclosure_obligation"
        indexes = ((("organisation", "kind", "period"), True),)

    @property
    def rule(self):
        return RULE_BY_KIND.get(self.kind)

    @property
    def title(self):
        return self.rule.title if self.rule else self.kind

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period, self.event_on)

    def status_on(self, today: datetime.date) -> str:
        """The status as of ``today``: an owed obligation past its deadline is overdue even before the
        daily job has marked it."""
        return "overdue" if self.status in OWED and self.due_on < today else self.status

    def status_label(self, today: datetime.date):
        code = self.status_on(today)
        return STATUSES.get(code, code)

    @classmethod
    def in_status(cls, status: str, today: datetime.date):
        """The condition for "status as of today" (see ``status_on``)."""
        if status == "overdue":
            return cls.status.in_(OWED) & (cls.due_on < today)
        if status == "open":
            return (cls.status == "open") & (cls.due_on >= today)
        return cls.status == status

    @property
    def owed(self) -> bool:
        return self.status in OWED

    def overdue_days(self, today: datetime.date) -> int:
        """Working days since the deadline (0 until it has passed)."""
        return max(0, working_days_between(self.due_on, today))

    @classmethod
    def with_organisation(cls):
        return cls.select(cls, Organisation).join(Organisation, on=(cls.organisation == Organisation.id))

    @classmethod
    def of(cls, organisation, year: int | None = None):
        query = cls.select().where(cls.organisation == organisation)
        if year:
            query = query.where(cls.due_on.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31)))
        return query.order_by(cls.due_on, cls.kind, cls.period)

    @classmethod
    def late(cls, today: datetime.date):
        """Owed past their deadline: the public overdue list."""
        return (
            cls.with_organisation()
            .where(cls.status.in_(OWED) & (cls.due_on < today) & (Organisation.is_active == True))  # noqa: E712
            .order_by(cls.due_on, Organisation.name_ru)
        )

    @classmethod
    def for_application(cls, application):
        return cls.get_or_none(cls.application == application)


class DisclosureReminder(BaseModel):
    """One reminder sent about one obligation: the row is what makes it once only."""

    obligation = pw.ForeignKeyField(Obligation, backref="+", on_delete="CASCADE")
    key = pw.CharField(max_length=16)
    sent_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "disclosure_reminder"
        indexes = ((("obligation", "key"), True),)
