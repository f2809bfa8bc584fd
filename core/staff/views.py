"""Staff home and the audit journal."""

from flask import Blueprint, request
from peewee import JOIN

from core.access import staff_required
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
