"""Sign in, sign out, set a password from a one-time link, change an expired one (G-4, G-8)."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core import audit, clock
from core.access import login_required, public
from core.accounts.models import LOCKOUT_AFTER, LOCKOUT_FOR, PasswordToken, User, UserSession, normalise_email
from core.accounts.service import send_password_link, set_password
from core.auth import mfa
from core.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from core.auth.mfa import views as mfa_views
from core.auth.passwords import hash_password, needs_rehash, verify_decoy, verify_password
from core.auth.service import lock
from core.db import db, utcnow
from core.security import limiter

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cabinet.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        error, response = _attempt_login(form.email.data, form.password.data)
        if response is not None:
            return response
    return render_template("auth/login.html", form=form, error=error), 200 if error is None else 401


def _attempt_login(email: str, password: str):
    """Return (error message, None) or (None, redirect response).

    Every refusal is the same message, status and work (one Argon2 verification), whether the address
    is unknown, the password wrong, the account locked, switched off or still without a password: the
    page must not tell anyone which addresses have accounts. The owner learns of a lockout by e-mail."""
    refused = _(
        "Неверный адрес электронной почты или пароль. После %(n)s неудачных попыток подряд вход "
        "блокируется на %(m)s минут, и владелец учётной записи получает письмо. Забыли пароль или ещё не "
        "задали его — нажмите «Забыли пароль?».",
        n=LOCKOUT_AFTER,
        m=int(LOCKOUT_FOR.total_seconds() // 60),
    )
    with db.atomic():
        user = User.by_email(email)
        if user is None or not user.is_active or not user.organisation.is_active or user.password_hash is None:
            verify_decoy(password)
            if user is None:
                reason = "unknown"
            elif not user.is_active or not user.organisation.is_active:
                reason = "inactive"
            else:
                reason = "no_password"
            audit.record("login.failed", email=normalise_email(email), reason=reason)
            return refused, None
        right = verify_password(user.password_hash, password)
        if user.is_locked():
            audit.record("login.failed", user, organisation=user.organisation, actor=user, reason="locked")
            return refused, None
        if not right:
            user.failed_logins += 1
            if user.failed_logins >= LOCKOUT_AFTER:
                lock(user, reason="password")
            else:
                user.save()
                audit.record("login.failed", user, organisation=user.organisation, actor=user, reason="password")
            return refused, None
        if user.suspended_at is not None:
            # Told only to someone who knows the password, so it reveals nothing to a stranger.
            audit.record("login.failed", user, organisation=user.organisation, actor=user, reason="suspended")
            return (
                _(
                    "Доступ к вашей учётной записи приостановлен с %(date)s: администратор вашей организации не "
                    "подтвердил список её пользователей в срок. Данные сохранены. Попросите администратора "
                    "организации подтвердить список (раздел «Подтверждение пользователей») или обратитесь к "
                    "администратору Биржи.",
                    date=clock.date_of(user.suspended_at).strftime("%d.%m.%Y"),
                ),
                None,
            )
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.save()
        next_url = _safe_next(request.args.get("next"))
        if mfa.enrolled(user) and not mfa.is_remembered(user, request.cookies.get(mfa.REMEMBER_COOKIE)):
            _fresh_session()
            return None, mfa_views.begin(user, next_url)
        method = "remembered" if mfa.enrolled(user) else "password"
    return None, finish_login(user, next_url, method=method)


def _fresh_session():
    # Nothing from the anonymous session carries over into a signed-in one (or into a half-signed one).
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def finish_login(user, next_url: str | None, method: str):
    """Sign ``user`` in (every factor the account needs was given) and say where to go next."""
    with db.atomic():
        first_login = user.last_login_at is None
        User.update(last_login_at=utcnow(), failed_logins=0).where(User.id == user.id).execute()
        _fresh_session()
        session.permanent = True
        sess = UserSession.start(user, ip=request.remote_addr or "", user_agent=request.user_agent.string)
        user.session = sess
        login_user(user)
        audit.record("login", user, organisation=user.organisation, actor=user, method=method)

    if user.password_expired():
        return redirect(url_for("auth.change_password"))  # the page itself says why
    if mfa.must_enrol(user):
        return redirect(url_for("mfa.setup"))  # the page itself says why
    if first_login:
        flash(_("Вы вошли в систему впервые. Рекомендуем сменить пароль в разделе «Редактировать профиль»."), "info")
        from core.workflow.engine import waiting_task

        task = waiting_task(user)  # a first head told by e-mail that an application waits for him lands on it
        return redirect(url_for("workflow.application", app_id=task.id) if task else url_for("cabinet.profile"))
    return redirect(next_url or url_for("cabinet.home"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    with db.atomic():
        current_user.session.end()
        audit.record("logout", current_user, organisation=current_user.organisation)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/set/<token>", methods=["GET", "POST"], endpoint="set_password")
@public
def set_password_view(token):
    row = PasswordToken.find_valid(token)
    if row is None:
        return render_template("auth/link_invalid.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        with db.atomic():
            row = PasswordToken.find_valid(token)  # re-read: the link works once, even on a double click
            if row is None:
                return render_template("auth/link_invalid.html"), 410
            user = row.user
            PasswordToken.update(used_at=utcnow()).where(PasswordToken.id == row.id).execute()
            set_password(user, form.new_password.data)
            audit.record("password.set", user, organisation=user.organisation, actor=user, purpose=row.purpose)
        if current_user.is_authenticated:
            logout_user()
        flash(_("Пароль сохранён. Войдите с новым паролем."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=row.user)


@bp.route("/password/change", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(current_user)
    if form.validate_on_submit():
        with db.atomic():
            set_password(current_user, form.new_password.data, keep_session=current_user.session)
            audit.record("password.change", current_user, organisation=current_user.organisation)
        flash(_("Пароль изменён."), "success")
        return redirect(url_for("cabinet.home"))
    return render_template("auth/change_password.html", form=form, expired=current_user.password_expired())


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with db.atomic():
            user = User.by_email(form.email.data)
            if user is not None and user.is_active:
                send_password_link(user, purpose="reset")
                audit.record("password.reset_requested", user, organisation=user.organisation, actor=user)
        # The same answer whether or not the address is known, so nobody can probe for accounts.
        flash(_("Если такой адрес зарегистрирован, на него отправлена ссылка для смены пароля."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/agreement")
@public
def agreement():
    return render_template("auth/agreement.html")
