"""Organisations, their roles, users, Exchange departments, server-side sessions and one-time links."""

import datetime
import hashlib
import secrets

import peewee as pw
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from core.db import BaseModel, Prepared, Slot, utcnow
from core.registry import LiveMap, departments

# Organisation roles (G-1.2, S-1.2). "exchange" marks the Exchange itself: its users are staff.
ORG_ROLES = {
    "issuer": _l("Инициатор допуска / эмитент"),
    "consultant": _l("Финансовый консультант"),
    "auditor": _l("Аудиторская организация"),
    "candidate": _l("Кандидат в члены Биржи"),
    "member": _l("Член Биржи"),
    "csd": _l("Центральный депозитарий"),
    "control": _l("Пользователь системы контроля и обеспечения"),
    "exchange": _l("Биржа"),
}

# The core's own departments of Exchange staff (with their place among all departments): the office registers,
# the board and management read, admins and security manage. The departments that review procedures (listing,
# auditors, monitoring, trading...) are declared by their plugins (``is2in_departments``, core.registry).
CORE_DEPARTMENTS = {
    "office": (_l("Канцелярия"), 4),
    "board": (_l("Член Правления"), 6),
    "management": (_l("Правление"), 7),
    "admin": (_l("Администратор"), 8),
    # Reads the refused requests (/staff/security) and the audit journal's evidence; manages nothing.
    "security": (_l("Служба безопасности"), 9),
}

# Every department of the current app, code -> label: the core's and the installed plugins'.
DEPARTMENTS = LiveMap(departments, lambda d: d.label)

PASSWORD_LIFETIME = datetime.timedelta(days=60)  # G-8.2
LOCKOUT_AFTER = 5
LOCKOUT_FOR = datetime.timedelta(minutes=15)
SET_PASSWORD_LINK_LIFETIME = datetime.timedelta(days=3)


# The stored (Russian) legal form in Kazakh and English; Kazakh and English put it after the name.
LEGAL_FORMS = {
    "АО": {"kk": "АҚ", "en": "JSC"},
    "ТОО": {"kk": "ЖШС", "en": "LLP"},
    "НАО": {"kk": "КеАҚ", "en": "NJSC"},
    "ИП": {"kk": "ЖК", "en": "IE"},
    "ГУ": {"kk": "ММ", "en": "SI"},
    "РГП": {"kk": "РМК", "en": "RSE"},
}


class Organisation(BaseModel):
    code = pw.CharField(max_length=16, unique=True)
    legal_form = pw.CharField(max_length=32)
    name_ru = pw.CharField(max_length=255)
    name_kk = pw.CharField(max_length=255)
    name_en = pw.CharField(max_length=255)
    bin = pw.CharField(max_length=12, unique=True)
    is_active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "organisation"

    @property
    def name(self) -> str:
        """The name in the reader's language."""
        lang = str(get_locale() or "ru")
        return getattr(self, f"name_{lang}", None) or self.name_ru

    @property
    def display_name(self) -> str:
        """The legal form and name as the reader's language writes them: «Қазақстан қор биржасы» АҚ,
        Kazakhstan Stock Exchange JSC, АО «Казахстанская фондовая биржа» (issue 15)."""
        lang = str(get_locale() or "ru")
        form = LEGAL_FORMS.get(self.legal_form, {}).get(lang)
        if form is None:
            return f"{self.legal_form} «{self.name}»"
        return f"«{self.name}» {form}" if lang == "kk" else f"{self.name} {form}"

    @property
    def roles(self) -> set[str]:
        if not hasattr(self, "_roles"):
            self._roles = {role for (role,) in _ROLES.rows(organisation=self.id)}
        return self._roles

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_exchange(self) -> bool:
        return self.has_role("exchange")

    def set_roles(self, roles) -> None:
        OrganisationRole.delete().where(OrganisationRole.organisation == self).execute()
        OrganisationRole.insert_many(
            [(self.id, r) for r in sorted(set(roles))], fields=[OrganisationRole.organisation, OrganisationRole.role]
        ).execute()
        self._roles = set(roles)

    @classmethod
    def with_role(cls, role: str, active_only=True):
        query = cls.select().join(OrganisationRole).where(OrganisationRole.role == role)
        if active_only:
            query = query.where(cls.is_active == True)  # noqa: E712
        return query.order_by(cls.name_ru)

    @classmethod
    def exchange(cls):
        return cls.with_role("exchange", active_only=False).first()


class OrganisationRole(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="role_rows", on_delete="CASCADE")
    role = pw.CharField(max_length=16)

    class Meta:
        table_name = "organisation_role"
        indexes = ((("organisation", "role"), True),)


class User(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="users")
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
    # Set when the organisation's admin did not confirm its users in time (core/confirmation): the account
    # stays, cannot sign in, and comes back with the admin's confirmation or an Exchange admin's restore.
    suspended_at = pw.DateTimeField(null=True)
    locale = pw.CharField(max_length=5, default="ru")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "users"

    # flask-login protocol: the id it keeps in the cookie is the server-side session's token.
    is_authenticated = True
    is_anonymous = False
    session = None

    def get_id(self):
        return self.session.token if self.session else None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_staff(self) -> bool:
        return self.organisation.is_exchange

    @property
    def departments(self) -> set[str]:
        if not hasattr(self, "_departments"):
            self._departments = {d for (d,) in _DEPARTMENTS.rows(user=self.id)} if self.is_staff else set()
        return self._departments

    def in_department(self, *departments) -> bool:
        return bool(self.departments & set(departments))

    def set_departments(self, departments) -> None:
        StaffRole.delete().where(StaffRole.user == self).execute()
        if departments:
            StaffRole.insert_many(
                [(self.id, d) for d in sorted(set(departments))], fields=[StaffRole.user, StaffRole.department]
            ).execute()
        self._departments = set(departments)

    @property
    def is_admin(self) -> bool:
        return self.is_staff and "admin" in self.departments

    def password_expired(self, now=None) -> bool:
        if self.must_change_password:
            return True
        if self.password_changed_at is None:
            return True
        return (now or utcnow()) - self.password_changed_at > PASSWORD_LIFETIME

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    @classmethod
    def by_email(cls, email: str):
        return cls.get_or_none(cls.email == normalise_email(email))

    @classmethod
    def active_in(cls, organisation):
        return (
            cls.select()
            .where((cls.organisation == organisation) & (cls.is_active == True))  # noqa: E712
            .order_by(cls.last_name, cls.first_name)
        )


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class StaffRole(BaseModel):
    user = pw.ForeignKeyField(User, backref="staff_roles", on_delete="CASCADE")
    department = pw.CharField(max_length=16)

    class Meta:
        table_name = "staff_role"
        indexes = ((("user", "department"), True),)


# Read on every signed-in request (who is staff, the menu's role set): their SQL is built once (core.db.Prepared).
_ROLES = Prepared(
    lambda: (
        OrganisationRole.select(OrganisationRole.role)
        .where(OrganisationRole.organisation == Slot("organisation"))
        .tuples()
    )
)
_DEPARTMENTS = Prepared(lambda: StaffRole.select(StaffRole.department).where(StaffRole.user == Slot("user")).tuples())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(BaseModel):
    """A signed-in browser. Kept in the database so that "Выйти", the idle timeout and a password
    change end it in every app process at once."""

    user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_seen_at = pw.DateTimeField(default=utcnow)
    ended_at = pw.DateTimeField(null=True)
    ip = pw.CharField(max_length=64, default="")
    user_agent = pw.CharField(max_length=255, default="")

    class Meta:
        table_name = "user_session"

    token = None  # the clear token exists only in the cookie and in this process for this request

    @classmethod
    def start(cls, user, ip="", user_agent=""):
        token = secrets.token_urlsafe(32)
        sess = cls.create(user=user, token_hash=_digest(token), ip=ip[:64], user_agent=user_agent[:255])
        sess.token = token
        return sess

    @classmethod
    def lookup(cls, token: str, idle: datetime.timedelta):
        """The live session for ``token`` with its user and organisation, or None; touches last_seen."""
        now = utcnow()
        row = _SESSION.first(token_hash=_digest(token))
        if row is None or not row.user.is_active or row.user.suspended_at is not None:
            return None
        if now - row.last_seen_at > idle:
            row.end()
            return None
        if now - row.last_seen_at > datetime.timedelta(seconds=60):
            cls.update(last_seen_at=now).where(cls.id == row.id).execute()
        row.token = token
        return row

    def end(self):
        UserSession.update(ended_at=utcnow()).where(UserSession.id == self.id).execute()

    @classmethod
    def end_all(cls, user, except_id=None):
        query = cls.update(ended_at=utcnow()).where((cls.user == user) & cls.ended_at.is_null())
        if except_id:
            query = query.where(cls.id != except_id)
        query.execute()


# Every signed-in request starts here: the query is built once per process (core.db.Prepared).
_SESSION = Prepared(
    lambda: (
        UserSession.select(UserSession, User, Organisation)
        .join(User)
        .join(Organisation)
        .where((UserSession.token_hash == Slot("token_hash")) & UserSession.ended_at.is_null())
        .limit(1)
    )
)


class PasswordToken(BaseModel):
    """A one-time link to set a password (new accounts) or reset it."""

    user = pw.ForeignKeyField(User, backref="password_tokens", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    purpose = pw.CharField(max_length=16, default="set")
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "password_token"

    @classmethod
    def issue(cls, user, purpose="set") -> str:
        # Only the newest link works: issuing one retires the older ones.
        cls.update(used_at=utcnow()).where((cls.user == user) & cls.used_at.is_null()).execute()
        token = secrets.token_urlsafe(32)
        cls.create(
            user=user, token_hash=_digest(token), purpose=purpose, expires_at=utcnow() + SET_PASSWORD_LINK_LIFETIME
        )
        return token

    @classmethod
    def find_valid(cls, token: str):
        row = cls.get_or_none(cls.token_hash == _digest(token or ""))
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            return None
        return row
