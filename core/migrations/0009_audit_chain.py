"""The audit trail becomes hash-chained and append-only (triggers refuse UPDATE and DELETE)."""

import hashlib
import json

import peewee as pw

GENESIS = "0" * 64


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(
        migrator.add_column("audit_event", "prev_hash", pw.CharField(max_length=64, default="")),
        migrator.add_column("audit_event", "hash", pw.CharField(max_length=64, default="")),
    )

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

    # Chain the rows written before this migration, in order (same digest as core.audit.digest).
    prev = GENESIS
    for event in AuditEvent.select().order_by(AuditEvent.id):
        created = event.created_at.replace(microsecond=0)
        row = {
            "created_at": created,
            "actor": event.actor,
            "organisation": event.organisation,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "ip": event.ip,
            "details": event.details,
        }
        canonical = json.dumps(row, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
        digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
        AuditEvent.update(created_at=created, prev_hash=prev, hash=digest).where(AuditEvent.id == event.id).execute()
        prev = digest

    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
