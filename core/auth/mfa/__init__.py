"""The second factor of signing in: TOTP codes from an authenticator app (RFC 6238, through pyotp),
ten one-time recovery codes, and "remember this device" cookies. Required for Exchange staff and first
heads (the people who decide and sign) unless an admin exempts them; optional for everyone else."""

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core import audit
from core.accounts.models import LOCKOUT_AFTER, UserSession
from core.auth.mfa.models import RecoveryCode, UserMfa
from core.db import db, utcnow
from core.notifications import service as notifications

ISSUER = "is2in KASE"
RECOVERY_CODES = 10
# Letters and digits nobody confuses when copying from paper (no 0/O, 1/I/L): 10 of them are ~49 bits,
# so a keyed SHA-256 is enough to store them (no slow hash needed, unlike a password a person chose).
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REMEMBER_COOKIE = "is2in_device"
PENDING_SECONDS = 300  # between the right password and the code


# --- who needs it ---------------------------------------------------------------------------------


def required(user) -> bool:
    """Staff and first heads must have a second factor (when the operator has not switched it off)."""
    return bool(current_app.config.get("MFA_REQUIRED")) and (user.is_staff or user.is_first_head)


def row_for(user) -> UserMfa | None:
    return UserMfa.get_or_none(UserMfa.user == user.id)


def enrolled(user) -> bool:
    row = row_for(user)
    return bool(row and row.enrolled)


def must_enrol(user) -> bool:
    """Signed in but not allowed further until a second factor is set up."""
    if not required(user):
        return False
    row = row_for(user)
    return not (row and (row.enrolled or row.exempt))


def _label(row, is_required: bool) -> str:
    if row and row.enrolled:
        return str(_l("Включён"))
    if row and row.exempt:
        return str(_l("Освобождён"))
    return str(_l("Не включён, обязателен")) if is_required else str(_l("Не включён"))


def state_label(user) -> str:
    """A word for the admin: on, off, exempt, or missing where it is required."""
    return _label(row_for(user), required(user))


def state_labels(users) -> dict[int, str]:
    """``state_label`` for a page of users in two queries, not two per row."""
    from core.accounts.models import OrganisationRole

    users = list(users)
    rows = {r.user_id: r for r in UserMfa.select().where(UserMfa.user.in_([u.id for u in users] or [0]))}
    exchange = {
        r.organisation_id
        for r in OrganisationRole.select(OrganisationRole.organisation).where(OrganisationRole.role == "exchange")
    }
    enforced = bool(current_app.config.get("MFA_REQUIRED"))
    return {
        u.id: _label(rows.get(u.id), enforced and (u.organisation_id in exchange or u.is_first_head)) for u in users
    }


def _row(user) -> UserMfa:
    row = row_for(user)
    if row is None:
        row = UserMfa.create(user=user.id)
    return row


# --- keys -----------------------------------------------------------------------------------------


def _key(purpose: bytes) -> bytes:
    """A key for ``purpose`` derived from IS2IN_MFA_KEY (or, unset, IS2IN_SECRET_KEY), never stored."""
    master = (current_app.config.get("MFA_KEY") or current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"is2in-mfa", info=purpose).derive(master)


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key(b"totp secret")))


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _open(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None  # the key changed: the factor is unusable and must be reset


def _code_hash(code: str) -> str:
    return hmac.new(_key(b"recovery code"), normalise_recovery(code).encode(), hashlib.sha256).hexdigest()


def normalise_recovery(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


# --- enrolment ------------------------------------------------------------------------------------


def has_pending_secret(user) -> bool:
    row = row_for(user)
    return bool(row and not row.enrolled and _open(row.secret))


def pending_secret(user) -> str:
    """The secret being enrolled, made on first call and kept until confirmed (a reload of the page
    shows the same QR code, so a phone that already scanned it still works)."""
    row = _row(user)
    if row.enrolled:
        raise ValueError("already enrolled")
    secret = _open(row.secret)
    if secret is None:
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        UserMfa.update(secret=_seal(secret), updated_at=utcnow()).where(UserMfa.id == row.id).execute()
    return secret


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code as an inline <svg> (no image file, no script: the page's CSP holds)."""
    return segno.make(uri, error="m").svg_inline(scale=5, title=title, svgclass="qr-code")


def group(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The time step (now, or one either side for a slow hand or clock) whose code is ``code`` and
    which is later than ``after``; None when there is none."""
    code = "".join(c for c in (code or "") if not c.isspace())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in (now - 1, now, now + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm(user, code: str) -> list[str] | None:
    """Finish enrolment with the first code from the app: returns the new recovery codes (shown once),
    or None when the code is wrong. Call inside a transaction."""
    row = row_for(user)
    secret = _open(row.secret) if row else None
    if secret is None or row.enrolled:
        return None
    step = _matching_step(secret, code, after=0)
    if step is None:
        return None
    UserMfa.update(
        confirmed_at=utcnow(),
        last_step=step,
        failed_codes=0,
        remember_epoch=UserMfa.remember_epoch + 1,
        updated_at=utcnow(),
    ).where(UserMfa.id == row.id).execute()
    codes = new_recovery_codes(user)
    audit.record("mfa.enrol", user, organisation=user.organisation, actor=user)
    _tell(user, _l("Для входа в вашу учётную запись включён второй фактор: код из приложения-аутентификатора."))
    return codes


def new_recovery_codes(user) -> list[str]:
    """Ten fresh recovery codes; the old ones stop working. Only their hashes are kept."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    codes = [f"{c[:5]}-{c[5:]}" for c in codes]
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    RecoveryCode.insert_many(
        [{"user": user.id, "code_hash": _code_hash(c), "created_at": utcnow()} for c in codes]
    ).execute()
    return codes


def recovery_left(user) -> int:
    return RecoveryCode.select().where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()).count()


# --- signing in -----------------------------------------------------------------------------------


def verify(user, code: str) -> str | None:
    """Check a code from the app ("totp") or a recovery code ("recovery") of an enrolled user; either
    works once, even when two requests race (the UPDATE decides). None when neither matches."""
    row = row_for(user)
    if row is None or not row.enrolled:
        return None
    secret = _open(row.secret)
    step = _matching_step(secret, code, after=row.last_step) if secret else None
    if step is not None:
        taken = (
            UserMfa.update(last_step=step, failed_codes=0)
            .where((UserMfa.id == row.id) & (UserMfa.last_step < step))
            .execute()
        )
        return "totp" if taken else None
    if len(normalise_recovery(code)) == 10:
        used = (
            RecoveryCode.update(used_at=utcnow())
            .where(
                (RecoveryCode.user == user.id)
                & (RecoveryCode.code_hash == _code_hash(code))
                & RecoveryCode.used_at.is_null()
            )
            .execute()
        )
        if used:
            UserMfa.update(failed_codes=0).where(UserMfa.id == row.id).execute()
            return "recovery"
    return None


def failed(user) -> bool:
    """Count a wrong code; the LOCKOUT_AFTER-th in a row locks the account like wrong passwords do.
    Returns True when it locked."""
    from core.auth.service import lock

    row = _row(user)
    UserMfa.update(failed_codes=UserMfa.failed_codes + 1).where(UserMfa.id == row.id).execute()
    count = UserMfa.get_by_id(row.id).failed_codes
    audit.record("mfa.failed", user, organisation=user.organisation, actor=user, attempt=count)
    if count >= LOCKOUT_AFTER:
        UserMfa.update(failed_codes=0).where(UserMfa.id == row.id).execute()
        lock(user, reason="code")
        # Guessing inside a signed-in session (to switch the factor off) ends it as well.
        UserSession.end_all(user)
        return True
    return False


# --- remembered devices ---------------------------------------------------------------------------


def remember_days() -> int:
    return int(current_app.config.get("MFA_REMEMBER_DAYS") or 0)


def _serializer():
    return URLSafeTimedSerializer(_key(b"remember device").hex(), salt="is2in-mfa-device")


def remember_value(user) -> str:
    """The cookie's value: signed, names the user and the current epoch (a reset raises the epoch)."""
    row = row_for(user)
    return _serializer().dumps({"u": user.id, "e": row.remember_epoch, "n": secrets.token_hex(8)})


def is_remembered(user, value: str | None) -> bool:
    days = remember_days()
    row = row_for(user)
    if not value or days <= 0 or row is None or not row.enrolled:
        return False
    try:
        data = _serializer().loads(value, max_age=days * 86400)
    except BadSignature:
        return False
    return data.get("u") == user.id and data.get("e") == row.remember_epoch


def set_remember_cookie(response, user) -> None:
    days = remember_days()
    response.set_cookie(
        REMEMBER_COOKIE,
        remember_value(user),
        max_age=days * 86400,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )


def forget_devices(user) -> None:
    row = _row(user)
    UserMfa.update(remember_epoch=UserMfa.remember_epoch + 1, updated_at=utcnow()).where(UserMfa.id == row.id).execute()


# --- turning it off -------------------------------------------------------------------------------


def remove(user, by=None, operator=False) -> None:
    """Remove the factor: the secret, recovery codes and remembered devices go. ``by`` is the admin who
    reset it (``operator``: the server's operator through `is2in mfa reset`); neither: the user did it.
    A reset also ends every session of the user (a lost phone may be in other hands). Audited; the owner
    is told by e-mail. Call inside a transaction."""
    row = _row(user)
    UserMfa.update(
        secret=None,
        confirmed_at=None,
        last_step=0,
        failed_codes=0,
        remember_epoch=UserMfa.remember_epoch + 1,
        updated_at=utcnow(),
    ).where(UserMfa.id == row.id).execute()
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    if by is None and not operator:
        audit.record("mfa.disable", user, organisation=user.organisation, actor=user)
        _tell(user, _l("Второй фактор входа в вашу учётную запись отключён."))
        return
    UserSession.end_all(user)
    audit.record(
        "mfa.reset", user, organisation=user.organisation, actor=by, email=user.email, via="cli" if operator else "web"
    )
    who = by.full_name if by is not None else _l("оператор сервера")
    _tell(
        user,
        _l(
            "Администратор (%(admin)s) сбросил второй фактор входа в вашу учётную запись, например после потери "
            "телефона. При следующем входе настройте приложение-аутентификатор заново. Если вы об этом не "
            "просили, сообщите в Биржу.",
            admin=who,
        ),
    )


def set_exempt(user, exempt: bool, by) -> None:
    row = _row(user)
    UserMfa.update(exempt=exempt, updated_at=utcnow()).where(UserMfa.id == row.id).execute()
    audit.record("mfa.exempt" if exempt else "mfa.exempt_cleared", user, organisation=user.organisation, actor=by)


def exempt_untouched(user_ids, reason: str) -> list[int]:
    """Exempt those of ``user_ids`` who have no second-factor row yet (the demo accounts, which nobody
    has a phone for). A user who enrolled, or whose exemption an admin cleared, is left as is."""
    have = {r.user_id for r in UserMfa.select(UserMfa.user).where(UserMfa.user.in_(list(user_ids) or [0]))}
    new = sorted(set(user_ids) - have)
    with db.atomic():
        for user_id in new:
            UserMfa.create(user=user_id, exempt=True)
        if new:
            audit.record("mfa.exempt", reason=reason, users=len(new))
    return new


def _tell(user, message) -> None:
    from core.web import external_url

    notifications.send_mail(user, "mfa_changed", message=message, link=external_url("mfa.manage"))
