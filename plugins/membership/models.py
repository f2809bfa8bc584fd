"""Exchange membership by category: which organisation is a member in which category, since when
and until when. Rows are added and closed only by archived decisions of the membership procedures."""

import peewee as pw
from flask_babel import lazy_gettext as _l

from core import Application, BaseModel, Organisation, OrganisationRole, Prepared, Slot

# The categories of membership, in the order the Exchange lists them.
CATEGORIES = {
    "stock": _l("Фондовая"),
    "currency": _l("Валютная"),
    "derivatives": _l("Деривативы"),
}


def category_order(code: str) -> int:
    order = list(CATEGORIES)
    return order.index(code) if code in order else len(order)


def _ordered(codes) -> list[str]:
    return sorted(set(codes), key=category_order)


class Membership(BaseModel):
    """One category of one organisation's membership. ``until`` is empty while it lasts."""

    organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
    category = pw.CharField(max_length=16)
    since = pw.DateField()
    until = pw.DateField(null=True)
    granted_by = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")
    ended_by = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "membership"
        indexes = ((("organisation", "category"), False),)

    @property
    def label(self) -> str:
        return str(CATEGORIES.get(self.category, self.category))

    @classmethod
    def current(cls):
        return cls.select().where(cls.until.is_null())

    @classmethod
    def categories_of(cls, organisation) -> list[str]:
        """The categories the organisation is a member in today, in the Exchange's order."""
        return _ordered(row.category for row in cls.current().where(cls.organisation == organisation))

    @classmethod
    def recorded_categories(cls, organisation) -> set[str] | None:
        """The current categories, or None when nothing was ever recorded for the organisation
        (a member admitted before the portal): the answer to ``is2in_member_categories``."""
        rows = list(_RECORDED.rows(organisation=organisation))  # asked on every API order: SQL written once
        if not rows:
            return None
        return {category for category, until in rows if until is None}

    @classmethod
    def has_category(cls, organisation, category: str) -> bool:
        return cls.current().where((cls.organisation == organisation) & (cls.category == category)).exists()

    @classmethod
    def history_of(cls, organisation):
        return cls.select().where(cls.organisation == organisation).order_by(cls.since.desc(), cls.id.desc())

    @classmethod
    def grant(cls, organisation, categories, since, application=None) -> list[str]:
        """Open the categories the organisation does not hold yet; return those opened."""
        held = set(cls.categories_of(organisation))
        opened = [c for c in _ordered(categories) if c in CATEGORIES and c not in held]
        for category in opened:
            cls.create(organisation=organisation, category=category, since=since, granted_by=application)
        return opened

    @classmethod
    def close(cls, organisation, categories, until, application=None) -> list[str]:
        """Close the organisation's current membership in ``categories``; return those closed."""
        rows = list(cls.current().where((cls.organisation == organisation) & (cls.category.in_(list(categories)))))
        for row in rows:
            row.until, row.ended_by = until, application
            row.save()
        return _ordered(row.category for row in rows)

    @classmethod
    def register(cls) -> list[tuple[Organisation, list["Membership"]]]:
        """The Exchange's members today, each with its current categories ("Члены Биржи")."""
        members = list(Organisation.with_role("member"))
        rows = {}
        for row in cls.current().where(cls.organisation.in_([o.id for o in members])).order_by(cls.since):
            rows.setdefault(row.organisation_id, []).append(row)
        return [(org, sorted(rows.get(org.id, []), key=lambda r: category_order(r.category))) for org in members]


def set_member_role(organisation, member: bool) -> None:
    """Give or take the organisation role "member" (core.accounts.models.OrganisationRole)."""
    if member:
        OrganisationRole.get_or_create(organisation=organisation, role="member")
    else:
        OrganisationRole.delete().where(
            (OrganisationRole.organisation == organisation) & (OrganisationRole.role == "member")
        ).execute()
    if hasattr(organisation, "_roles"):
        del organisation._roles


_RECORDED = Prepared(
    lambda: (
        Membership.select(Membership.category, Membership.until)
        .where(Membership.organisation == Slot("organisation"))
        .tuples()
    )
)
