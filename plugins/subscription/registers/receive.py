"""Receiving the seller's satisfied register (S-9.3 - S-9.5): the deadline, the upload, the background
check, and accepting (or rejecting) it."""

import datetime
import json
import logging
import os

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import User, audit, utcnow
from core import database as db
from core import file_kind as sniff
from core import store_file as store
from plugins.subscription import rules, service
from plugins.subscription.models import Fill, Register, RegisterJob, Subscription
from plugins.subscription.registers import jobs
from plugins.subscription.registers.checker import Checker, _Fills
from plugins.subscription.registers.columns import _local
from plugins.subscription.registers.jobs import UPLOAD_STATES, Outbox, _run
from plugins.subscription.registers.reader import (
    Report,
    SchemaCheck,
    _Refused,
    _schema_message,
    _SchemaInvalid,
    _xml_gate,
    check_zip,
    xlsx_rows,
    xml_rows,
)
from plugins.subscription.registers.stream import BATCH, Progress, _batched, _progress, _verified

log = logging.getLogger("is2in.subscription.registers")

# --- receiving the satisfied register (S-9.3 - S-9.5) -----------------------------------------------------


def due_end(sub: Subscription) -> datetime.datetime:
    """S-9.3: the satisfied register is due by the end of the application's date (Almaty), as stored UTC."""
    return rules.utc(sub.satisfied_register_on + datetime.timedelta(days=1), datetime.time(0))


def received_before(sub: Subscription) -> bool:
    return RegisterJob.select().where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check")).exists()


def upload_refusal(sub: Subscription, user: User, at=None) -> str | None:
    """Why this user may not send a satisfied register now, or None."""
    at = at or service.now()
    if user.is_staff or user.organisation_id != sub.seller_id:
        return _("Реестр удовлетворенных заявок представляет продавец.")
    if sub.state not in UPLOAD_STATES:
        return _("Подписка сейчас в состоянии «%(state)s»: реестр не принимается.", state=sub.state_label)
    if at >= sub.deal_at:
        return _("Исправления принимаются до заключения сделок (%(t)s).", t=_local(sub.deal_at))
    if at >= due_end(sub) and not received_before(sub):
        return _(
            "Реестр удовлетворенных заявок нужно было представить не позднее %(d)s; после этого Биржа принимает "
            "только исправления ранее представленного реестра.",
            d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
        )
    return None


def receive_satisfied(sub: Subscription, user: User, data: bytes, filename: str, at=None) -> RegisterJob:
    """Take the seller's file: a file that is no register at all, or a zip bomb, is refused at once; the rest is
    stored and checked in the background (``check_satisfied_register``)."""
    refusal = upload_refusal(sub, user, at)
    if refusal:
        raise service.SubscriptionError(refusal)
    report = Report()
    kind = sniff(data)
    if kind == "ole":
        report.add(None, None, _("Формат XLS (Excel 97–2003) не принимается: сохраните реестр как XLSX или XML."))
    elif kind == "xlsx":
        check_zip(data, report)
    elif kind != "xml":
        report.add(
            None,
            None,
            _("Файл не является реестром в формате XLSX или XML (проверяется содержимое файла, а не расширение)."),
        )
    name = os.path.basename((filename or "").replace("\\", "/"))[:255] or "register"
    outbox = Outbox()
    with db.atomic():
        if report:
            job = RegisterJob.create(
                subscription=sub,
                kind="check",
                format=kind if kind in ("xml", "xlsx") else "",
                status="rejected",
                original_name=name,
                errors=json.dumps(report.as_list(), ensure_ascii=False),
                requested_by=user,
                finished_at=utcnow(),
            )
            _rejected(sub, user, job, report, outbox)
    if report:
        outbox.send()
        return job
    with db.atomic():
        stored = store(data, name, kind)
        job = RegisterJob.create(
            subscription=sub, kind="check", format=kind, file=stored, original_name=name, requested_by=user
        )
        audit.record(
            "subscription.satisfied_register_received",
            sub,
            organisation=sub.seller,
            actor=user,
            file=stored.id,
            sha256=stored.sha256,
            name=name,
        )
    jobs._enqueue("check_satisfied_register", job)
    return job


def _rejected(sub, user, job, report: Report, outbox: Outbox, register=None) -> None:
    """S-9.5: the seller is told of every mismatch or a corrupt file; nothing else changes."""
    audit.record(
        "subscription.satisfied_register_rejected",
        sub,
        organisation=sub.seller,
        actor=user,
        job=job.id,
        register=register.id if register else None,
        mismatches=report.count,
    )
    outbox.tell(
        service.users_of([sub.seller]),
        _l(
            "Реестр удовлетворенных заявок по подписке %(number)s не принят: несоответствий — %(n)s. "
            "Исправьте его и представьте снова до заключения сделок (%(t)s), иначе подписка будет признана "
            "несостоявшейся.",
            number=sub.number or sub.isin,
            n=report.count,
            t=_local(sub.deal_at),
        ),
        sub,
        user,
    )


def check_satisfied_register(job_id: int) -> None:
    """The background task that checks an uploaded satisfied register and, if it holds, accepts it."""
    _run(job_id, _check)


def check_file(
    sub: Subscription, fmt: str, source, total: int, progress=None, schema_apart: bool = True
) -> tuple[Report, _Fills | None]:
    """Read an uploaded register (``source``: a path or bytes) and check it, streaming: rows are read, matched
    to their orders and checked a batch at a time. Returns the report and the fills (None when the file was
    refused). As before, a file that cannot be read is reported as such alone (its rows' mismatches are
    dropped), and an XML file's schema breach is reported only when its rows hold. A stored file is parsed in a
    process of its own (``SchemaCheck``, with ``schema_apart``), which checks the schema and sends the rows'
    texts meanwhile; otherwise the first pass checks the schema along. On a breach the file is read again here
    without the schema, for its rows."""
    apart = _schema_apart(source) if fmt == "xml" and schema_apart else None
    validate = fmt == "xml" and apart is None
    breach = None
    try:
        while True:
            report = Report()
            checker = Checker(sub, Report())
            max_rows = total + 100  # a few stray rows get their own messages; a flood is refused early
            if apart is not None:
                rows = apart.rows(report, max_rows=max_rows)
            elif fmt == "xml":
                rows = xml_rows(source, report, max_rows=max_rows, validate=validate)
            else:
                rows = xlsx_rows(source, report, debt=sub.is_debt, max_rows=max_rows)
            try:
                for batch in _batched(rows, BATCH):
                    checker.feed(batch)
                    if progress:
                        progress(min(2 * checker.rows, 2 * total))
            except _SchemaInvalid as exc:
                checker.fills.close()
                validate = False
                breach = exc.error
                if apart is not None:  # its rows end at the breach: the file is read here, from the start
                    apart.close()
                    apart = None
                continue
            except _Refused:
                checker.fills.close()
                return report, None
            except OSError:
                if apart is None:
                    raise
                log.exception("the schema check of %s gave no answer: checking in-process", source)
                checker.fills.close()
                return check_file(sub, fmt, source, total, progress, schema_apart=False)
            break
        if not checker.rows:
            checker.fills.close()
            report.add(None, None, _("В файле нет ни одной строки с заявками."))
            return report, None
        checker.finish()
        report.extend(checker.report)
        if breach is not None and not report:
            report.add(None, None, _schema_message(breach))
        return report, checker.fills
    finally:
        if apart is not None:
            apart.close()


def _schema_apart(source) -> SchemaCheck | None:
    """The schema check of a stored file in its own process, once the gate accepts the file; None for bytes, a
    file the gate refuses (the reader says why) or a process that cannot start."""
    if not isinstance(source, str | os.PathLike):
        return None
    try:
        _xml_gate(source, Report())
        return SchemaCheck(source)
    except (_Refused, OSError):
        return None


def _check(job: RegisterJob) -> None:
    sub = Subscription.get_by_id(job.subscription_id)
    user = job.requested_by
    total = service.accepted_orders(sub).count()
    _progress(job.id, 0, 2 * total)
    report, fills = check_file(sub, job.format, _verified(job.file), total, Progress(job.id))
    try:
        _conclude(job, sub, user, total, report, fills)
    finally:
        if fills is not None:
            fills.close()


def _conclude(job: RegisterJob, sub: Subscription, user, total: int, report: Report, fills) -> None:
    outbox = Outbox()
    with db.atomic():
        fresh = Subscription.get_by_id(sub.id)
        if not report:
            refusal = upload_refusal(fresh, user, at=job.created_at) if user else None
            if refusal:
                report.add(None, None, refusal)
        if not report:
            try:
                with db.atomic():
                    register = _accept(fresh, user, job, fills, outbox)
            except service.SubscriptionError as exc:
                report.add(None, None, exc.message)
        if report:
            register = Register.create(
                subscription=sub,
                kind="satisfied",
                format=job.format,
                file=job.file,
                status="rejected",
                errors=json.dumps(report.as_list(), ensure_ascii=False),
                uploaded_by=user,
            )
            _rejected(fresh, user, job, report, outbox, register)
        RegisterJob.update(
            status="done", register=register, done=2 * total, finished_at=utcnow(), updated_at=utcnow()
        ).where(RegisterJob.id == job.id).execute()
    outbox.send()


def _accept(sub: Subscription, user, job: RegisterJob, fills: _Fills, outbox: Outbox) -> Register:
    """Accept it: the fills replace any earlier ones, and the subscription moves on. Its receipt is the seller's
    consent to the deals (S-9.4)."""
    register = Register.create(
        subscription=sub, kind="satisfied", format=job.format, file=job.file, status="accepted", uploaded_by=user
    )
    Fill.delete().where(Fill.subscription == sub).execute()
    fills.copy_to(Fill._meta.table_name, sub.id)
    service._move(sub, "satisfied_register")
    quantity = fills.quantity
    volume = fills.volume
    audit.record(
        "subscription.satisfied_register",
        sub,
        organisation=sub.seller,
        actor=user,
        register=register.id,
        fills=fills.count,
        quantity=quantity,
        volume=str(volume),
        consent_to_deals=True,
        note="Получение Биржей реестра удовлетворенных заявок — согласие продавца на заключение сделок (п. 4 ст. 9)",
    )
    message = _(
        "Реестр удовлетворенных заявок по подписке %(number)s принят: удовлетворяется заявок — %(n)s, "
        "%(q)s шт. на %(v)s %(cur)s. Его получение Биржей означает согласие продавца на заключение сделок "
        "на указанных в нем условиях.",
        number=sub.number or sub.isin,
        n=fills.count,
        q=quantity,
        v=f"{volume:,.2f}".replace(",", " "),
        cur=sub.currency,
    )
    outbox.tell(service.users_of([sub.seller]) + service.staff_of("trading"), message, sub, user)
    return register
