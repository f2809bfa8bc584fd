"""Webhook endpoints, the events sent to them and each delivery's attempts; the organisation's API keys."""

import json

import peewee as pw

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow

DELIVERY_STATUSES = {"pending": "pending", "sending": "sending", "delivered": "delivered", "failed": "failed"}


class WebhookEndpoint(BaseModel):
    """An https URL an organisation admin registered. The secret signs every delivery (HMAC-SHA256), so it
    is kept as issued: it is shown once, at creation or rotation, and never on a page again."""

    organisation = pw.ForeignKeyField(Organisation, backref="+")
    url = pw.CharField(max_length=2000)
    description = pw.CharField(max_length=200, default="")
    secret = pw.CharField(max_length=128)
    created_by = pw.ForeignKeyField(User, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    secret_rotated_at = pw.DateTimeField(null=True)
    disabled_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "webhook_endpoint"

    @classmethod
    def active_for(cls, organisation_id):
        return cls.select().where((cls.organisation == organisation_id) & cls.disabled_at.is_null())


class WebhookEvent(BaseModel):
    """One status change, as the JSON body every endpoint of the organisation receives (``uid`` is the
    event id receivers deduplicate on)."""

    uid = pw.CharField(max_length=36, unique=True)
    organisation = pw.ForeignKeyField(Organisation, backref="+")
    type = pw.CharField(max_length=64)
    body = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_event"

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class WebhookDelivery(BaseModel):
    """One event to one endpoint: pending until an attempt gets a 2xx, retried on the backoff, failed after
    the last attempt (an admin may replay it)."""

    endpoint = pw.ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE")
    event = pw.ForeignKeyField(WebhookEvent, backref="deliveries", on_delete="CASCADE")
    status = pw.CharField(max_length=16, default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow, index=True)
    claimed_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_delivery"


class WebhookAttempt(BaseModel):
    """One POST: when, the answer's status code (None when no answer came), how long, and the error."""

    delivery = pw.ForeignKeyField(WebhookDelivery, backref="attempt_rows", on_delete="CASCADE")
    started_at = pw.DateTimeField(default=utcnow)
    status_code = pw.IntegerField(null=True)
    duration_ms = pw.IntegerField(default=0)
    error = pw.TextField(default="")

    class Meta:
        table_name = "webhook_attempt"


class ApiKey(BaseModel):
    """A read-only key of an organisation for /api/v1/applications: only its SHA-256 is kept; it ends at
    ``expires_at`` or when revoked."""

    organisation = pw.ForeignKeyField(Organisation, backref="+")
    created_by = pw.ForeignKeyField(User, backref="+")
    name = pw.CharField(max_length=100)
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "org_api_key"

    @property
    def live(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()
