"""The audit trail is append-only and hash-chained; `is2in audit verify` finds edits and deletions."""

import pytest
from peewee import DatabaseError

from core import audit
from core.audit.models import AuditEvent
from core.db import db


def _events(app, n=3):
    with app.test_request_context():
        for i in range(n):
            audit.record("test.event", number=i)


def test_every_row_links_to_the_one_before(app):
    _events(app)
    assert audit.verify() == []
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))


def test_a_batch_of_events_is_chained_as_the_same_events_one_by_one(app, make):
    org = make.org("AUD")
    with app.test_request_context():
        audit.record("test.before")
        assert audit.record_many("test.batch", org, [{"n": n} for n in range(2500)]) == 2500
        audit.record("test.after")
        assert audit.record_many("test.batch", org, []) == 0
    assert audit.verify() == []
    batch = list(AuditEvent.select().where(AuditEvent.action == "test.batch").order_by(AuditEvent.id))
    assert [e.data for e in batch] == [{"n": n} for n in range(2500)]
    assert {(e.object_type, e.object_id, e.organisation_id) for e in batch} == {("organisation", str(org.id), org.id)}


def test_updates_and_deletes_are_refused_by_the_database(app):
    _events(app)
    with pytest.raises(DatabaseError):
        with db.atomic():
            AuditEvent.update(action="forged").execute()
    with pytest.raises(DatabaseError):
        with db.atomic():
            AuditEvent.delete().execute()
    assert AuditEvent.select().count() == 3


def _without_triggers(sql_sqlite, sql_pg):
    """What someone with raw database access could do: drop the guard, then tamper."""
    if "postgres" in type(db.obj).__name__.lower():
        db.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        db.execute_sql(sql_pg)
        db.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        db.execute_sql("DROP TRIGGER audit_event_no_update")
        db.execute_sql("DROP TRIGGER audit_event_no_delete")
        db.execute_sql(sql_sqlite)


def test_verify_detects_an_edited_row(app):
    _events(app)
    row = AuditEvent.select().order_by(AuditEvent.id).offset(1).first()
    sql = f"UPDATE audit_event SET details = '{{\"number\": 99}}' WHERE id = {row.id}"
    _without_triggers(sql, sql)
    problems = audit.verify()
    assert problems == [f"row {row.id}: its content was edited (test.event)"]


def test_verify_detects_a_deleted_row(app):
    _events(app)
    row = AuditEvent.select().order_by(AuditEvent.id).offset(1).first()
    sql = f"DELETE FROM audit_event WHERE id = {row.id}"
    _without_triggers(sql, sql)
    assert any("broken link" in p for p in audit.verify())


def test_cli_audit_verify(app_config, app):
    from click.testing import CliRunner

    from core.cli import main

    _events(app)
    result = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={"IS2IN_DATABASE_URL": app_config["DATABASE_URL"], "IS2IN_INSTANCE_PATH": app_config["INSTANCE_PATH"]},
    )
    assert result.exit_code == 0 and "intact" in result.output
