"""A user's second factor (a TOTP secret, encrypted) and the one-time recovery codes, stored hashed."""

import peewee as pw

from core.accounts.models import User
from core.db import BaseModel, utcnow


class UserMfa(BaseModel):
    """One row per user who has a second factor, is enrolling one, or is exempt from needing one."""

    user = pw.ForeignKeyField(User, unique=True, backref="mfa_rows", on_delete="CASCADE")
    # Fernet token of the base32 secret (never the secret itself); set when enrolment starts, kept when
    # it is confirmed, cleared by a reset.
    secret = pw.TextField(null=True)
    confirmed_at = pw.DateTimeField(null=True)
    # The last TOTP time step accepted: a code (or an older one) works once.
    last_step = pw.BigIntegerField(default=0)
    failed_codes = pw.IntegerField(default=0)
    # Part of every "remember this device" cookie: raising it forgets every remembered device at once.
    remember_epoch = pw.IntegerField(default=0)
    # An admin's exemption from the requirement for staff and first heads (the demo accounts have it).
    exempt = pw.BooleanField(default=False)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "user_mfa"

    @property
    def enrolled(self) -> bool:
        return self.confirmed_at is not None and self.secret is not None


class RecoveryCode(BaseModel):
    user = pw.ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=utcnow)
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "mfa_recovery_code"
        indexes = ((("user", "code_hash"), True),)
