"""The organisation admin's yearly confirmation of its users, and the Exchange admins' overview."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.access import client_required, refuse, staff_required
from core.accounts.models import User
from core.confirmation import service
from core.db import db
from core.web import render

bp = Blueprint("confirmation", __name__, template_folder="templates")

CHOICES = ("keep", "deactivate")


@bp.route("/users/confirm", methods=["GET", "POST"])
@client_required(org_admin=True)
def confirm():
    """Only an admin of a client organisation, and only for the admin's own organisation: the page takes no
    organisation from the request."""
    org = current_user.organisation
    users = service.active_users(org)
    errors, decisions, status = [], {}, 200
    if request.method == "POST":
        ids = {u.id for u in users}
        named = {}
        for key, value in request.form.items():
            if key.startswith("decision-"):
                try:
                    named[int(key.removeprefix("decision-"))] = value
                except ValueError:
                    refuse(status=400, reason="form")
        foreign = set(named) - ids
        if foreign:
            # A user id of another organisation (or none): never touched, and not confirmed to exist.
            refuse(User.get_or_none(User.id == min(foreign)), status=404)
        listed = {int(i) for i in request.form.get("listed", "").split(",") if i.isdigit()}
        decisions = named
        if listed != ids:
            errors.append(
                _(
                    "Список пользователей изменился, пока была открыта страница. Проверьте его ещё раз и "
                    "подтвердите снова."
                )
            )
        elif any(decisions.get(i) not in CHOICES for i in ids):
            errors.append(_("Для каждого пользователя выберите «Оставить» или «Отключить»."))
        elif decisions.get(current_user.id) != "keep":
            errors.append(_("Себя отключить нельзя: вы подтверждаете список как администратор организации."))
        if not errors:
            with db.atomic():
                row = service.confirm(org, current_user, decisions)
            st = service.standing(org)
            flash(
                _(
                    "Список пользователей подтверждён: оставлено %(kept)s, отключено %(off)s. Следующее "
                    "подтверждение — не позднее %(due)s.",
                    kept=row.kept,
                    off=row.deactivated,
                    due=st.due.strftime("%d.%m.%Y"),
                ),
                "success",
            )
            return redirect(url_for("confirmation.confirm"))
        status = 422
        users = service.active_users(org)
    return (
        render(
            "confirmation/confirm.html",
            organisation=org,
            users=users,
            standing=service.standing(org),
            decisions=decisions,
            errors=errors,
            today=clock.today(),
        ),
        status,
    )


@bp.route("/staff/user-confirmations")
@staff_required("admin")
def overview():
    """The organisations overdue, due soon or without an admin who could confirm, for Exchange admins."""
    rows = service.standings()
    attention = [st for st in rows if st.state != "ok"]
    attention.sort(key=lambda st: ({"overdue": 0, "no_admin": 1, "due_soon": 2}[st.state], st.days_left))
    suspended = {}
    ids = [st.organisation.id for st in attention if st.suspended] or [0]
    for user in (
        User.select()
        .where(User.organisation.in_(ids) & User.suspended_at.is_null(False) & (User.is_active == True))  # noqa: E712
        .order_by(User.last_name, User.first_name)
    ):
        suspended.setdefault(user.organisation_id, []).append(user)
    return render(
        "confirmation/overview.html",
        rows=attention,
        fine=len(rows) - len(attention),
        suspended=suspended,
        soon=max(service.reminder_days(), default=0),
        period=service.period_days(),
    )


@bp.route("/staff/users/<int:user_id>/restore", methods=["POST"])
@staff_required("admin")
def restore(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        refuse(status=404)
    if user.suspended_at is None:
        flash(_("Доступ %(email)s не был приостановлен.", email=user.email), "info")
    else:
        with db.atomic():
            service.restore(user)
        flash(_("Доступ %(email)s восстановлен.", email=user.email), "success")
    return redirect(url_for("confirmation.overview"))
