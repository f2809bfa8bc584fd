"""The audit trail: who did what, when and from where, for every state change."""

import json

from flask import has_request_context, request
from flask_login import current_user

from core.audit.models import AuditEvent


def record(action: str, obj=None, organisation=None, actor=None, **details) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it describes."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
    if organisation is None and obj is not None:
        organisation = getattr(obj, "organisation", None) if not _is_org(obj) else obj
    return AuditEvent.create(
        actor=actor.id if actor else None,
        organisation=organisation.id if organisation is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else "",
        ip=ip[:64],
        details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
    )


def _is_org(obj) -> bool:
    return type(obj).__name__ == "Organisation"
