"""A one-time link (set or reset a password) is its addressee's alone: the Exchange's admin who sends it,
the staff mail pages, the audit trail and the logs never show it, while the addressee's mail works."""

import logging
import re

import pytest

from core.audit.models import AuditEvent
from core.notifications.models import MailMessage

TOKEN = re.compile(r"/password/set/([A-Za-z0-9_\-]{20,})")


def _token_from_mailbox(mailbox, address) -> str:
    match = TOKEN.search(mailbox.body(mailbox.wait_for(address)[-1]))
    assert match, "the addressee's mail carries no live link"
    return match.group(1)


def _staff_sees(client, token) -> list[str]:
    """Every staff page that shows mail, and the audit journal: where the token shows up."""
    pages = ["/staff/mail", "/staff/mail?status=sent", "/staff/mail?status=held", "/staff/audit"]
    pages += [f"/staff/mail/{m.id}" for m in MailMessage.select()]
    return [page for page in pages if token in client.get(page).get_data(as_text=True)]


def _nowhere_but_the_mailbox(client, token):
    assert _staff_sees(client, token) == []
    assert not any(token in e.details for e in AuditEvent.select())


@pytest.fixture
def admin(make, auth):
    staff = make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    return staff


def test_an_admin_who_sends_a_link_cannot_read_it_back_and_the_addressee_can_use_it(client, admin, make, mailbox):
    """The attack of issue 14 item 7: send-link, then open the newest mail on /staff/mail/<id>."""
    head = make.user(email="head@example.kz")
    sent = client.post(f"/staff/users/{head.id}/send-link", follow_redirects=True)
    assert sent.status_code == 200 and "/password/set/" not in sent.get_data(as_text=True)
    token = _token_from_mailbox(mailbox, "head@example.kz")

    newest = MailMessage.select().order_by(MailMessage.id.desc()).first()
    detail = client.get(f"/staff/mail/{newest.id}").get_data(as_text=True)
    assert "head@example.kz" in detail and "/password/set/••••••" in detail
    _nowhere_but_the_mailbox(client, token)
    # Sent, the stored copy itself no longer holds the live link (a database reader or backup cannot use it).
    assert token not in MailMessage.get_by_id(newest.id).body

    client.post("/logout")
    assert client.get(f"/password/set/{token}").status_code == 200  # the addressee's link is live


def test_a_held_mail_is_redacted_on_screen_and_still_sends_the_live_link(app, client, admin, make, mailbox):
    """No SMTP yet: the mail waits in the outbox with the real link; staff see it redacted, retry sends it."""
    app.config["SMTP_URL"] = ""
    head = make.user(email="head@example.kz", password=None)
    client.post(f"/staff/users/{head.id}/send-link")
    mail = MailMessage.get(MailMessage.to == "head@example.kz")
    assert mail.status == "held"
    token = TOKEN.search(mail.body).group(1)  # the outbox keeps what it must send
    _nowhere_but_the_mailbox(client, token)

    app.config["SMTP_URL"] = mailbox.url
    client.post(f"/staff/mail/{mail.id}/retry")
    assert _token_from_mailbox(mailbox, "head@example.kz") == token
    _nowhere_but_the_mailbox(client, token)


def test_the_first_password_mail_of_a_new_account_is_hidden_from_staff(client, admin, make, mailbox):
    org = make.org()
    form = {"last_name": "Н", "first_name": "Н", "position": "П", "email": "new@example.kz", "phone": "+77010000000"}
    created = client.post(f"/staff/organisations/{org.id}/users/new", data=form, follow_redirects=True)
    token = _token_from_mailbox(mailbox, "new@example.kz")
    assert token not in created.get_data(as_text=True)
    _nowhere_but_the_mailbox(client, token)


def test_a_forgot_password_mail_is_hidden_from_staff(app, client, make, auth, mailbox):
    make.user(email="owner@example.kz")
    asked = client.post("/password/forgot", data={"email": "owner@example.kz"}, follow_redirects=True)
    token = _token_from_mailbox(mailbox, "owner@example.kz")
    assert token not in asked.get_data(as_text=True)
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    _nowhere_but_the_mailbox(client, token)


def test_the_request_log_keeps_the_route_not_the_token(client, make, mailbox, caplog):
    make.user(email="owner@example.kz")
    client.post("/password/forgot", data={"email": "owner@example.kz"})
    token = _token_from_mailbox(mailbox, "owner@example.kz")
    with caplog.at_level(logging.INFO, logger="is2in.request"):
        assert client.get(f"/password/set/{token}").status_code == 200
    paths = [getattr(r, "path", "") for r in caplog.records if r.name == "is2in.request"]
    assert "/password/set/<token>" in paths
    assert not any(token in r.getMessage() or token in str(getattr(r, "path", "")) for r in caplog.records)
