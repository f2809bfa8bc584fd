"""Giving, signing and revoking a power of attorney; the reminder before it ends. Each change is one
transaction, audited, and the people it concerns are told."""

import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit, clock
from core.accounts.models import User
from core.db import db, utcnow
from core.delegation.models import PowerOfAttorney
from core.files import store
from core.notifications.service import notify
from core.pdf import render_pdf

KIND = "delegation"
REMIND_DAYS = 3  # the substitute and the first head are told this many days before the last day


class DelegationError(Exception):
    """A change refused with a message for the user; nothing was changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def candidates(first_head) -> list[User]:
    """Who a first head may name: active users of his organisation other than himself."""
    return [
        u
        for u in User.active_in(first_head.organisation_id)
        if u.id != first_head.id and not u.is_first_head and not u.is_staff
    ]


def statement_pdf(poa: PowerOfAttorney, code: str) -> bytes:
    """The power of attorney as the first head signs it: who gives it to whom, for which dates and what for, and
    the SHA-256 of the scanned paper it records (so his signature covers that very scan)."""
    org = poa.organisation
    with force_locale("ru"):
        rows = [
            ("Организация", f"{org.display_name}, БИН {org.bin}"),
            ("Доверитель", f"{poa.grantor_title}, ИИН {poa.grantor.iin or '—'}"),
            ("Поверенный", f"{poa.substitute.position} {poa.substitute.full_name}, ИИН {poa.substitute.iin}".strip()),
            ("Номер и дата доверенности", f"№ {poa.number} от {poa.issued_on:%d.%m.%Y}"),
            ("Срок действия", f"с {poa.valid_from:%d.%m.%Y} по {poa.valid_until:%d.%m.%Y} включительно (время Алматы)"),
            (
                "Полномочия",
                "согласовывать, возвращать на доработку и подписывать ЭЦП заявления организации в системе "
                "электронного документооборота is2in за первого руководителя",
            ),
            ("Скан доверенности", f"{poa.scan.original_name}, SHA-256 {poa.scan.sha256}"),
        ]
        return render_pdf(
            "pdf/form.html",
            number=poa.number,
            title=f"Доверенность № {poa.number}",
            sections=[{"title": "Доверенность", "rows": rows}],
            document_code=code,
        )


def create(grantor, substitute, number, issued_on, valid_from, valid_until, scan_bytes, scan_name) -> PowerOfAttorney:
    """A power of attorney, not yet in force: the statement to sign is issued with its one-time code."""
    from core.signing.models import SigningDocument
    from core.signing.service import issue

    if not grantor.is_first_head or grantor.is_staff or not grantor.is_active:
        raise DelegationError(_("Доверенность выдаёт только первый руководитель организации."))
    if substitute.id not in {u.id for u in candidates(grantor)}:
        raise DelegationError(_("Выберите пользователя вашей организации."))
    if not substitute.iin:
        raise DelegationError(
            _(
                "У пользователя %(name)s не указан ИИН: его подпись нельзя будет проверить. Попросите "
                "администратора организации указать ИИН.",
                name=substitute.full_name,
            )
        )
    if valid_until < valid_from:
        raise DelegationError(_("Дата окончания раньше даты начала."))
    if valid_until < clock.today():
        raise DelegationError(_("Срок доверенности уже истёк."))
    with db.atomic():
        scan = store(scan_bytes, scan_name, "pdf")
        poa = PowerOfAttorney.create(
            organisation=grantor.organisation_id,
            grantor=grantor,
            substitute=substitute,
            number=number.strip(),
            issued_on=issued_on,
            valid_from=valid_from,
            valid_until=valid_until,
            scan=scan,
        )
        stored = issue(None, "poa", f"Доверенность № {poa.number}", lambda code: statement_pdf(poa, code), "poa.pdf")
        poa.document = SigningDocument.get(SigningDocument.file == stored)
        poa.save()
        audit.record(
            "delegation.create",
            poa,
            organisation=poa.organisation,
            number=poa.number,
            substitute=substitute.full_name,
            valid_from=valid_from.isoformat(),
            valid_until=valid_until.isoformat(),
            scan_sha256=scan.sha256,
        )
    return poa


def sign(poa: PowerOfAttorney, cms_bytes: bytes, user) -> PowerOfAttorney:
    """The first head's detached CMS over the statement, checked as strictly as an application's signature: the
    trust store and revocation, his IIN, the organisation's BIN, the first head's role. Then it is in force for
    its dates and the substitute is told."""
    from core.signing import service

    with db.atomic():
        poa = PowerOfAttorney.get_by_id(poa.id)
        if poa.grantor_id != user.id or not user.is_first_head:
            raise DelegationError(_("Подписать доверенность может только выдавший её первый руководитель."))
        if poa.revoked_at is not None:
            raise DelegationError(_("Доверенность отозвана."))
        if poa.signed_at is not None:
            raise DelegationError(_("Доверенность уже подписана."))
        try:
            report = service.verify(
                poa.document, cms_bytes, expected_iin=user.iin, expected_bin=poa.organisation.bin, roles={"first_head"}
            )
        except service.SigningError as exc:
            raise DelegationError(exc.message) from exc
        poa.cms = service.store_blob(cms_bytes, f"poa-{poa.document.code}.p7s", "application/pkcs7-signature")
        poa.signer_iin = report.iin or ""
        poa.certificate_serial = report.serial_number
        poa.certificate_issuer = report.issuer[:500]
        poa.signed_at = utcnow()
        poa.save()
        audit.record(
            "delegation.sign",
            poa,
            organisation=poa.organisation,
            number=poa.number,
            code=poa.document.code,
            iin=poa.signer_iin,
            serial=poa.certificate_serial,
        )
        notify(
            [poa.substitute],
            KIND,
            executor=user.full_name,
            message=_(
                "%(head)s выдал вам доверенность № %(number)s: с %(start)s по %(end)s вы согласовываете и "
                "подписываете заявления организации за первого руководителя.",
                head=user.full_name,
                number=poa.number,
                start=poa.valid_from.strftime("%d.%m.%Y"),
                end=poa.valid_until.strftime("%d.%m.%Y"),
            ),
            link=f"/delegations/{poa.id}",
        )
    return poa


def may_revoke(user, poa: PowerOfAttorney) -> bool:
    if user.is_staff:
        return user.is_admin
    return user.is_first_head and user.is_active and user.organisation_id == poa.organisation_id


def revoke(poa: PowerOfAttorney, user, reason: str = "") -> PowerOfAttorney:
    """At once: from this moment the substitute can no longer approve or sign. He is told."""
    with db.atomic():
        poa = PowerOfAttorney.get_by_id(poa.id)
        if not may_revoke(user, poa):
            raise DelegationError(
                _("Отозвать доверенность может первый руководитель организации или администратор Биржи.")
            )
        if poa.revoked_at is not None:
            raise DelegationError(_("Доверенность уже отозвана."))
        poa.revoked_at, poa.revoked_by, poa.revoke_reason = utcnow(), user, (reason or "").strip()[:500]
        poa.save()
        audit.record(
            "delegation.revoke",
            poa,
            organisation=poa.organisation,
            number=poa.number,
            reason=poa.revoke_reason,
            by_exchange=user.is_staff,
        )
        people = [poa.substitute] + ([poa.grantor] if poa.grantor_id != user.id else [])
        notify(
            people,
            KIND,
            executor=user.full_name,
            message=_(
                "Доверенность № %(number)s на имя %(name)s отозвана: подписывать и согласовывать заявления за "
                "первого руководителя по ней больше нельзя.",
                number=poa.number,
                name=poa.substitute.full_name,
            ),
            link=f"/delegations/{poa.id}",
        )
    return poa


def remind_ending(day: datetime.date | None = None) -> int:
    """Tell the substitute and the first head, once, that a power of attorney in force ends within
    ``REMIND_DAYS`` days (a periodic job; the power of attorney itself ends by its date, job or not)."""
    from core import tasks

    day = day or clock.today()
    count = 0
    due = PowerOfAttorney.select().where(
        PowerOfAttorney.signed_at.is_null(False)
        & PowerOfAttorney.revoked_at.is_null()
        & PowerOfAttorney.reminded_at.is_null()
        & (PowerOfAttorney.valid_from <= day)
        & (PowerOfAttorney.valid_until >= day)
        & (PowerOfAttorney.valid_until <= day + datetime.timedelta(days=REMIND_DAYS))
    )
    for poa in due:
        if poa.status(day) != "in_force":
            continue
        with tasks.change():
            claimed = (
                PowerOfAttorney.update(reminded_at=utcnow())
                .where((PowerOfAttorney.id == poa.id) & PowerOfAttorney.reminded_at.is_null())
                .execute()
            )
            if not claimed:
                continue
            notify(
                [poa.substitute, poa.grantor],
                KIND,
                message=_(
                    "Доверенность № %(number)s на имя %(name)s действует по %(end)s включительно.",
                    number=poa.number,
                    name=poa.substitute.full_name,
                    end=poa.valid_until.strftime("%d.%m.%Y"),
                ),
                link=f"/delegations/{poa.id}",
            )
            audit.record("delegation.remind", poa, organisation=poa.organisation, number=poa.number)
            count += 1
    return count


def visible_to(user):
    """Powers of attorney a user may see: the Exchange's admins all; a first head his organisation's; anyone
    else those that name him. Never another organisation's."""
    query = PowerOfAttorney.select().order_by(PowerOfAttorney.created_at.desc(), PowerOfAttorney.id.desc())
    if user.is_staff:
        return query if user.is_admin else query.where(PowerOfAttorney.id == 0)
    if user.is_first_head:
        return query.where(PowerOfAttorney.organisation == user.organisation_id)
    return query.where((PowerOfAttorney.organisation == user.organisation_id) & (PowerOfAttorney.substitute == user.id))


def waiting_for(user) -> list:
    """Applications of the user's organisation waiting for its first head (approval or signature) while a power
    of attorney makes the user act for him today: what "Доверенности" lists for the substitute."""
    from core.workflow import engine
    from core.workflow.models import Application

    if user.is_staff or PowerOfAttorney.in_force(user, user.organisation_id) is None:
        return []
    found = []
    mine = (Application.organisation == user.organisation_id) & Application.status.not_in(("archived", "withdrawn"))
    for app in Application.select().where(mine).order_by(Application.id):
        try:
            if engine.process_of(app).actor == "first_head":
                found.append((app, engine.process_of(app)))
        except (engine.WorkflowError, KeyError):
            continue
    return found
