"""The audit trail: who did what, when and from where, for every state change.

It is append-only (database triggers refuse UPDATE and DELETE) and chained with a key kept outside the
database: each row's ``hash`` is HMAC-SHA256(key, previous hash + the row's content). So `is2in audit
verify` finds an edited row (its MAC no longer matches), a deleted one (the next row's link is broken)
and a chain recomputed by someone with database access but without the key (no row matches). The head
of the chain is anchored outside the database at intervals (``anchor``: an append-only file of the head's
row id and MAC, each line itself MACed); a trail whose head is behind the last anchor lost its newest
rows, and verify says so."""

import contextlib
import datetime
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context, has_request_context, request
from flask_login import current_user

from core.audit.models import AuditEvent
from core.db import Prepared, bulk_insert, db, utcnow

GENESIS = "0" * 64
# One key for PostgreSQL's transaction-scoped advisory lock that serialises appends to the chain.
CHAIN_LOCK = 0x15214A

log = logging.getLogger("is2in.audit")
# The key of the app made last, for code that runs outside an app context (tests, scripts).
_fallback = {"key": None, "anchor_file": None}


def chain_key() -> bytes:
    """The chain's secret (IS2IN_AUDIT_KEY, or the instance folder's ``audit_key`` file)."""
    key = current_app.config.get("AUDIT_KEY") if has_app_context() else _fallback["key"]
    if not key:
        raise RuntimeError("no audit key: set IS2IN_AUDIT_KEY or let the app create instance/audit_key")
    return key.encode() if isinstance(key, str) else key


def anchor_file() -> Path:
    path = current_app.config.get("AUDIT_ANCHOR_FILE") if has_app_context() else _fallback["anchor_file"]
    if not path:
        raise RuntimeError("no audit anchor file configured (IS2IN_AUDIT_ANCHOR_FILE)")
    return Path(path)


def digest(prev_hash: str, row: dict, key: bytes | None = None) -> str:
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
    return hmac.new(key or chain_key(), (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def _last_hash() -> str:
    if db.obj is not None and "postgres" in type(db.obj).__name__.lower():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK,))
    last = _LAST.first()  # every audited change reads it: its SQL written once per process
    return last[0] if last else GENESIS


_LAST = Prepared(lambda: AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1).tuples())


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
    key = chain_key()
    # Called (as it should be) inside the change's own transaction, it adds no savepoint of its own: a failure
    # here raises through that transaction, which rolls back with it; a savepoint cost every API order two
    # statements more (issue #20). Called outside one, its rows are still written all or none.
    with contextlib.nullcontext() if db.in_transaction() else db.atomic():
        prev = _last_hash()
        for details in entries:
            row = {**base, "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)}
            row["prev_hash"], row["hash"] = prev, digest(prev, row, key)
            prev = row["hash"]
            rows.append(row)
        if rows:
            fields = [AuditEvent._meta.fields[name] for name in rows[0]]
            bulk_insert(AuditEvent, fields, (list(row.values()) for row in rows))
    return len(rows)


def verify(echo=None, anchors: bool = True) -> list[str]:
    """Walk the chain with the key; return a line for every break (an edited row, a deleted one, a chain
    recomputed without the key) and, against the anchors outside the database, every anchored row that is
    missing or different (the newest rows removed, or the trail rewritten after the anchor)."""
    key = chain_key()
    problems = []
    anchored = _read_anchors(key, problems) if anchors else {}
    prev = GENESIS
    rows = mismatched = 0
    last_id = 0
    query = AuditEvent.select().order_by(AuditEvent.id)
    for event in query.iterator():
        rows += 1
        last_id = event.id
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
        if digest(event.prev_hash, row, key) != event.hash:
            mismatched += 1
            problems.append(f"row {event.id}: its content was edited ({event.action})")
        mark = anchored.pop(event.id, None)
        if mark is not None and mark["hash"] != event.hash:
            problems.append(f"row {event.id}: differs from the anchor of {mark['at']} (the trail was rewritten)")
        prev = event.hash
    if rows and mismatched == rows:
        problems.append("no row matches the key: the chain was recomputed without it, or IS2IN_AUDIT_KEY is wrong")
    for row_id, mark in sorted(anchored.items()):
        if row_id > last_id:
            problems.append(
                f"row {row_id}: anchored at {mark['at']} but the trail ends at row {last_id} "
                "(the newest rows were removed)"
            )
        else:
            problems.append(f"row {row_id}: anchored at {mark['at']} but missing (deleted)")
    return problems


def _anchor_mac(key: bytes, at: str, row_id: int, head: str) -> str:
    return hmac.new(key, f"anchor|{at}|{row_id}|{head}".encode(), hashlib.sha256).hexdigest()


def _read_anchors(key: bytes, problems: list) -> dict[int, dict]:
    """The anchors in the file, by row id; a line not MACed with the key is reported, not trusted."""
    path = anchor_file()
    found = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                mark = json.loads(line)
                good = hmac.compare_digest(mark["mac"], _anchor_mac(key, mark["at"], int(mark["id"]), mark["hash"]))
            except (ValueError, KeyError, TypeError):
                good = False
            if not good:
                problems.append(f"anchor line {number}: not written with this key (forged or damaged)")
                continue
            found[int(mark["id"])] = mark
    return found


def last_anchor() -> dict | None:
    path = anchor_file()
    if not path.exists():
        return None
    last = None
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                last = line
    try:
        return json.loads(last) if last else None
    except ValueError:
        return None


def anchor() -> dict | None:
    """Append the chain's head (row id and MAC) to the anchor file outside the database, unless it is
    already the last anchor. Returns the anchor written, or None when there was nothing new."""
    head = AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    if head is None:
        return None
    previous = last_anchor()
    if previous and previous.get("id") == head.id and previous.get("hash") == head.hash:
        return None
    at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mark = {"at": at, "id": head.id, "hash": head.hash, "mac": _anchor_mac(chain_key(), at, head.id, head.hash)}
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: every writer adds at the end, never over a line; 0600 like the key beside it.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(mark, separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    log.info("audit anchor: row %s %s", head.id, head.hash)
    return mark


def anchor_job() -> str:
    """Periodic: anchor the head (IS2IN_AUDIT_ANCHOR_MINUTES)."""
    mark = anchor()
    return f"anchored row {mark['id']}" if mark else "head unchanged"


def init_app(app) -> None:
    from huey import crontab

    from core import tasks

    _fallback["key"] = app.config.get("AUDIT_KEY")
    _fallback["anchor_file"] = app.config.get("AUDIT_ANCHOR_FILE")
    minutes = int(app.config.get("AUDIT_ANCHOR_MINUTES") or 60)
    schedule = crontab(minute="0", hour=f"*/{minutes // 60}") if minutes >= 60 else crontab(minute=f"*/{minutes}")
    tasks.periodic(app, anchor_job, schedule)


def _is_org(obj) -> bool:
    return type(obj).__name__ == "Organisation"
