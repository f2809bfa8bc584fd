"""Pages of the second factor: the code after the password, enrolment with a QR code, the user's own
settings ("Вход с кодом" in the profile), and the admin's reset and exemption for a user."""

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import login_required, public, staff_required
from core.accounts.models import LOCKOUT_FOR, User
from core.auth import mfa
from core.auth.mfa.forms import CodeForm, SetupForm, SignInCodeForm
from core.db import db
from core.security import limiter
from core.web import render

bp = Blueprint("mfa", __name__, template_folder="templates")


def _code_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


# --- after the password ---------------------------------------------------------------------------


def begin(user, next_url: str | None):
    """The password was right and a code is due: remember who, for a few minutes, in the (signed)
    session, and ask for the code. Nothing is signed in yet."""
    session["mfa_pending"] = {"uid": user.id, "at": int(time.time()), "next": next_url or ""}
    audit.record("login.password_ok", user, organisation=user.organisation, actor=user)
    return redirect(url_for("mfa.verify"))


def _pending_user():
    pending = session.get("mfa_pending")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > mfa.PENDING_SECONDS:
        return None
    user = User.get_or_none(User.id == pending.get("uid"))
    if user is None or not user.is_active or not user.organisation.is_active or user.is_locked():
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
@public
def verify():
    from core.auth.views import finish_login

    user = _pending_user()
    if user is None:
        session.pop("mfa_pending", None)
        flash(_("Время на ввод кода истекло. Войдите снова."), "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    error = None
    if form.validate_on_submit():
        locked = False
        with db.atomic():
            method = mfa.verify(user, form.code.data)
            if method is None:
                locked = mfa.failed(user)
        if method is None and locked:
            session.pop("mfa_pending", None)
            flash(
                _(
                    "Слишком много неверных кодов: вход заблокирован на %(m)s минут, владельцу учётной записи "
                    "отправлено письмо.",
                    m=int(LOCKOUT_FOR.total_seconds() // 60),
                ),
                "danger",
            )
            return redirect(url_for("auth.login"))
        if method is None:
            error = _("Неверный код. Введите шесть цифр, которые приложение показывает сейчас, или код восстановления.")
        else:
            next_url = session["mfa_pending"].get("next") or None
            response = finish_login(user, next_url, method=method)
            if form.remember.data and mfa.remember_days() > 0:
                mfa.set_remember_cookie(response, user)
            if method == "recovery":
                left = mfa.recovery_left(user)
                flash(
                    _(
                        "Вы вошли по коду восстановления; он больше не действует. Осталось кодов: %(n)s. "
                        "Создайте новые в разделе «Вход с кодом подтверждения».",
                        n=left,
                    ),
                    "warning",
                )
            return response
    status = 401 if error else 200
    return render_template("mfa/verify.html", form=form, error=error, days=mfa.remember_days()), status


# --- enrolment ------------------------------------------------------------------------------------


@bp.route("/cabinet/security/setup", methods=["GET", "POST"])
@login_required
def setup():
    user = current_user._get_current_object()
    if mfa.enrolled(user):
        return redirect(url_for("mfa.manage"))
    form = SetupForm()
    error = None
    if request.method == "POST" and not mfa.has_pending_secret(user):
        # A code for a key this user was never shown (the page was not opened, or reset meanwhile).
        flash(_("Отсканируйте QR-код ниже и введите код из приложения."), "info")
        return redirect(url_for("mfa.setup"))
    if form.validate_on_submit():
        with db.atomic():
            codes = mfa.confirm(user, form.code.data)
        if codes is not None:
            return render("mfa/recovery_codes.html", codes=codes, first=True)
        error = _("Код не подошёл. Проверьте, что время на телефоне точное, и введите код, который показан сейчас.")
    with db.atomic():
        secret = mfa.pending_secret(user)
    uri = mfa.provisioning_uri(user, secret)
    response = render(
        "mfa/setup.html",
        form=form,
        error=error,
        qr=mfa.qr_svg(uri, _("QR-код для приложения-аутентификатора")),
        secret=mfa.group(secret),
        required=mfa.required(user),
    )
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    if error:
        response.status_code = 422
    return response


# --- the user's own settings ----------------------------------------------------------------------


@bp.route("/cabinet/security")
@login_required
def manage():
    user = current_user._get_current_object()
    row = mfa.row_for(user)
    return render(
        "mfa/manage.html",
        row=row,
        enrolled=bool(row and row.enrolled),
        required=mfa.required(user),
        left=mfa.recovery_left(user),
        days=mfa.remember_days(),
        form=CodeForm(),
    )


def _with_code(action):
    """Run ``action(user)`` if the posted code is right (a stolen open session cannot change the
    factor without the phone); otherwise back to the settings with the reason."""
    user = current_user._get_current_object()
    if not mfa.enrolled(user):
        flash(_("Вход с кодом подтверждения не включён."), "info")
        return None
    form = CodeForm()
    if not form.validate_on_submit():
        flash(_("Введите код из приложения или код восстановления."), "danger")
        return None
    with db.atomic():
        if mfa.verify(user, form.code.data) is None:
            mfa.failed(user)
            ok = False
        else:
            ok = True
            result = action(user)
    if not ok:
        flash(_("Неверный код: ничего не изменено."), "danger")
        return None
    return result


@bp.route("/cabinet/security/recovery-codes", methods=["POST"])
@limiter.limit(_code_limit)
@login_required
def regenerate():
    def action(user):
        codes = mfa.new_recovery_codes(user)
        audit.record("mfa.recovery_codes", user, organisation=user.organisation)
        return codes

    codes = _with_code(action)
    if codes is None:
        return redirect(url_for("mfa.manage"))
    response = render("mfa/recovery_codes.html", codes=codes, first=False)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cabinet/security/disable", methods=["POST"])
@limiter.limit(_code_limit)
@login_required
def disable():
    if _with_code(lambda user: mfa.remove(user) or True) is None:
        return redirect(url_for("mfa.manage"))
    if mfa.required(current_user):
        flash(_("Второй фактор сброшен. Настройте приложение заново: для вашей роли вход с кодом обязателен."), "info")
        return redirect(url_for("mfa.setup"))
    flash(_("Вход с кодом подтверждения отключён."), "success")
    return redirect(url_for("mfa.manage"))


@bp.route("/cabinet/security/forget-devices", methods=["POST"])
@login_required
def forget():
    with db.atomic():
        mfa.forget_devices(current_user)
        audit.record("mfa.forget_devices", current_user, organisation=current_user.organisation)
    response = redirect(url_for("mfa.manage"))
    response.delete_cookie(mfa.REMEMBER_COOKIE)
    flash(_("Запомненные устройства забыты: на каждом из них при следующем входе понадобится код."), "success")
    return response


# --- the admin's view of a user -------------------------------------------------------------------


def _user_or_404(user_id) -> User:
    return User.get_or_none(User.id == user_id) or abort(404)


@bp.route("/staff/users/<int:user_id>/mfa")
@staff_required("admin")
def staff_user(user_id):
    user = _user_or_404(user_id)
    row = mfa.row_for(user)
    return render(
        "mfa/staff_user.html",
        person=user,
        row=row,
        enrolled=bool(row and row.enrolled),
        required=mfa.required(user),
        left=mfa.recovery_left(user),
    )


@bp.route("/staff/users/<int:user_id>/mfa/reset", methods=["POST"])
@staff_required("admin")
def staff_reset(user_id):
    user = _user_or_404(user_id)
    with db.atomic():
        mfa.remove(user, by=current_user._get_current_object())
    flash(
        _(
            "Второй фактор %(email)s сброшен, его сеансы завершены; владельцу отправлено письмо. "
            "При следующем входе он настроит приложение заново.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("mfa.staff_user", user_id=user.id))


@bp.route("/staff/users/<int:user_id>/mfa/exempt", methods=["POST"])
@staff_required("admin")
def staff_exempt(user_id):
    user = _user_or_404(user_id)
    exempt = request.form.get("exempt") == "1"
    with db.atomic():
        mfa.set_exempt(user, exempt, by=current_user._get_current_object())
    if exempt:
        flash(_("%(email)s освобождён от обязательного входа с кодом.", email=user.email), "success")
    else:
        flash(
            _("Освобождение снято: %(email)s настроит вход с кодом при следующем входе.", email=user.email), "success"
        )
    return redirect(url_for("mfa.staff_user", user_id=user.id))
