"""What signing in does to an account beyond the session: locking it after failed attempts and telling
its owner by e-mail (the login page never says which accounts exist or are locked)."""

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from core import audit
from core.accounts.models import LOCKOUT_AFTER, LOCKOUT_FOR, User
from core.db import utcnow
from core.notifications import service as notifications
from core.web import external_url


def lock(user: User, reason: str) -> None:
    """Lock ``user`` for LOCKOUT_FOR, audit it and mail the owner (call inside the transaction).
    ``reason`` is "password" (wrong passwords) or "code" (wrong second-factor codes)."""
    user.locked_until = utcnow() + LOCKOUT_FOR
    user.failed_logins = 0
    user.save()
    audit.record("login.locked", user, organisation=user.organisation, actor=user, reason=reason)
    until = format_datetime(user.locked_until, "dd.MM.yyyy HH:mm")  # Asia/Almaty, the app's time zone
    if reason == "code":
        message = _l(
            "Вход в вашу учётную запись заблокирован до %(until)s (время Алматы): %(n)s раз подряд был введён "
            "неверный код подтверждения после верного пароля. Если это были не вы, ваш пароль известен "
            "постороннему: смените его по ссылке ниже.",
            until=until,
            n=LOCKOUT_AFTER,
        )
    else:
        message = _l(
            "Вход в вашу учётную запись заблокирован до %(until)s (время Алматы) после %(n)s неудачных попыток "
            "входа. Если это были не вы, кто-то подбирает ваш пароль: задайте новый по ссылке ниже (это же снимает "
            "блокировку).",
            until=until,
            n=LOCKOUT_AFTER,
        )
    notifications.send_mail(user, "account_locked", message=message, link=external_url("auth.forgot_password"))
