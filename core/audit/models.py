"""The audit event table."""

import json

import peewee as pw

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow


class AuditEvent(BaseModel):
    created_at = pw.DateTimeField(default=utcnow, index=True)
    actor = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    organisation = pw.ForeignKeyField(Organisation, null=True, backref="+", on_delete="SET NULL")
    action = pw.CharField(max_length=64, index=True)
    object_type = pw.CharField(max_length=64, default="")
    object_id = pw.CharField(max_length=64, default="")
    ip = pw.CharField(max_length=64, default="")
    details = pw.TextField(default="{}")
    prev_hash = pw.CharField(max_length=64, default="")
    hash = pw.CharField(max_length=64, default="")

    class Meta:
        table_name = "audit_event"

    @property
    def data(self) -> dict:
        return json.loads(self.details or "{}")
