"""Home page, profile edit and language switch."""

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import login_required, public
from core.accounts.forms import ProfileForm
from core.accounts.models import User
from core.accounts.service import set_password
from core.db import db
from core.notifications.models import Notification
from core.web import render

bp = Blueprint("cabinet", __name__, template_folder="templates")


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    latest = list(Notification.for_user(current_user).limit(5))
    return render("cabinet/home.html", latest=latest)


@bp.route("/cabinet/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user, user=user)
    if form.validate_on_submit():
        with db.atomic():
            before = {f: getattr(user, f) for f in ("first_name", "last_name", "position", "email", "phone")}
            for name in before:
                setattr(user, name, getattr(form, name).data.strip())
            user.save()
            changed = sorted(name for name, old in before.items() if getattr(user, name) != old)
            if changed:
                audit.record("profile.update", user, fields=changed)
            if form.changes_password:
                set_password(user, form.new_password.data, keep_session=user.session)
                audit.record("password.change", user)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("cabinet.profile"))
    return render("cabinet/profile.html", form=form)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            with db.atomic():
                User.update(locale=lang).where(User.id == current_user.id).execute()
                audit.record("profile.language", current_user, lang=lang)
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("cabinet.home")
    return redirect(target)
