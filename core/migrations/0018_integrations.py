"""Webhook endpoints, events, deliveries and attempts; the organisations' read-only API keys (issue #19.4)."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class User(Base):
        class Meta:
            table_name = "users"

    class WebhookEndpoint(Base):
        organisation = pw.ForeignKeyField(Organisation)
        url = pw.CharField(max_length=2000)
        description = pw.CharField(max_length=200, default="")
        secret = pw.CharField(max_length=128)
        created_by = pw.ForeignKeyField(User)
        created_at = pw.DateTimeField()
        secret_rotated_at = pw.DateTimeField(null=True)
        disabled_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "webhook_endpoint"

    class WebhookEvent(Base):
        uid = pw.CharField(max_length=36, unique=True)
        organisation = pw.ForeignKeyField(Organisation)
        type = pw.CharField(max_length=64)
        body = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "webhook_event"

    class WebhookDelivery(Base):
        endpoint = pw.ForeignKeyField(WebhookEndpoint, on_delete="CASCADE")
        event = pw.ForeignKeyField(WebhookEvent, on_delete="CASCADE")
        status = pw.CharField(max_length=16, default="pending", index=True)
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField(index=True)
        claimed_at = pw.DateTimeField(null=True)
        delivered_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "webhook_delivery"

    class WebhookAttempt(Base):
        delivery = pw.ForeignKeyField(WebhookDelivery, on_delete="CASCADE")
        started_at = pw.DateTimeField()
        status_code = pw.IntegerField(null=True)
        duration_ms = pw.IntegerField(default=0)
        error = pw.TextField(default="")

        class Meta:
            table_name = "webhook_attempt"

    class ApiKey(Base):
        organisation = pw.ForeignKeyField(Organisation)
        created_by = pw.ForeignKeyField(User)
        name = pw.CharField(max_length=100)
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)
        last_used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "org_api_key"

    db.create_tables([WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt, ApiKey])
