"""Webhooks: where they may go, what is sent, and how each delivery is signed, tried and retried.

Events are written inside the transaction of the change they report and leave on the worker after it
commits (``core.tasks.enqueue``). A delivery connects only to an address checked at that moment (the name is
resolved, every address must be public, and the connection goes to the checked address, so a name that
changes its answer between the check and the call cannot reach inside), never follows a redirect, and is
retried on ``BACKOFF`` by the minute's sweep."""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
import uuid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from core import tasks
from core.db import Prepared, Slot, db, utcnow
from core.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

# After the first attempt fails: 1 min, 5 min, 30 min, 2 h, 12 h; six attempts in all, then "failed".
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
STALE_SENDING = datetime.timedelta(minutes=5)  # a worker that died mid-send: its delivery is tried again
SIGNATURE_HEADER = "X-Is2in-Signature"
EVENT_HEADER = "X-Is2in-Event"
EVENT_ID_HEADER = "X-Is2in-Event-Id"
USER_AGENT = "is2in-webhooks/1"
SECRET_PREFIX = "whsec_"  # nosec B105 - the visible prefix, not a secret


class UrlRefused(ValueError):
    """The URL may not receive webhooks; the message says why, in the user's language."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<unix>." + body>``, as docs/webhooks.md tells
    receivers to check it."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# --- where a webhook may go ----------------------------------------------------------------------------------


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None and not _public(mapped):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def check_url(url: str) -> tuple:
    """``(scheme, host, port, path, address)`` for a URL that may receive webhooks, else UrlRefused. The
    host is resolved now and every address it has must be public; ``address`` is the one to connect to.
    ``WEBHOOK_ALLOW_PRIVATE`` (tests and a local receiver only) lifts the address check and allows http."""
    allow_private = _allow_private()
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise UrlRefused(_("Адрес не похож на URL.")) from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UrlRefused(_("Уведомления отправляются только на адреса https://."))
    if not parts.hostname:
        raise UrlRefused(_("В адресе нет имени сервера."))
    if parts.username or parts.password:
        raise UrlRefused(_("Адрес не должен содержать имя пользователя или пароль."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused(_("Имя сервера %(host)s не найдено.", host=parts.hostname)) from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not allow_private and not _public(address):
            raise UrlRefused(
                _(
                    "Адрес %(host)s ведет во внутреннюю сеть (%(ip)s): уведомления отправляются только на "
                    "публичные адреса.",
                    host=parts.hostname,
                    ip=str(address),
                )
            )
        addresses.append(address)
    if not addresses:
        raise UrlRefused(_("Имя сервера %(host)s не найдено.", host=parts.hostname))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path, addresses[0]


# --- endpoints -----------------------------------------------------------------------------------------------


def register(organisation, user, url: str, description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (to be shown once). Refuses a URL ``check_url`` refuses."""
    from core import audit

    check_url(url)
    secret = new_secret()
    with db.atomic():
        endpoint = WebhookEndpoint.create(
            organisation=organisation, url=url.strip(), description=description.strip(), secret=secret, created_by=user
        )
        audit.record("webhook.create", endpoint, organisation=organisation, url=endpoint.url)
    return endpoint, secret


def rotate(endpoint: WebhookEndpoint) -> str:
    """A new secret for ``endpoint`` (the old one stops signing at once)."""
    from core import audit

    secret = new_secret()
    with db.atomic():
        WebhookEndpoint.update(secret=secret, secret_rotated_at=utcnow()).where(
            WebhookEndpoint.id == endpoint.id
        ).execute()
        audit.record("webhook.rotate", endpoint, organisation=endpoint.organisation, url=endpoint.url)
    return secret


def disable(endpoint: WebhookEndpoint) -> None:
    """No more events to ``endpoint``; its log stays, its deliveries still waiting stop."""
    from core import audit

    with db.atomic():
        WebhookEndpoint.update(disabled_at=utcnow()).where(
            (WebhookEndpoint.id == endpoint.id) & WebhookEndpoint.disabled_at.is_null()
        ).execute()
        WebhookDelivery.update(status="failed").where(
            (WebhookDelivery.endpoint == endpoint.id) & (WebhookDelivery.status == "pending")
        ).execute()
        audit.record("webhook.disable", endpoint, organisation=endpoint.organisation, url=endpoint.url)


def replay(delivery: WebhookDelivery) -> None:
    """An admin sends a delivery again: the same event (same id and body), a fresh signature and a fresh
    round of attempts; the earlier attempts stay in the log."""
    from core import audit

    with db.atomic():
        WebhookDelivery.update(status="pending", attempts=0, next_attempt_at=utcnow(), claimed_at=None).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        audit.record(
            "webhook.replay",
            delivery.endpoint,
            organisation=delivery.endpoint.organisation,
            event=delivery.event.uid,
        )
    tasks.enqueue("deliver_webhook", delivery.id)


# --- events --------------------------------------------------------------------------------------------------


def _iso(moment) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime.datetime):
        return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return moment.isoformat()


# every status change asks it (a member's every API order): its SQL written once per process
_ENDPOINTS = Prepared(lambda: WebhookEndpoint.active_for(Slot("organisation")).select(WebhookEndpoint.id))


def emit_many(organisation_id, event_type: str, items: list[dict]) -> int:
    """One event per item of ``items`` for every active endpoint of the organisation, written in the
    caller's transaction and queued to leave after it commits. Nothing is written for an organisation
    without endpoints (one query). Returns how many deliveries were queued."""
    endpoints = list(_ENDPOINTS.rows(organisation=organisation_id))
    if not endpoints or not items:
        return 0
    queued = []
    with db.atomic():
        for data in items:
            uid = str(uuid.uuid4())
            now = utcnow()
            body = json.dumps(
                {"id": uid, "type": event_type, "created_at": _iso(now), "data": data},
                ensure_ascii=False,
                separators=(",", ":"),
                default=str,
            )
            event = WebhookEvent.create(uid=uid, organisation=organisation_id, type=event_type, body=body)
            for endpoint in endpoints:
                queued.append(WebhookDelivery.create(endpoint=endpoint.id, event=event, next_attempt_at=now).id)
    for delivery_id in queued:
        tasks.enqueue("deliver_webhook", delivery_id)
    return len(queued)


def emit(organisation_id, event_type: str, data: dict) -> int:
    return emit_many(organisation_id, event_type, [data])


def application_changed(application, action: str, from_process: str, to_process: str) -> int:
    """The engine's transition of ``application``, as ``application.status_changed``."""
    from core.workflow import engine

    try:
        procedure = engine.definition(application)
        title = str(procedure.title)
        process_title = str(procedure.process(to_process).title)
    except Exception:  # noqa: BLE001 - a procedure no longer installed still reports its codes
        title, process_title = application.procedure, to_process
    data = {
        "application": {
            "id": application.id,
            "number": application.number,
            "procedure": application.procedure,
            "procedure_title": title,
            "process": to_process,
            "process_title": process_title,
            "status": application.status,
            "deadline": _iso(application.deadline),
        },
        "action": action,
        "from_process": from_process,
        "to_process": to_process,
    }
    return emit(application.organisation_id, "application.status_changed", data)


def order_changed(buyer_id, orders: list[dict]) -> int:
    """Subscription orders of the member ``buyer_id`` that changed status (each a dict with at least
    ``subscription``, ``number``, ``status`` and ``action``), as ``order.status_changed``."""
    return emit_many(buyer_id, "order.status_changed", [{"order": order} for order in orders])


# --- delivery ------------------------------------------------------------------------------------------------


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the host's name for SNI and the certificate check."""

    def __init__(self, host, address, port, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = str(address)

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the checked address: only under WEBHOOK_ALLOW_PRIVATE (a local test receiver)."""

    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def _post(url: str, body: bytes, headers: dict) -> int:
    """POST ``body`` once; the answer's status code (a redirect is an answer, not followed)."""
    scheme, host, port, path, address = check_url(url)
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    if scheme == "https":
        connection = _PinnedHTTPSConnection(host, address, port, timeout, ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(host, address, port, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        return response.status
    finally:
        connection.close()


def _claim(delivery_id) -> WebhookDelivery | None:
    now = utcnow()
    with db.atomic():
        claimed = (
            WebhookDelivery.update(status="sending", claimed_at=now)
            .where(
                (WebhookDelivery.id == delivery_id)
                & (WebhookDelivery.status == "pending")
                & (WebhookDelivery.next_attempt_at <= now)
            )
            .execute()
        )
    if not claimed:
        return None
    return WebhookDelivery.get_by_id(delivery_id)


def deliver_webhook(delivery_id) -> str | None:
    """The worker's job: one attempt of one delivery, logged; on failure the next attempt is set on
    ``BACKOFF`` (the sweep queues it when due). Returns the delivery's status, None when not due."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.disabled_at is not None:
        WebhookDelivery.update(status="failed").where(WebhookDelivery.id == delivery.id).execute()
        return "failed"
    body = event.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        EVENT_HEADER: event.type,
        EVENT_ID_HEADER: event.uid,
    }
    started, clock = utcnow(), time.monotonic()
    status_code, error = None, ""
    try:
        status_code = _post(endpoint.url, body, headers)
        if not 200 <= status_code < 300:
            error = _("Получатель ответил %(code)s.", code=status_code)
    except UrlRefused as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - clock) * 1000)
    attempts = delivery.attempts + 1
    with db.atomic():
        WebhookAttempt.create(
            delivery=delivery, started_at=started, status_code=status_code, duration_ms=duration, error=error
        )
        if not error:
            status, fields = "delivered", {"delivered_at": utcnow()}
        elif attempts >= MAX_ATTEMPTS:
            status, fields = "failed", {}
        else:
            status, fields = "pending", {"next_attempt_at": utcnow() + BACKOFF[attempts - 1]}
        WebhookDelivery.update(status=status, attempts=attempts, claimed_at=None, **fields).where(
            WebhookDelivery.id == delivery.id
        ).execute()
    return status


def sweep_webhooks() -> int:
    """Every minute: queue the deliveries whose next attempt is due, and those a dead worker left sending."""
    now = utcnow()
    with db.atomic():
        WebhookDelivery.update(status="pending", next_attempt_at=now).where(
            (WebhookDelivery.status == "sending") & (WebhookDelivery.claimed_at < now - STALE_SENDING)
        ).execute()
    due = [
        d.id
        for d in WebhookDelivery.select(WebhookDelivery.id)
        .where((WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now))
        .order_by(WebhookDelivery.id)
        .limit(1000)
    ]
    for delivery_id in due:
        tasks.enqueue("deliver_webhook", delivery_id)
    return len(due)


def init_app(app) -> None:
    tasks.task(app, deliver_webhook)
    tasks.periodic(app, sweep_webhooks, tasks.crontab(minute="*"))
