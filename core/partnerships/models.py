"""The partnership table: who works for whom, since when, and who ended it."""

import peewee as pw
from flask_babel import lazy_gettext as _l

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow

# The kind of partner and the organisation role a partner of that kind must hold.
PARTNER_KINDS = {
    "consultant": _l("Финансовый консультант"),
    "auditor": _l("Аудиторская организация"),
}


class Partnership(BaseModel):
    client = pw.ForeignKeyField(Organisation, backref="partnerships")
    partner = pw.ForeignKeyField(Organisation, backref="clients")
    kind = pw.CharField(max_length=16)
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    ended_at = pw.DateTimeField(null=True)
    ended_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "partnership"
        indexes = ((("client", "partner", "kind"), False),)

    @classmethod
    def active(cls):
        return cls.select().where(cls.ended_at.is_null())

    @classmethod
    def partners_of(cls, organisation):
        Partner = Organisation.alias()
        return (
            cls.active()
            .select(cls, Partner)
            .join(Partner, on=(cls.partner == Partner.id))
            .where(cls.client == organisation)
            .order_by(cls.kind, Partner.name_ru)
        )

    @classmethod
    def clients_of(cls, organisation):
        Client = Organisation.alias()
        return (
            cls.active()
            .select(cls, Client)
            .join(Client, on=(cls.client == Client.id))
            .where(cls.partner == organisation)
            .order_by(Client.name_ru)
        )

    @classmethod
    def exists_between(cls, client, partner, kind=None) -> bool:
        query = cls.active().where((cls.client == client) & (cls.partner == partner))
        if kind:
            query = query.where(cls.kind == kind)
        return query.exists()

    @classmethod
    def candidates(cls, organisation, kind):
        """Active companies of the kind's role that are not yet this organisation's partners."""
        taken = cls.active().select(cls.partner).where((cls.client == organisation) & (cls.kind == kind))
        return Organisation.with_role(kind).where((Organisation.id != organisation.id) & Organisation.id.not_in(taken))
