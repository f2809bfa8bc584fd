"""The audit chain against someone with database write access (issue 14 item 11): they can drop the
triggers, edit rows, recompute the whole chain with the published code and delete the newest rows. The
key outside the database and the anchors outside it make each of those visible to `is2in audit verify`."""

import hashlib
import json
import os
import stat

from click.testing import CliRunner

from core import audit
from core import db as database
from core.audit.models import AuditEvent
from core.cli import main
from core.db import db

FIELDS = ("created_at", "actor", "organisation", "action", "object_type", "object_id", "ip", "details")


def _events(app, n=5):
    with app.test_request_context():
        for i in range(n):
            audit.record("test.event", number=i)


def _raw(sql_statements):
    """Drop the append-only guard, run the attacker's SQL, put the guard back."""
    postgres = "postgres" in type(db.obj).__name__.lower()
    if postgres:
        db.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        db.execute_sql("DROP TRIGGER audit_event_no_update")
        db.execute_sql("DROP TRIGGER audit_event_no_delete")
    for sql, params in sql_statements:
        db.execute_sql(sql, params)
    if postgres:
        db.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def _row(event) -> dict:
    return {
        "created_at": event.created_at,
        "actor": event.actor_id,
        "organisation": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "details": event.details,
    }


def _rechain(edit_id, digest):
    """Edit one row, then recompute every link and hash after it with ``digest`` (the attacker's)."""
    updates, prev = [], audit.GENESIS
    for event in AuditEvent.select().order_by(AuditEvent.id):
        row = _row(event)
        if event.id == edit_id:
            row["details"] = json.dumps({"number": 99})
        new = digest(prev, row)
        updates.append(
            (
                "UPDATE audit_event SET details = %s, prev_hash = %s, hash = %s WHERE id = %s".replace(
                    "%s", "?" if "sqlite" in type(db.obj).__name__.lower() else "%s"
                ),
                (row["details"], prev, new, event.id),
            )
        )
        prev = new
    _raw(updates)


def _plain_sha256(prev, row):
    canonical = json.dumps(
        {k: row[k] for k in FIELDS}, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def test_a_chain_recomputed_with_the_old_published_function_is_detected(app):
    _events(app)
    target = AuditEvent.select().order_by(AuditEvent.id).offset(2).first()
    _rechain(target.id, _plain_sha256)
    problems = audit.verify()
    assert f"row {target.id}: its content was edited (test.event)" in problems
    assert any("no row matches the key" in p for p in problems)


def test_a_chain_recomputed_with_the_code_but_a_guessed_key_is_detected(app):
    _events(app)
    target = AuditEvent.select().order_by(AuditEvent.id).offset(2).first()
    _rechain(target.id, lambda prev, row: audit.digest(prev, row, key=b"guessed"))
    assert len([p for p in audit.verify() if "its content was edited" in p]) == 5


def test_the_real_key_would_pass_so_the_key_is_what_protects(app):
    """Control: the same rewrite with the real key passes verify (why the key must stay out of the DB),
    and only the anchor taken before the rewrite catches it."""
    _events(app)
    with app.app_context():
        audit.anchor()
    target = AuditEvent.select().order_by(AuditEvent.id).offset(2).first()
    _rechain(target.id, lambda prev, row: audit.digest(prev, row))
    assert audit.verify(anchors=False) == []
    head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert audit.verify() == [
        f"row {head.id}: differs from the anchor of {audit.last_anchor()['at']} (the trail was rewritten)"
    ]


def test_deleting_the_newest_rows_is_caught_by_the_anchor(app):
    _events(app)
    with app.app_context():
        mark = audit.anchor()
    newest = [e.id for e in AuditEvent.select().order_by(AuditEvent.id.desc()).limit(2)]
    param = "?" if "sqlite" in type(db.obj).__name__.lower() else "%s"
    _raw([(f"DELETE FROM audit_event WHERE id = {param}", (row_id,)) for row_id in newest])
    assert audit.verify(anchors=False) == []  # the chain alone cannot see a cut at its end...
    problems = audit.verify()  # ...the anchor outside the database can
    last = min(newest) - 1
    assert problems == [
        f"row {mark['id']}: anchored at {mark['at']} but the trail ends at row {last} (the newest rows were removed)"
    ]


def test_a_forged_anchor_line_is_not_trusted(app):
    _events(app)
    with app.app_context():
        audit.anchor()
        path = audit.anchor_file()
    head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    with path.open("a") as fh:
        fh.write(
            json.dumps({"at": "2026-01-01T00:00:00Z", "id": head.id + 50, "hash": "f" * 64, "mac": "0" * 64}) + "\n"
        )
    assert audit.verify() == ["anchor line 2: not written with this key (forged or damaged)"]


def test_anchoring_appends_only_when_the_head_moved(app):
    _events(app, 2)
    with app.app_context():
        first = audit.anchor()
        assert audit.anchor() is None  # nothing new
    _events(app, 1)
    with app.app_context():
        second = audit.anchor()
        lines = audit.anchor_file().read_text().splitlines()
    assert second["id"] > first["id"] and len(lines) == 2
    assert stat.S_IMODE(os.stat(audit.anchor_file()).st_mode) == 0o600
    assert audit.verify() == []


def test_the_key_lives_outside_the_database_created_0600_or_from_the_environment(app, app_config, tmp_path):
    key_file = tmp_path / "instance" / "audit_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["AUDIT_KEY"] == key_file.read_text().strip() != app.config["SECRET_KEY"]
    from core.config import from_environment

    assert from_environment(tmp_path / "other", environ={"IS2IN_AUDIT_KEY": "k" * 64})["AUDIT_KEY"] == "k" * 64
    assert not (tmp_path / "other" / "audit_key").exists()


def test_the_periodic_anchor_job_is_scheduled(app):
    assert "anchor_job" in app.extensions["tasks"]
    _events(app, 1)
    with app.app_context():
        assert audit.anchor_job().startswith("anchored row")


def test_cli_anchor_then_verify_catches_a_truncation(app_config, app):
    env = {"IS2IN_DATABASE_URL": app_config["DATABASE_URL"], "IS2IN_INSTANCE_PATH": app_config["INSTANCE_PATH"]}
    _events(app)
    anchored = CliRunner().invoke(main, ["audit", "anchor"], env=env)
    assert anchored.exit_code == 0 and "anchored row" in anchored.output
    ok = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "intact" in ok.output and "last anchor: row" in ok.output
    newest = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    param = "?" if "sqlite" in type(db.obj).__name__.lower() else "%s"
    _raw([(f"DELETE FROM audit_event WHERE id = {param}", (newest.id,))])
    broken = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert broken.exit_code == 1 and "the newest rows were removed" in broken.output


def test_upgrading_rekeys_an_old_plain_chain_from_the_first_row(app, tmp_path):
    """A database from before migration 0014 (plain SHA-256 chain) comes out keyed; what the old chain showed
    wrong is kept in the closing audit.rekeyed event."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    connection = database.open_database(url)
    sets = app.extensions["is2in.migrations"]
    database.db.initialize(connection)
    try:
        connection.connect()
        target = {mset.app: "" for mset in sets} | {"core": "0012_list_indexes"}
        database.upgrade(sets, database=connection, target=target, echo=lambda *_: None)
        prev = audit.GENESIS
        for n in range(3):
            row = {
                "created_at": "2026-01-0%d 10:00:00" % (n + 1),
                "actor": None,
                "organisation": None,
                "action": "old.event",
                "object_type": "",
                "object_id": "",
                "ip": "",
                "details": json.dumps({"n": n}),
            }
            digest = _plain_sha256(prev, row)
            connection.execute_sql(
                "INSERT INTO audit_event (created_at, action, object_type, object_id, ip, details, prev_hash, hash) "
                "VALUES (?, ?, '', '', '', ?, ?, ?)",
                (row["created_at"], row["action"], row["details"], prev, digest),
            )
            prev = digest
        with app.app_context():
            ran = database.upgrade(sets, database=connection, echo=lambda *_: None)
            assert "core.0014_audit_keyed" in ran
            assert audit.verify() == []
        closing = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        assert closing.action == "audit.rekeyed" and closing.data == {"rows": 3, "plain_chain_problems": []}
        with connection.atomic():  # the append-only guard is back
            try:
                connection.execute_sql("DELETE FROM audit_event")
                raise AssertionError("the triggers were not restored")
            except Exception as exc:  # noqa: BLE001
                assert "append-only" in str(exc)
    finally:
        connection.close()
