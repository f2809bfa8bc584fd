"""Cabinet notifications and the outgoing mail queue (a transactional outbox)."""

import peewee as pw

from core.accounts.models import User
from core.db import BaseModel, Prepared, Slot, utcnow


class Notification(BaseModel):
    """One line of "Уведомления" (G-8.1): procedure name, current executor (author) and time."""

    user = pw.ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = pw.CharField(max_length=64)
    procedure = pw.CharField(max_length=255, default="")
    executor = pw.CharField(max_length=255, default="")
    message = pw.TextField(default="")
    # the procedure and the message in every language when they were catalogue strings (migration 0017)
    procedure_i18n = pw.TextField(default="")
    message_i18n = pw.TextField(default="")
    link = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=utcnow)
    read_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "notification"
        indexes = ((("user", "read_at"), False), (("user", "created_at"), False))

    @property
    def procedure_text(self) -> str:
        """The procedure's name in the reader's language (issue 15)."""
        from core.i18n import in_reader_language

        return in_reader_language(self.procedure, self.procedure_i18n)

    @property
    def message_text(self) -> str:
        """The message in the reader's language (issue 15)."""
        from core.i18n import in_reader_language

        return in_reader_language(self.message, self.message_i18n)

    @property
    def kind_label(self):
        from flask import current_app

        kind = current_app.extensions["is2in.notification_kinds"].get(self.kind)
        return kind.label if kind else self.kind

    @classmethod
    def for_user(cls, user):
        return cls.select().where(cls.user == user).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def unread_count(cls, user) -> int:
        return _UNREAD.first(user=user)[0]


# Every page's frame shows it: the query is built once per process (core.db.Prepared).
_UNREAD = Prepared(
    lambda: (
        Notification.select(pw.fn.COUNT(Notification.id))
        .where((Notification.user == Slot("user")) & Notification.read_at.is_null())
        .tuples()
    )
)


class MailMessage(BaseModel):
    """A mail to send. Written in the same transaction as the change that causes it, then sent by a
    worker; ``status`` goes pending -> sending -> sent, or failed after the last retry."""

    to = pw.CharField(max_length=254)
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    status = pw.CharField(max_length=16, default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    claimed_at = pw.DateTimeField(null=True)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "mail_message"

    @property
    def display_body(self) -> str:
        """The body as staff may read it: one-time links (set a password) are the addressee's alone."""
        from core.notifications.service import redact_one_time_links

        return redact_one_time_links(self.body)
