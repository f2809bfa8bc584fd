"""Mail leaves through the outbox and the task queue: retried, never breaking a page, sent once."""

import os
import subprocess
import sys
import time

from core import create_app
from core.notifications import service
from core.notifications.models import MailMessage


def _queue(app, user):
    with app.app_context():
        return service.send_mail(user, "password_reset", link="http://localhost/x")


def test_mail_is_sent_through_the_smtp_server(app, make, mailbox):
    user = make.user(email="a@example.kz")
    mail = _queue(app, user)
    received = mailbox.wait_for("a@example.kz")[0]
    assert received["Subject"] == "is2in: Смена пароля"
    assert f"is2in-mail-{mail.id}" in received["Message-ID"]
    assert MailMessage.get_by_id(mail.id).status == "sent"


def test_mail_is_written_in_the_users_language(app, make, mailbox):
    user = make.user(email="a@example.kz", locale="en")
    _queue(app, user)
    received = mailbox.wait_for("a@example.kz")[0]
    assert received["Subject"] in ("is2in: Password change", "is2in: Смена пароля")  # en catalogue may lag


def test_a_failing_smtp_server_never_breaks_the_page_and_is_retried(app, client, auth, make, mailbox):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    org = make.org()
    response = client.post(
        f"/staff/organisations/{org.id}/users/new",
        data={"last_name": "Н", "first_name": "Н", "position": "П", "email": "n@example.kz", "phone": "+77010000000"},
    )
    assert response.status_code == 302  # the account is created even though mail cannot leave
    mail = MailMessage.get(MailMessage.to == "n@example.kz")
    assert mail.status == "pending" and mail.attempts == 1 and "ConnectionRefusedError" in mail.last_error

    # The next attempts (huey runs them a minute apart) fail too, until the last one marks it failed.
    with app.app_context():
        for _ in range(service.MAX_ATTEMPTS - 1):
            try:
                service.deliver_mail(mail.id)
            except OSError:
                pass
    assert MailMessage.get_by_id(mail.id).status == "failed"
    page = client.get("/staff/mail?status=failed").get_data(as_text=True)
    assert "n@example.kz" in page and "Не отправлено" in page

    app.config["SMTP_URL"] = mailbox.url
    client.post(f"/staff/mail/{mail.id}/retry")
    mailbox.wait_for("n@example.kz")
    assert MailMessage.get_by_id(mail.id).status == "sent"


def test_without_smtp_mail_is_held_for_admins(app, make):
    app.config["SMTP_URL"] = None
    mail = _queue(app, make.user())
    assert MailMessage.get_by_id(mail.id).status == "held"


def test_a_message_is_sent_once_even_if_delivered_twice(app, make, mailbox):
    user = make.user(email="a@example.kz")
    mail = _queue(app, user)
    mailbox.wait_for("a@example.kz")
    with app.app_context():
        assert service.deliver_mail(mail.id) == "skipped"
    time.sleep(0.2)
    assert len(mailbox.to("a@example.kz")) == 1


def test_sweep_requeues_stale_claims(app, make, mailbox):
    import datetime

    from core.db import utcnow

    user = make.user(email="a@example.kz")
    mail = MailMessage.create(
        to=user.email,
        subject="s",
        body="b",
        status="sending",
        claimed_at=utcnow() - datetime.timedelta(minutes=30),
        created_at=utcnow() - datetime.timedelta(minutes=31),
    )
    with app.app_context():
        assert service.sweep_mail() == 1
    mailbox.wait_for("a@example.kz")
    assert MailMessage.get_by_id(mail.id).status == "sent"


def test_a_worker_process_sends_what_the_web_process_queued(app_config, make, mailbox, tmp_path):
    """Not immediate: the web app only queues (huey's SQLite storage); `is2in worker` sends."""
    instance = tmp_path / "shared"
    web = create_app({**app_config, "TASKS_IMMEDIATE": False, "INSTANCE_PATH": str(instance)})
    user = make.user(email="w@example.kz")
    with web.test_request_context():
        from flask import Response

        from core import tasks

        service.send_mail(user, "password_reset", link="x")
        tasks.flush(Response())
    time.sleep(0.2)
    assert mailbox.to("w@example.kz") == []
    env = {
        **os.environ,
        "IS2IN_DATABASE_URL": app_config["DATABASE_URL"],
        "IS2IN_INSTANCE_PATH": str(instance),
        "IS2IN_SMTP_URL": mailbox.url,
        "IS2IN_SECRET_KEY": "test-secret",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        mailbox.wait_for("w@example.kz", timeout=20)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert MailMessage.get(MailMessage.to == "w@example.kz").status == "sent"
