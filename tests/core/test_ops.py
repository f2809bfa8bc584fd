"""Production shape: health endpoints, JSON logs with request ids, once-per-slot periodic jobs."""

import json
import logging

from core.tasks import JobRun, claim_slot


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_database_queue_and_storage(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "queue": "ok", "storage": "ok"}


def test_readyz_reports_what_is_broken(app, client, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    app.config["DATA_DIR"] = str(blocker / "data")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["storage"].startswith("error")


def test_every_response_carries_a_request_id_and_logs_json(client, caplog):
    from core.ops.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="is2in.request"):
        response = client.get("/login", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    record = next(r for r in caplog.records if r.name == "is2in.request")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["path"] == "/login" and entry["status"] == 200 and entry["request_id"] == "abc123"


def test_request_id_travels_into_the_job(app, client, make, mailbox, caplog):
    make.user(email="a@example.kz")
    with caplog.at_level(logging.INFO, logger="is2in.tasks"):
        client.post("/password/forgot", data={"email": "a@example.kz"}, headers={"X-Request-ID": "req-42"})
    mailbox.wait_for("a@example.kz")
    from core.ops.logging import JsonFormatter

    jobs = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "is2in.tasks"]
    assert any(j.get("task") == "deliver_mail" and j.get("request_id") == "req-42" for j in jobs)


def test_a_periodic_slot_is_claimed_once(app):
    import datetime

    moment = datetime.datetime(2026, 11, 21, 9, 30, 12)
    with app.app_context():
        assert claim_slot("sweep_mail", moment) is True
        assert claim_slot("sweep_mail", moment + datetime.timedelta(seconds=30)) is False
        assert claim_slot("sweep_mail", moment + datetime.timedelta(minutes=1)) is True
    assert JobRun.select().count() == 2


def test_serve_options_come_from_the_environment():
    from core.ops.serve import options

    settings = options({"IS2IN_BIND": "0.0.0.0:9000", "IS2IN_WORKERS": "3"})
    assert settings["bind"] == "0.0.0.0:9000" and settings["workers"] == 3 and settings["worker_class"] == "gthread"


def test_backup_then_change_then_restore_finds_everything_as_it_was(app, client, auth, make, tmp_path):
    import io

    from core.accounts.models import Organisation
    from core.ops.backup import backup, restore, verify_files
    from core.regulations.models import RegulatoryDocument

    make.staff("listing", email="l@kase.kz")
    auth.login("l@kase.kz")
    pdf = b"%PDF-1.4\n% first\n%%EOF\n"
    client.post(
        "/regulations/new",
        data={"title": "Правила", "kind": "internal", "adopted_on": "2026-01-01", "file": (io.BytesIO(pdf), "a.pdf")},
        content_type="multipart/form-data",
    )
    make.org("KEEP")
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(app.config, archive)
    assert manifest["files"] == 1

    make.org("LATER")
    Organisation.update(name_ru="Изменено").where(Organisation.code == "KEEP").execute()
    with app.app_context():
        RegulatoryDocument.get().file.path.unlink()  # a lost file

    restore(app.config, archive)
    from core.db import db

    db.connect(reuse_if_open=True)
    assert Organisation.get_or_none(Organisation.code == "LATER") is None
    assert Organisation.get(Organisation.code == "KEEP").name_ru == "Компания KEEP"
    with app.app_context():
        assert RegulatoryDocument.get().file.read() == pdf
        assert verify_files() == []
