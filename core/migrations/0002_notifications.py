"""Cabinet notifications and the outgoing mail queue."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class Notification(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        kind = pw.CharField(max_length=64)
        procedure = pw.CharField(max_length=255, default="")
        executor = pw.CharField(max_length=255, default="")
        message = pw.TextField(default="")
        link = pw.CharField(max_length=500, default="")
        created_at = pw.DateTimeField()
        read_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "notification"
            indexes = ((("user", "read_at"), False), (("user", "created_at"), False))

    class MailMessage(Base):
        to = pw.CharField(max_length=254)
        subject = pw.CharField(max_length=255)
        body = pw.TextField()
        status = pw.CharField(max_length=16, default="pending", index=True)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(default="")
        created_at = pw.DateTimeField()
        claimed_at = pw.DateTimeField(null=True)
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "mail_message"

    db.create_tables([Notification, MailMessage])
