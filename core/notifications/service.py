"""Notify people: a cabinet notification and, for kinds that say so, an e-mail through the outbox."""

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from huey import crontab

from core import tasks
from core.db import db, utcnow
from core.hooktypes import NotificationKind
from core.notifications.models import MailMessage, Notification

CORE_KINDS = (
    NotificationKind("account_created", _l("Учётная запись создана")),
    NotificationKind("password_reset", _l("Смена пароля")),
    NotificationKind("partnership_added", _l("Новое партнерство")),
    NotificationKind("partnership_removed", _l("Партнерство прекращено")),
    NotificationKind("workflow.assigned", _l("Вас назначили исполнителем")),
    NotificationKind("workflow.handoff", _l("Заявление ожидает ваших действий")),
    NotificationKind("workflow.letter", _l("Письмо Биржи по заявлению")),
    NotificationKind("account_locked", _l("Вход в учётную запись заблокирован")),
    NotificationKind("mfa_changed", _l("Изменён второй фактор входа")),
    NotificationKind("delegation", _l("Доверенность первого руководителя")),
)

MAIL_STATUSES = {
    "pending": _l("В очереди"),
    "sending": _l("Отправляется"),
    "sent": _l("Отправлено"),
    "failed": _l("Не отправлено"),
    "held": _l("Задержано: SMTP не настроен"),
}

MAX_ATTEMPTS = 6
RETRY_DELAY = 60  # seconds between attempts; huey schedules them
STALE_CLAIM_MINUTES = 10  # IS2IN_MAIL_STALE_MINUTES overrides: a claim older than this lost its worker


REDACTED = "••••••"


def _one_time_link_pattern(app):
    """Every route that takes a ``<token>`` in its path is a one-time link (today: setting a password).
    The pattern is made from the URL map, so a new one-time route is redacted without being listed here."""
    pattern = app.extensions.get("is2in.one_time_links")
    if pattern is None:
        prefixes = sorted(
            {re.escape(rule.rule.split("<token>")[0]) for rule in app.url_map.iter_rules() if "token" in rule.arguments}
        )
        pattern = re.compile("(" + "|".join(prefixes) + r")[^\s/?#<>\"']+") if prefixes else False
        app.extensions["is2in.one_time_links"] = pattern
    return pattern


def redact_one_time_links(text: str) -> str:
    """``text`` with the secret part of every one-time link replaced: what staff (and logs) may see of a
    mail. Only the addressee's copy, sent by SMTP, carries the live link."""
    pattern = _one_time_link_pattern(current_app)
    return pattern.sub(lambda m: m.group(1) + REDACTED, text or "") if pattern else (text or "")


def kinds() -> dict[str, NotificationKind]:
    return current_app.extensions["is2in.notification_kinds"]


def notify(
    users, kind: str, procedure: str = "", executor: str = "", message: str = "", link: str = "", **mail_context
) -> list[Notification]:
    """Tell ``users`` in their cabinet and, where the kind mails, by e-mail. Call inside the transaction
    of the change; the mail leaves after it commits."""
    from core.i18n import in_languages, source_text

    spec = kinds()[kind]
    created = []
    # Issue 15: a catalogue string (lazy) is kept in every language, and shown in the reader's.
    procedure_i18n, message_i18n = in_languages(procedure), in_languages(message)
    for user in users:
        created.append(
            Notification.create(
                user=user,
                kind=kind,
                procedure=source_text(procedure)[:255],
                procedure_i18n=procedure_i18n,
                executor=str(executor)[:255],
                message=source_text(message),
                message_i18n=message_i18n,
                link=link[:500],
            )
        )
        if spec.email:
            send_mail(
                user,
                kind,
                procedure=procedure,
                executor=executor,
                message=message,
                link=(current_app.config["BASE_URL"] + link) if link.startswith("/") else link,
                **mail_context,
            )
    return created


def send_mail(user, kind: str, **context) -> MailMessage:
    """Queue a mail of ``kind`` to ``user``, written in the user's language."""
    spec = kinds()[kind]
    with force_locale(user.locale or "ru"):
        subject = f"is2in: {spec.label}"
        body = render_template("notifications/mail.txt", user=user, kind=kind, spec=spec, **context)
    mail = MailMessage.create(to=user.email, subject=subject, body=body)
    tasks.enqueue("deliver_mail", mail.id)
    return mail


def smtp_send(url: str, sender: str, mail: MailMessage) -> None:
    """Send one message through the SMTP server named by ``url``:
    smtp://[user:pass@]host[:port][?starttls=1] or smtps://..."""
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    # A stable Message-ID lets a receiving server drop a duplicate after a retried send.
    message["Message-ID"] = make_msgid(idstring=f"is2in-mail-{mail.id}", domain="is2in.kase.kz")
    message.set_content(mail.body)
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=30, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
    with client:
        if options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def deliver_mail(mail_id: int) -> str:
    """The task: claim the message (so only one worker sends it), send it, record the outcome."""
    claimed = (
        MailMessage.update(status="sending", attempts=MailMessage.attempts + 1, claimed_at=utcnow())
        .where((MailMessage.id == mail_id) & (MailMessage.status == "pending"))
        .execute()
    )
    if not claimed:
        return "skipped"
    mail = MailMessage.get_by_id(mail_id)
    url = current_app.config.get("SMTP_URL")
    if not url:
        mail.status, mail.last_error = "held", "IS2IN_SMTP_URL is not set"
        mail.save()
        return "held"
    try:
        smtp_send(url, current_app.config["MAIL_FROM"], mail)
    except (OSError, smtplib.SMTPException) as exc:
        final = mail.attempts >= MAX_ATTEMPTS
        mail.status = "failed" if final else "pending"
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        mail.save()
        current_app.logger.warning("mail %s attempt %s failed: %s", mail.id, mail.attempts, exc)
        if not final:
            raise  # huey retries after RETRY_DELAY
        return "failed"
    # Sent: the addressee has the link; the stored copy keeps only its redacted form, so no database
    # reader, backup or staff page can use it afterwards.
    mail.status, mail.sent_at, mail.last_error = "sent", utcnow(), ""
    mail.body = redact_one_time_links(mail.body)
    mail.save()
    return "sent"


def sweep_mail() -> int:
    """Periodic: queue again what was never queued (the queue was down) or whose worker died."""
    import datetime

    now = utcnow()
    stale_minutes = float(current_app.config.get("MAIL_STALE_MINUTES") or STALE_CLAIM_MINUTES)
    stale = (MailMessage.status == "sending") & (
        MailMessage.claimed_at < now - datetime.timedelta(minutes=stale_minutes)
    )
    with db.atomic():
        # Their worker died mid-send (its task went with it), so nothing else will queue them: queue them now.
        # (Two sweeps queueing one message is harmless: deliver_mail's claim lets one send it.)
        orphaned = [m.id for m in MailMessage.select(MailMessage.id).where(stale)]
        MailMessage.update(status="pending").where(MailMessage.id.in_(orphaned) & stale).execute()
    # Never tried (the queue was down when it was written), or its retry was lost with a worker;
    # a message waiting for huey's own retry is left to it.
    never_tried = (MailMessage.attempts == 0) & (MailMessage.created_at < now - datetime.timedelta(minutes=2))
    retry_lost = (MailMessage.attempts > 0) & (
        MailMessage.claimed_at < now - datetime.timedelta(seconds=RETRY_DELAY * 3)
    )
    ids = orphaned + [
        m.id
        for m in MailMessage.select(MailMessage.id).where(
            (MailMessage.status == "pending") & (never_tried | retry_lost) & MailMessage.id.not_in(orphaned or [0])
        )
    ]
    for mail_id in ids:
        tasks.enqueue("deliver_mail", mail_id)
    return len(ids)


def retry(mail: MailMessage) -> None:
    """An admin sends a failed or held message again."""
    MailMessage.update(status="pending", attempts=0, last_error="").where(MailMessage.id == mail.id).execute()
    tasks.enqueue("deliver_mail", mail.id)


def init_app(app, plugin_kinds) -> None:
    registry = {}
    for kind in list(CORE_KINDS) + list(plugin_kinds):
        if kind.code in registry:
            raise ValueError(f"notification kind {kind.code!r} is defined twice")
        registry[kind.code] = kind
    app.extensions["is2in.notification_kinds"] = registry
    app.add_template_global(lambda code: MAIL_STATUSES.get(code, code), "mail_status")
    tasks.task(app, deliver_mail, retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY)
    tasks.periodic(app, sweep_mail, crontab(minute="*"))
