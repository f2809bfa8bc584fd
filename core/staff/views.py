"""Staff home, the audit journal and the security staff's list of refused requests."""

import datetime

from flask import Blueprint, request
from peewee import JOIN

from core import clock
from core.access import REFUSED, staff_required
from core.accounts.models import Organisation, User
from core.audit.models import AuditEvent
from core.notifications.models import MailMessage
from core.pagination import paginate
from core.web import render

bp = Blueprint("staff", __name__, template_folder="templates")


@bp.route("/staff")
@staff_required()
def index():
    figures = {
        "organisations": Organisation.select().where(Organisation.is_active == True).count(),  # noqa: E712
        "users": User.select().where(User.is_active == True).count(),  # noqa: E712
        "mail_failed": MailMessage.select().where(MailMessage.status == "failed").count(),
    }
    return render("staff/index.html", figures=figures)


@bp.route("/staff/audit")
@staff_required("admin")
def audit():
    action = request.args.get("action", "").strip()
    query = (
        AuditEvent.select(AuditEvent, User)
        .join(User, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id))
        .order_by(AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    return render("staff/audit.html", "event_list", page=paginate(query, per_page=50), action=action)


def _almaty_day_start(value: str):
    """The UTC instant an Exchange date (YYYY-MM-DD) begins, or None for an empty or unreadable date."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return clock.at(day)


@bp.route("/staff/security")
@staff_required("security")
def security():
    """Refused requests for objects a user may not reach (core/access.py records each): who, what, where
    from. Filters: a user's e-mail or organisation code, the route, Almaty dates from/to inclusive."""
    who = request.args.get("who", "").strip()
    route = request.args.get("route", "").strip()
    date_from = request.args.get("from", "").strip()
    date_to = request.args.get("to", "").strip()
    errors = []
    Actor = User.alias()
    query = (
        AuditEvent.select(AuditEvent, Actor, Organisation)
        .join(Actor, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.actor == Actor.id))
        .switch(AuditEvent)
        .join(Organisation, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.organisation == Organisation.id))
        .where(AuditEvent.action == REFUSED)
        .order_by(AuditEvent.id.desc())
    )
    if who:
        query = query.where((Actor.email.contains(who.lower())) | (Organisation.code == who.upper()))
    if route:
        query = query.where(AuditEvent.details.contains(route))
    for value, bound in ((date_from, "from"), (date_to, "to")):
        if not value:
            continue
        start = _almaty_day_start(value)
        if start is None:
            errors.append(value)
        elif bound == "from":
            query = query.where(AuditEvent.created_at >= start)
        else:
            query = query.where(AuditEvent.created_at < start + datetime.timedelta(days=1))
    return render(
        "staff/security.html",
        "refusal_list",
        page=paginate(query, per_page=50),
        who=who,
        route=route,
        date_from=date_from,
        date_to=date_to,
        errors=errors,
    )
