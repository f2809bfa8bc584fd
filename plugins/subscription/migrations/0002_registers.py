"""The registers' own tables: the progress rows of registers being produced or checked, and the seller's
calling a subscription off (frozen here; the live models are in plugins/subscription/models.py)."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class StoredFile(Base):
        class Meta:
            table_name = "stored_file"

    class Subscription(Base):
        class Meta:
            table_name = "subscription"

    class Register(Base):
        class Meta:
            table_name = "subscription_register"

    class RegisterJob(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        kind = pw.CharField(max_length=12)
        format = pw.CharField(max_length=4)
        params = pw.TextField(default="{}")
        status = pw.CharField(max_length=12, default="pending", index=True)
        total = pw.IntegerField(default=0)
        done = pw.IntegerField(default=0)
        file = pw.ForeignKeyField(StoredFile, null=True)
        register = pw.ForeignKeyField(Register, null=True, on_delete="SET NULL")
        original_name = pw.CharField(max_length=255, default="")
        errors = pw.TextField(default="[]")
        message = pw.TextField(default="")
        requested_by = pw.ForeignKeyField(User, null=True)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "subscription_register_job"
            indexes = [(("subscription", "kind"), False)]

    class CallOff(Base):
        subscription = pw.ForeignKeyField(Subscription, unique=True, on_delete="CASCADE")
        reason = pw.TextField()
        letter = pw.ForeignKeyField(StoredFile, null=True)
        called_by = pw.ForeignKeyField(User)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_call_off"

    db.create_tables([RegisterJob, CallOff])
