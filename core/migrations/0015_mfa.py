"""The second factor of signing in: TOTP secrets (encrypted) and one-time recovery codes (hashed)."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class UserMfa(Base):
        user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE")
        secret = pw.TextField(null=True)
        confirmed_at = pw.DateTimeField(null=True)
        last_step = pw.BigIntegerField(default=0)
        failed_codes = pw.IntegerField(default=0)
        remember_epoch = pw.IntegerField(default=0)
        exempt = pw.BooleanField(default=False)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "user_mfa"

    class RecoveryCode(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        code_hash = pw.CharField(max_length=64)
        created_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "mfa_recovery_code"
            indexes = ((("user", "code_hash"), True),)

    db.create_tables([UserMfa, RecoveryCode])
