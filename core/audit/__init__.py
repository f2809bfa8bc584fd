"""The audit trail: who did what, when and from where, for every state change.

It is append-only (database triggers refuse UPDATE and DELETE) and hash-chained: each row's hash
covers its content and the previous row's hash, so `is2in audit verify` finds an edited row (its
hash no longer matches) or a deleted one (the next row's link is broken)."""

import hashlib
import json
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user

from core.audit.models import AuditEvent
from core.db import bulk_insert, db, utcnow

GENESIS = "0" * 64
# One key for PostgreSQL's transaction-scoped advisory lock that serialises appends to the chain.
CHAIN_LOCK = 0x15214A


def digest(prev_hash: str, row: dict) -> str:
    canonical = json.dumps(
        {
            k: row[k]
            for k in ("created_at", "actor", "organisation", "action", "object_type", "object_id", "ip", "details")
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _last_hash() -> str:
    if db.obj is not None and "postgres" in type(db.obj).__name__.lower():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK,))
    last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    return last.hash if last else GENESIS


@dataclass(frozen=True)
class Ref:
    """An object named by its type and id without loading it (a refused request names what it asked for)."""

    object_type: str
    object_id: str


def _row(action: str, obj, organisation, actor, details: dict) -> dict:
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
    if organisation is None and obj is not None and not isinstance(obj, Ref):
        organisation = getattr(obj, "organisation", None) if not _is_org(obj) else obj
    if isinstance(obj, Ref):
        object_type, object_id = obj.object_type[:64], obj.object_id[:64]
    else:
        object_type = type(obj).__name__.lower() if obj is not None else ""
        object_id = str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else ""
    return {
        "created_at": utcnow().replace(microsecond=0),
        "actor": actor.id if actor else None,
        "organisation": organisation.id if organisation is not None else None,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "ip": ip[:64],
        "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
    }


def record(action: str, obj=None, organisation=None, actor=None, **details) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it describes."""
    row = _row(action, obj, organisation, actor, details)
    with db.atomic():
        prev = _last_hash()
        return AuditEvent.create(prev_hash=prev, hash=digest(prev, row), **row)


def record_many(action: str, obj=None, entries=(), organisation=None, actor=None) -> int:
    """Append one event per entry of ``entries`` (each a dict of details), exactly as many ``record`` calls
    would, chained in turn, in one INSERT per thousand: a batch of orders is a batch of events."""
    base = _row(action, obj, organisation, actor, {})
    rows = []
    with db.atomic():
        prev = _last_hash()
        for details in entries:
            row = {**base, "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)}
            row["prev_hash"], row["hash"] = prev, digest(prev, row)
            prev = row["hash"]
            rows.append(row)
        if rows:
            fields = [AuditEvent._meta.fields[name] for name in rows[0]]
            bulk_insert(AuditEvent, fields, (list(row.values()) for row in rows))
    return len(rows)


def verify(echo=None) -> list[str]:
    """Walk the chain; return a line for every break (an edited row, a deleted one)."""
    problems = []
    prev = GENESIS
    query = AuditEvent.select().order_by(AuditEvent.id)
    for event in query.iterator():
        row = {
            "created_at": event.created_at,
            "actor": event.actor_id,
            "organisation": event.organisation_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "ip": event.ip,
            "details": event.details,
        }
        if event.prev_hash != prev:
            problems.append(f"row {event.id}: the row before it was deleted or changed (broken link)")
        if digest(event.prev_hash, row) != event.hash:
            problems.append(f"row {event.id}: its content was edited ({event.action})")
        prev = event.hash
    return problems


def _is_org(obj) -> bool:
    return type(obj).__name__ == "Organisation"
