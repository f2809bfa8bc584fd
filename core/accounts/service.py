"""Account changes that several screens share: creating users, setting passwords."""

from core import audit
from core.accounts.models import PasswordToken, User, UserSession, normalise_email
from core.auth.passwords import hash_password
from core.db import utcnow
from core.notifications import service as notifications
from core.web import external_url


def set_password(user: User, password: str, keep_session=None) -> None:
    """Store a new password and end the user's other sessions (call inside a transaction)."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    user.save()
    UserSession.end_all(user, except_id=keep_session.id if keep_session else None)


def create_user(organisation, departments=(), **fields) -> User:
    """Create an account and mail its owner a one-time link to set the password (G-3)."""
    fields["email"] = normalise_email(fields["email"])
    user = User.create(organisation=organisation, **fields)
    if departments:
        user.set_departments(departments)
    send_password_link(user, purpose="set")
    audit.record("user.create", user, organisation=organisation, email=user.email, departments=sorted(departments))
    return user


def send_password_link(user: User, purpose: str) -> None:
    token = PasswordToken.issue(user, purpose=purpose)
    link = external_url("auth.set_password", token=token)
    kind = "account_created" if purpose == "set" else "password_reset"
    notifications.send_mail(user, kind, link=link)
