"""Organisations with their roles, users, staff departments, sessions, one-time links, audit trail."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        code = pw.CharField(max_length=16, unique=True)
        legal_form = pw.CharField(max_length=32)
        name_ru = pw.CharField(max_length=255)
        name_kk = pw.CharField(max_length=255)
        name_en = pw.CharField(max_length=255)
        bin = pw.CharField(max_length=12, unique=True)
        is_active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "organisation"

    class OrganisationRole(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        role = pw.CharField(max_length=16)

        class Meta:
            table_name = "organisation_role"
            indexes = ((("organisation", "role"), True),)

    class User(Base):
        organisation = pw.ForeignKeyField(Organisation)
        email = pw.CharField(max_length=254, unique=True)
        first_name = pw.CharField(max_length=100)
        last_name = pw.CharField(max_length=100)
        middle_name = pw.CharField(max_length=100, default="")
        position = pw.CharField(max_length=200, default="")
        phone = pw.CharField(max_length=32, default="")
        iin = pw.CharField(max_length=12, null=True)
        is_first_head = pw.BooleanField(default=False)
        is_org_admin = pw.BooleanField(default=False)
        is_active = pw.BooleanField(default=True)
        password_hash = pw.CharField(max_length=255, null=True)
        password_changed_at = pw.DateTimeField(null=True)
        must_change_password = pw.BooleanField(default=False)
        failed_logins = pw.IntegerField(default=0)
        locked_until = pw.DateTimeField(null=True)
        last_login_at = pw.DateTimeField(null=True)
        locale = pw.CharField(max_length=5, default="ru")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "users"

    class StaffRole(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        department = pw.CharField(max_length=16)

        class Meta:
            table_name = "staff_role"
            indexes = ((("user", "department"), True),)

    class UserSession(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        last_seen_at = pw.DateTimeField()
        ended_at = pw.DateTimeField(null=True)
        ip = pw.CharField(max_length=64, default="")
        user_agent = pw.CharField(max_length=255, default="")

        class Meta:
            table_name = "user_session"

    class PasswordToken(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        purpose = pw.CharField(max_length=16, default="set")
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "password_token"

    class AuditEvent(Base):
        created_at = pw.DateTimeField(index=True)
        actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        organisation = pw.ForeignKeyField(Organisation, null=True, on_delete="SET NULL")
        action = pw.CharField(max_length=64, index=True)
        object_type = pw.CharField(max_length=64, default="")
        object_id = pw.CharField(max_length=64, default="")
        ip = pw.CharField(max_length=64, default="")
        details = pw.TextField(default="{}")

        class Meta:
            table_name = "audit_event"

    db.create_tables([Organisation, OrganisationRole, User, StaffRole, UserSession, PasswordToken, AuditEvent])
