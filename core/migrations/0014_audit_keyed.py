"""The audit chain is keyed: every existing row is re-chained from the first with HMAC-SHA256 under the key
kept outside the database (IS2IN_AUDIT_KEY or instance/audit_key), and a closing ``audit.rekeyed`` event
records how many rows were re-keyed and what the old plain SHA-256 chain showed wrong at that moment, so
re-keying never launders an earlier edit silently. Run it through `is2in db upgrade` (it needs the app's
key); a database without audit rows needs no key."""

import datetime
import hashlib
import hmac
import json
import os

import peewee as pw

GENESIS = "0" * 64
FIELDS = ("created_at", "actor", "organisation", "action", "object_type", "object_id", "ip", "details")


def _key() -> bytes:
    from flask import current_app, has_app_context

    key = (current_app.config.get("AUDIT_KEY") if has_app_context() else None) or os.environ.get("IS2IN_AUDIT_KEY")
    if not key:
        raise RuntimeError("re-keying the audit trail needs the audit key: run `is2in db upgrade`")
    return key.encode()


def _canonical(row: dict) -> str:
    return json.dumps(
        {k: row[k] for k in FIELDS}, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")
    )


def upgrade(db, migrator):
    class AuditEvent(pw.Model):
        created_at = pw.DateTimeField()
        actor = pw.IntegerField(null=True, column_name="actor_id")
        organisation = pw.IntegerField(null=True, column_name="organisation_id")
        action = pw.CharField()
        object_type = pw.CharField()
        object_id = pw.CharField()
        ip = pw.CharField()
        details = pw.TextField()
        prev_hash = pw.CharField()
        hash = pw.CharField()

        class Meta:
            database = db
            table_name = "audit_event"

    if not AuditEvent.select().exists():
        return
    key = _key()
    postgres = isinstance(db, pw.PostgresqlDatabase)
    if postgres:
        db.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")

    old_prev = new_prev = GENESIS
    problems, count = [], 0
    for event in AuditEvent.select().order_by(AuditEvent.id):
        row = {name: getattr(event, name) for name in FIELDS}
        canonical = _canonical(row)
        if event.prev_hash != old_prev:
            problems.append(f"row {event.id}: broken link")
        if hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest() != event.hash:
            problems.append(f"row {event.id}: edited")
        old_prev = event.hash
        keyed = hmac.new(key, (new_prev + canonical).encode(), hashlib.sha256).hexdigest()
        AuditEvent.update(prev_hash=new_prev, hash=keyed).where(AuditEvent.id == event.id).execute()
        new_prev = keyed
        count += 1

    closing = {
        "created_at": datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0),
        "actor": None,
        "organisation": None,
        "action": "audit.rekeyed",
        "object_type": "",
        "object_id": "",
        "ip": "",
        "details": json.dumps(
            {"rows": count, "plain_chain_problems": problems[:100]}, ensure_ascii=False, sort_keys=True
        ),
    }
    keyed = hmac.new(key, (new_prev + _canonical(closing)).encode(), hashlib.sha256).hexdigest()
    AuditEvent.insert(**closing, prev_hash=new_prev, hash=keyed).execute()

    if postgres:
        db.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        for event in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
