"""Issue #19.4: webhooks to the organisation's own systems and the read-only applications API.

The receiver here is a real HTTP server on 127.0.0.1 (allowed only by WEBHOOK_ALLOW_PRIVATE, which the
production default keeps off) and checks each signature with the code docs/webhooks.md gives clients, read
from that file."""

import datetime
import json
import re
import socket

import pytest
import time_machine

from core import tasks
from core.audit.models import AuditEvent
from core.db import utcnow
from core.files import StoredFile
from core.integrations import webhooks
from core.integrations.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.workflow.models import Application, ApplicationMember, Attachment
from tests.webhook_receiver import Receiver, docs_verifier


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def local(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    return app


def _admin(make, org=None, email=None):
    org = org or make.org()
    return make.user(org, email=email or f"admin-{org.code.lower()}@example.kz", is_org_admin=True)


def _application(make, org, number="LS-2026-00001"):
    author = make.user(org)
    head = make.user(org, email=f"head-{org.code.lower()}@example.kz", is_first_head=True)
    app_ = Application.create(
        number=number,
        organisation=org,
        procedure="listing.delisting",
        author=author,
        process="approval",
        status="approval",
    )
    ApplicationMember.create(application=app_, user=author, role="author")
    ApplicationMember.create(application=app_, user=head, role="first_head")
    return app_, head


def _register(client, url, status=200):
    response = client.post("/organisation/integrations/endpoints", data={"url": url, "description": "бэк-офис"})
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    found = re.search(r'id="new-secret"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else html


def _return(client, app_):
    """The first head returns the application: the engine's transition, through the page."""
    fresh = Application.get_by_id(app_.id)
    return client.post(
        f"/applications/{app_.id}/act/return", data={"version": fresh.version, "decision-note": "Исправьте устав"}
    )


# --- the signed delivery ----------------------------------------------------------------------------------------


def test_a_status_change_reaches_the_receiver_signed_as_the_docs_say(client, auth, make, local, receiver):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    secret = _register(client, receiver.url)
    assert secret.startswith("whsec_")
    auth.logout()
    auth.login(head.email)
    assert _return(client, app_).status_code == 302
    assert len(receiver.requests) == 1
    path, headers, body = receiver.requests[0]
    assert path == "/hooks/is2in"
    verify = docs_verifier()
    assert verify(secret, headers["X-Is2in-Signature"], body)
    event = json.loads(body)
    assert event["type"] == headers["X-Is2in-Event"] == "application.status_changed"
    assert event["id"] == headers["X-Is2in-Event-Id"]
    data = event["data"]
    assert data["application"]["number"] == "LS-2026-00001"
    assert (data["action"], data["from_process"], data["to_process"]) == ("return", "approval", "fill")
    assert data["application"]["status"] == "revision"
    # what a receiver must refuse: another secret, a changed body, the same request six minutes later
    assert not verify("whsec_other", headers["X-Is2in-Signature"], body)
    assert not verify(secret, headers["X-Is2in-Signature"], body.replace(b"revision", b"archived"))
    stamp = int(re.search(r"t=(\d+)", headers["X-Is2in-Signature"]).group(1))
    assert verify(secret, headers["X-Is2in-Signature"], body, now=stamp + 299)
    assert not verify(secret, headers["X-Is2in-Signature"], body, now=stamp + 301)
    attempt = WebhookAttempt.get()
    assert attempt.status_code == 200 and attempt.error == "" and attempt.duration_ms >= 0
    assert WebhookDelivery.get().status == "delivered"


def test_another_organisations_change_is_not_sent(client, auth, make, local, receiver):
    mine, theirs = make.org(), make.org()
    _admin(make, mine, "admin@example.kz")
    _app, _head = _application(make, mine)
    other_app, other_head = _application(make, theirs, number="LS-2026-00002")
    auth.login("admin@example.kz")
    _register(client, receiver.url)
    auth.logout()
    auth.login(other_head.email)
    assert _return(client, other_app).status_code == 302
    assert receiver.requests == [] and WebhookDelivery.select().count() == 0


def test_failed_deliveries_are_retried_on_the_backoff_then_succeed(client, auth, make, local, receiver):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    secret = _register(client, receiver.url)
    receiver.statuses = [500, 503]
    auth.logout()
    auth.login(head.email)
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        _return(client, app_)
        delivery = WebhookDelivery.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == utcnow() + datetime.timedelta(minutes=1)
        with client.application.app_context():
            assert webhooks.sweep_webhooks() == 0  # not due yet
            traveller.shift(datetime.timedelta(seconds=61))
            webhooks.sweep_webhooks()
            delivery = WebhookDelivery.get()
            assert (delivery.status, delivery.attempts) == ("pending", 2)
            assert delivery.next_attempt_at == utcnow() + datetime.timedelta(minutes=5)
            traveller.shift(datetime.timedelta(minutes=5))
            webhooks.sweep_webhooks()
    delivery = WebhookDelivery.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    codes = [a.status_code for a in WebhookAttempt.select().order_by(WebhookAttempt.id)]
    assert codes == [500, 503, 200]
    assert all(a.error for a in WebhookAttempt.select().where(WebhookAttempt.status_code != 200))
    ids = {h["X-Is2in-Event-Id"] for _p, h, _b in receiver.requests}
    assert len(ids) == 1  # every attempt carries the same event id, so the receiver can deduplicate
    verify = docs_verifier()
    assert all(
        verify(secret, h["X-Is2in-Signature"], b, now=int(re.search(r"t=(\d+)", h["X-Is2in-Signature"])[1]))
        for _p, h, b in receiver.requests
    )


def test_a_receiver_that_never_answers_well_fails_after_six_attempts_and_is_replayed(
    client, auth, make, local, receiver
):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    _register(client, receiver.url)
    receiver.statuses = [500] * 6
    auth.logout()
    auth.login(head.email)
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        _return(client, app_)
        with client.application.app_context():
            for wait in webhooks.BACKOFF:
                traveller.shift(wait)
                webhooks.sweep_webhooks()
    delivery = WebhookDelivery.get()
    assert (delivery.status, delivery.attempts) == ("failed", 6)
    auth.logout()
    auth.login("admin@example.kz")
    page = client.get("/organisation/integrations/").get_data(as_text=True)
    assert "не доставлено" in page and "HTTP 500" in page
    response = client.post(f"/organisation/integrations/deliveries/{delivery.id}/replay")
    assert response.status_code == 302
    assert WebhookDelivery.get().status == "delivered"
    assert len(receiver.requests) == 7
    assert AuditEvent.select().where(AuditEvent.action == "webhook.replay").count() == 1


def test_a_redirect_is_a_failed_attempt_never_followed(client, auth, make, local, receiver):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    _register(client, receiver.url)
    receiver.statuses = [302]
    auth.logout()
    auth.login(head.email)
    _return(client, app_)
    assert len(receiver.requests) == 1
    attempt = WebhookAttempt.get()
    assert attempt.status_code == 302 and "302" in attempt.error
    assert WebhookDelivery.get().status == "pending"


def test_a_rotated_secret_signs_the_next_delivery(client, auth, make, local, receiver):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    old = _register(client, receiver.url)
    endpoint = WebhookEndpoint.get()
    html = client.post(f"/organisation/integrations/endpoints/{endpoint.id}/rotate").get_data(as_text=True)
    new = re.search(r'id="new-secret"[^>]*value="([^"]+)"', html).group(1)
    assert new != old
    assert new not in client.get("/organisation/integrations/").get_data(as_text=True)  # shown once
    auth.logout()
    auth.login(head.email)
    _return(client, app_)
    _path, headers, body = receiver.requests[0]
    verify = docs_verifier()
    assert verify(new, headers["X-Is2in-Signature"], body) and not verify(old, headers["X-Is2in-Signature"], body)


def test_a_disabled_endpoint_gets_nothing(client, auth, make, local, receiver):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    app_, head = _application(make, org)
    auth.login("admin@example.kz")
    _register(client, receiver.url)
    endpoint = WebhookEndpoint.get()
    assert client.post(f"/organisation/integrations/endpoints/{endpoint.id}/disable").status_code == 302
    auth.logout()
    auth.login(head.email)
    _return(client, app_)
    assert receiver.requests == []


# --- where webhooks may not go ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://192.168.0.10/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(client, auth, make, url):
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    html = _register(client, url, status=422)
    assert "внутреннюю сеть" in html
    assert WebhookEndpoint.select().count() == 0


def test_plain_http_and_credentials_in_the_url_are_refused(client, auth, make):
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    assert "только на адреса https://" in _register(client, "http://example.com/hook", status=422)
    assert "имя пользователя или пароль" in _register(client, "https://u:p@example.com/hook", status=422)
    assert "только на адреса https://" in _register(client, "ftp://example.com/", status=422)
    assert WebhookEndpoint.select().count() == 0


def test_a_name_that_resolves_to_loopback_is_refused(client, auth, make, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "hooks.client.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    assert "127.0.0.1" in _register(client, "https://hooks.client.example/x", status=422)


def test_a_name_that_turns_private_after_registration_is_not_called(app, make, monkeypatch):
    """DNS rebinding: public when registered, loopback at delivery time: the attempt fails, nothing connects."""
    answers = {"hooks.client.example": "93.184.216.34"}

    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    connected = []

    def connect(address, *args, **kwargs):
        connected.append(address)
        raise OSError("the test network is closed")

    monkeypatch.setattr(socket, "create_connection", connect)
    org = make.org()
    admin = _admin(make, org)
    with app.test_request_context():
        endpoint, _secret = webhooks.register(org, admin, "https://hooks.client.example/x")
    answers["hooks.client.example"] = "127.0.0.1"
    with app.app_context(), tasks.change():
        webhooks.emit(org.id, "application.status_changed", {"application": {"id": 1}})
    attempt = WebhookAttempt.get()
    assert attempt.status_code is None and "внутреннюю сеть" in attempt.error
    assert connected == []


# --- the admin page: own organisation only ------------------------------------------------------------------------


def _foreign_rows(make, local_app):
    other = make.org()
    admin = _admin(make, other)
    endpoint = WebhookEndpoint.create(
        organisation=other, url="https://example.com/h", secret="whsec_x", created_by=admin
    )
    key = ApiKey.create(
        organisation=other,
        created_by=admin,
        name="x",
        token_hash="0" * 64,
        expires_at=utcnow() + datetime.timedelta(days=1),
    )
    from core.integrations.models import WebhookEvent

    event = WebhookEvent.create(uid="e-1", organisation=other, type="application.status_changed", body="{}")
    delivery = WebhookDelivery.create(endpoint=endpoint, event=event, status="failed")
    return endpoint, key, delivery


def test_another_organisations_endpoints_keys_and_deliveries_are_404(client, auth, make, app):
    _admin(make, email="admin@example.kz")
    endpoint, key, delivery = _foreign_rows(make, app)
    auth.login("admin@example.kz")
    for url in (
        f"/organisation/integrations/endpoints/{endpoint.id}/rotate",
        f"/organisation/integrations/endpoints/{endpoint.id}/disable",
        f"/organisation/integrations/deliveries/{delivery.id}/replay",
        f"/organisation/integrations/keys/{key.id}/revoke",
    ):
        assert client.post(url).status_code == 404, url
    page = client.get("/organisation/integrations/").get_data(as_text=True)
    assert "https://example.com/h" not in page and "e-1" not in page
    assert WebhookEndpoint.get_by_id(endpoint.id).disabled_at is None
    assert ApiKey.get_by_id(key.id).revoked_at is None
    assert WebhookEndpoint.get_by_id(endpoint.id).secret == "whsec_x"


@pytest.mark.parametrize("who", ["user", "staff"])
def test_only_the_organisation_admin_opens_the_page(client, auth, make, who):
    if who == "user":
        make.user(email="plain@example.kz")
    else:
        make.staff("admin", email="plain@example.kz")
    auth.login("plain@example.kz")
    assert client.get("/organisation/integrations/").status_code == 403
    assert client.post("/organisation/integrations/endpoints", data={"url": "https://example.com/"}).status_code == 403
    assert client.post("/organisation/integrations/keys", data={"name": "x", "days": 30}).status_code == 403


def test_changes_without_the_csrf_token_are_refused(client, auth, make):
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    response = client.post("/organisation/integrations/keys", data={"name": "x", "days": 30}, csrf=False)
    assert response.status_code in (400, 403)
    assert ApiKey.select().count() == 0


# --- the read-only API --------------------------------------------------------------------------------------------


def _key(client, days=30):
    response = client.post("/organisation/integrations/keys", data={"name": "ERP", "days": days})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'id="new-key"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_the_api_lists_the_organisations_applications_and_their_documents(client, auth, make):
    org, other = make.org(), make.org()
    _admin(make, org, "admin@example.kz")
    mine, _head = _application(make, org)
    mine.deadline = datetime.date(2026, 12, 18)
    mine.save()
    theirs, _other_head = _application(make, other, number="LS-2026-00002")
    stored = StoredFile.create(sha256="a" * 64, size=1234, content_type="application/pdf", original_name="ustav.pdf")
    Attachment.create(application=mine, kind="document", title="Устав", file=stored, uploaded_by=mine.author)
    auth.login("admin@example.kz")
    key = _key(client)
    assert ApiKey.get().token_hash != key and key not in ApiKey.get().token_hash  # only its hash is kept
    auth.logout()
    headers = {"Authorization": f"Bearer {key}"}
    listing = client.get("/api/v1/applications", headers=headers).get_json()
    assert [a["number"] for a in listing["items"]] == ["LS-2026-00001"] and listing["total"] == 1
    item = listing["items"][0]
    assert (item["status"], item["process"], item["deadline"]) == ("approval", "approval", "2026-12-18")
    detail = client.get(f"/api/v1/applications/{mine.id}", headers=headers).get_json()
    assert detail["documents"] == [
        {
            "id": Attachment.get().id,
            "kind": "document",
            "title": "Устав",
            "file_name": "ustav.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "sha256": "a" * 64,
            "uploaded_at": detail["documents"][0]["uploaded_at"],
        }
    ]
    response = client.get(f"/api/v1/applications/{theirs.id}", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]
    assert client.get("/api/v1/applications/999999", headers=headers).status_code == 404


def test_an_expired_or_revoked_key_opens_nothing(client, auth, make):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    _application(make, org)
    auth.login("admin@example.kz")
    key = _key(client, days=1)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 200
    with time_machine.travel(utcnow().replace(tzinfo=datetime.UTC) + datetime.timedelta(days=1, seconds=1)):
        response = client.get("/api/v1/applications", headers=headers)
        assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    second = _key(client)
    newest = ApiKey.select().order_by(ApiKey.id.desc()).first()
    assert client.post(f"/organisation/integrations/keys/{newest.id}/revoke").status_code == 302
    assert client.get("/api/v1/applications", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert AuditEvent.select().where(AuditEvent.action == "api_key.revoke").count() == 1


@pytest.mark.parametrize("days", [0, 366, "x"])
def test_a_key_lives_one_to_365_days(client, auth, make, days):
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    response = client.post("/organisation/integrations/keys", data={"name": "ERP", "days": days})
    assert response.status_code == 422 and ApiKey.select().count() == 0


def test_a_browser_session_opens_no_api_route(client, auth, make):
    org = make.org()
    _admin(make, org, "admin@example.kz")
    auth.login("admin@example.kz")
    assert client.get("/api/v1/applications").status_code == 401
    assert client.get("/api/v1/applications", headers={"Authorization": "Bearer is2in_ro_forged"}).status_code == 401


def test_a_key_makes_no_session_and_its_404s_are_no_users_refusals(client, auth, make):
    org, other = make.org(), make.org()
    _admin(make, org, "admin@example.kz")
    theirs, _head = _application(make, other)
    auth.login("admin@example.kz")
    key = _key(client)
    auth.logout()
    system = client.application.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    listing = system.get("/api/v1/applications", headers=headers)
    assert listing.status_code == 200 and "Set-Cookie" not in listing.headers
    refused = AuditEvent.select().where(AuditEvent.action == "access.refused").count()
    assert system.get(f"/api/v1/applications/{theirs.id}", headers=headers).status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "access.refused").count() == refused
    assert system.get("/", headers=headers).status_code == 302  # a key signs no page in


def test_the_openapi_document_describes_the_applications_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/applications", "/applications/{application_id}"} <= set(document["paths"])
    assert "readKey" in document["components"]["securitySchemes"]
    assert "/subscriptions" in document["paths"]  # the orders API's paths stay


def test_the_production_default_refuses_a_local_receiver(app):
    assert app.config.get("WEBHOOK_ALLOW_PRIVATE") in (None, False)
    from core.config import from_environment

    assert from_environment(app.instance_path, environ={})["WEBHOOK_ALLOW_PRIVATE"] is False


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ("Интеграциялар", "Хабарлама мекенжайлары", "Жіберу журналы", "Тек оқуға арналған API кілттері")),
        ("en", ("Integrations", "Notification addresses", "Delivery log", "Read-only API keys")),
    ],
)
def test_the_page_and_its_refusals_read_in_kazakh_and_english(client, auth, make, lang, words):
    _admin(make, email="admin@example.kz")
    auth.login("admin@example.kz")
    client.post("/language", data={"lang": lang, "next": "/organisation/integrations/"})
    html = client.get("/organisation/integrations/").get_data(as_text=True)
    assert all(word in html for word in words), [w for w in words if w not in html]
    refused = _register(client, "https://10.0.0.1/hook", status=422)
    expected = {"kk": "ішкі желіге апарады", "en": "leads into an internal network"}[lang]
    assert expected in refused
