"""A power of attorney: the first head of an organisation names a substitute (a user of the same organisation)
for a range of Exchange (Almaty) dates. It counts only once the first head has signed it with his key, and only
while it is not revoked, the range covers today and the grantor is still the organisation's active first head:
it is checked at every use, so it ends by itself the day after its last date."""

import datetime

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow
from core.files import StoredFile
from core.signing.models import SigningDocument


class PowerOfAttorney(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
    grantor = pw.ForeignKeyField(User, backref="+")  # the first head who gave it
    substitute = pw.ForeignKeyField(User, backref="+")
    number = pw.CharField(max_length=64)
    issued_on = pw.DateField()
    valid_from = pw.DateField()  # Almaty dates, both included
    valid_until = pw.DateField()
    scan = pw.ForeignKeyField(StoredFile, backref="+")  # the scanned paper power of attorney (PDF)
    document = pw.ForeignKeyField(SigningDocument, null=True, backref="+", on_delete="SET NULL")
    cms = pw.ForeignKeyField(StoredFile, null=True, backref="+")  # the first head's detached signature
    signer_iin = pw.CharField(max_length=12, default="")
    certificate_serial = pw.CharField(max_length=128, default="")
    certificate_issuer = pw.CharField(max_length=500, default="")
    signed_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)
    revoked_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    revoke_reason = pw.CharField(max_length=500, default="")
    reminded_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "power_of_attorney"

    # --- state, on the Exchange's date ---------------------------------------------------------------

    def status(self, day: datetime.date | None = None) -> str:
        day = day or clock.today()
        if self.revoked_at is not None:
            return "revoked"
        if self.signed_at is None:
            return "unsigned"
        if day < self.valid_from:
            return "scheduled"
        if day > self.valid_until:
            return "ended"
        grantor = self.grantor
        if not (grantor.is_active and grantor.is_first_head and grantor.organisation_id == self.organisation_id):
            return "lapsed"  # the one who gave it is no longer the first head: his power of attorney goes with him
        return "in_force"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status()])

    @classmethod
    def in_force(cls, user, organisation_id, day: datetime.date | None = None):
        """The power of attorney under which ``user`` acts for the first head of ``organisation_id`` today."""
        if user.is_staff or not user.is_active or user.organisation_id != organisation_id:
            return None
        day = day or clock.today()
        grantor = User.alias()
        return (
            cls.select(cls, grantor)
            .join(grantor, on=(cls.grantor == grantor.id))
            .where(
                (cls.substitute == user.id)
                & (cls.organisation == organisation_id)
                & cls.signed_at.is_null(False)
                & cls.revoked_at.is_null()
                & (cls.valid_from <= day)
                & (cls.valid_until >= day)
                & (grantor.is_first_head == True)  # noqa: E712
                & (grantor.is_active == True)  # noqa: E712
                & (grantor.organisation == organisation_id)
            )
            .order_by(cls.id.desc())
            .first()
        )

    @classmethod
    def substitutes_in_force(cls, organisation_id, day: datetime.date | None = None) -> list[User]:
        day = day or clock.today()
        ids = [
            poa.substitute_id
            for poa in cls.select().where(
                (cls.organisation == organisation_id)
                & cls.signed_at.is_null(False)
                & cls.revoked_at.is_null()
                & (cls.valid_from <= day)
                & (cls.valid_until >= day)
            )
            if poa.status(day) == "in_force"
        ]
        if not ids:
            return []
        return list(User.select().where(User.id.in_(ids) & (User.is_active == True)))  # noqa: E712

    # --- how it reads -----------------------------------------------------------------------------------

    @property
    def grantor_title(self) -> str:
        return f"{self.grantor.position} {self.grantor.full_name}".strip()

    def wording(self) -> str:
        """The legal record, in Russian whatever the reader's language: the trail and the signed copy's stamp."""
        return f"действующий по доверенности № {self.number} от {self.issued_on:%d.%m.%Y} за {self.grantor_title}"

    def wording_translated(self) -> str:
        return _(
            "действующий по доверенности № %(number)s от %(date)s за %(head)s",
            number=self.number,
            date=self.issued_on.strftime("%d.%m.%Y"),
            head=self.grantor_title,
        )

    def details(self) -> dict:
        """What the audit trail keeps of it beside each act done under it."""
        return {
            "on_behalf": self.wording(),
            "poa": self.id,
            "poa_number": self.number,
            "poa_date": self.issued_on.strftime("%d.%m.%Y"),
            "poa_head": self.grantor_title,
        }


STATUS_LABELS = {
    "unsigned": _l("Ожидает подписи первого руководителя"),
    "scheduled": _l("Подписана, действует с даты начала"),
    "in_force": _l("Действует сейчас"),
    "ended": _l("Срок истёк"),
    "revoked": _l("Отозвана"),
    "lapsed": _l("Прекращена: выдавший её больше не первый руководитель"),
}
