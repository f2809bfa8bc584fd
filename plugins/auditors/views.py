"""The public list of recognised audit organisations and the auditors department's screen."""

from flask import Blueprint

from core import Organisation, days_left, engine, public, render, staff_required
from plugins.auditors.models import AuditorReminder, RecognisedAuditor

bp = Blueprint("auditors", __name__, url_prefix="/auditors", template_folder="templates")


@bp.route("/")
@public
def recognised():
    """ "Перечень аудиторских организаций, признаваемых Биржей", for anyone."""
    return render("auditors/recognised.html", entries=list(RecognisedAuditor.listed()))


@bp.route("/staff")
@staff_required("auditors")
def staff():
    """The list with each organisation's next deadline and the reminders already sent, and the
    audit organisations not in it."""
    entries = list(RecognisedAuditor.listed())
    today = engine.today()
    reminders = {}
    for row in AuditorReminder.select().order_by(AuditorReminder.sent_at):
        reminders.setdefault(row.organisation_id, []).append(row)
    left = days_left(today, (e.deadline for e in entries if e.in_list))  # one calendar for the whole list
    listed_ids = {e.organisation_id for e in entries}
    others = [o for o in Organisation.with_role("auditor") if o.id not in listed_ids]
    return render(
        "auditors/staff.html",
        entries=entries,
        others=others,
        reminders=reminders,
        today=today,
        days_left=left.get,
    )
