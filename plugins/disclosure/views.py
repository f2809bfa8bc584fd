"""The issuer's disclosure calendar, the monitoring department's screen and the public list of late
disclosers."""

import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from core import (
    Application,
    Organisation,
    client_required,
    engine,
    matches,
    paginate,
    public,
    render,
    staff_required,
    workdays,
)
from core import database as db
from plugins.disclosure import service
from plugins.disclosure.forms import EventNoteForm
from plugins.disclosure.models import STATUSES, Obligation
from plugins.disclosure.rules import RULES

bp = Blueprint("disclosure", __name__, url_prefix="/disclosure", template_folder="templates")


class GenerateForm(FlaskForm):
    year = IntegerField(_l("Год"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])


def _days(today):
    """Working days from ``today`` to a deadline, for each row of a page: one calendar for the page."""
    current = workdays.calendar()
    return lambda day: current.working_days_between(today, day)


# --- the issuer's calendar ----------------------------------------------------------------------------


def _calendar(form=None, status=200):
    organisation = current_user.organisation
    today = engine.today()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:  # the years an obligation can have; datetime refuses 0 or 10000 outright
        abort(404)
    if year == today.year:
        with db.atomic():  # generated on demand: the issuer's first visit of the year makes its calendar
            service.generate(organisation, year)
    obligations = list(Obligation.of(organisation, year))
    applications = {
        a.id: a
        for a in Application.select().where(
            Application.id.in_([o.application_id for o in obligations if o.application_id])
        )
    }
    response = render(
        "disclosure/calendar.html",
        "obligations",
        organisation=organisation,
        obligations=obligations,
        applications=applications,
        year=year,
        today=today,
        days_left=_days(today),
        rules=RULES,
        form=form or EventNoteForm(formdata=None),
    )
    response.status_code = status
    return response


@bp.route("/")
@client_required("issuer")
def calendar():
    """The organisation's obligations falling due in the year, with their deadlines and "Подать"."""
    return _calendar()


@bp.route("/events", methods=["POST"])
@client_required("issuer")
def note_event():
    form = EventNoteForm()
    if not form.validate_on_submit():
        return _calendar(form, status=422)
    with db.atomic():
        obligation = service.note_event(current_user.organisation, form.event_on.data, form.description.data)
    flash(
        _(
            "Событие записано. Раскройте информацию о нем не позднее %(date)s.",
            date=obligation.due_on.strftime("%d.%m.%Y"),
        ),
        "success",
    )
    return redirect(url_for("disclosure.calendar", year=obligation.due_on.year))


@bp.route("/obligations/<int:obligation_id>/file", methods=["POST"])
@client_required("issuer")
def file(obligation_id):
    """ "Подать" on one obligation: the application is created and remembers the obligation."""
    obligation = Obligation.get_or_none(
        (Obligation.id == obligation_id) & (Obligation.organisation == current_user.organisation_id)
    ) or abort(404)
    if obligation.application_id:
        return redirect(url_for("workflow.application", app_id=obligation.application_id))
    if not obligation.owed:
        flash(_("По этой обязанности ничего подавать не нужно."), "info")
        return redirect(url_for("disclosure.calendar", year=obligation.due_on.year))
    procedure = engine.procedures().get(obligation.rule.procedure)
    if procedure is None or obligation.organisation not in engine.filing_companies(current_user, procedure):
        abort(403)
    application = service.file(obligation, current_user._get_current_object())
    flash(_("Заявление %(number)s создано. Заполните этапы по порядку.", number=application.number), "success")
    return redirect(url_for("workflow.application", app_id=application.id))


# --- the monitoring department --------------------------------------------------------------------------


@bp.route("/staff")
@staff_required("monitoring")
def staff():
    """Every initiator's obligations of the year, filtered by status, kind and company."""
    today = engine.today()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:  # the years an obligation can have; datetime refuses 0 or 10000 outright
        abort(404)
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()
    query = Obligation.with_organisation().where(
        Obligation.due_on.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    )
    counts = {code: 0 for code in STATUSES}
    for row in query.clone():
        counts[row.status_on(today)] += 1
    if status in STATUSES:
        query = query.where(Obligation.in_status(status, today))
    if kind:
        query = query.where(Obligation.kind == kind)
    if q:
        query = query.where(matches(Organisation.code, q) | matches(Organisation.name_ru, q))
    page = paginate(query.order_by(Obligation.due_on, Organisation.name_ru), per_page=50)
    applications = {
        a.id: a
        for a in Application.select().where(
            Application.id.in_([o.application_id for o in page.items if o.application_id])
        )
    }
    return render(
        "disclosure/staff.html",
        "obligation_list",
        page=page,
        applications=applications,
        year=year,
        status=status,
        kind=kind,
        q=q,
        counts=counts,
        statuses=STATUSES,
        rules=RULES,
        today=today,
        days_left=_days(today),
        form=GenerateForm(formdata=None, data={"year": year}),
    )


@bp.route("/staff/generate", methods=["POST"])
@staff_required("monitoring")
def generate():
    form = GenerateForm()
    if not form.validate_on_submit():
        flash(_("Укажите год от 2000 до 2100."), "danger")
        return redirect(url_for("disclosure.staff"))
    with db.atomic():
        created = service.generate_all(form.year.data)
    flash(
        _("Календарь на %(year)s год сформирован: новых обязанностей %(n)s.", year=form.year.data, n=created), "success"
    )
    return redirect(url_for("disclosure.staff", year=form.year.data))


# --- public ---------------------------------------------------------------------------------------------


@bp.route("/overdue")
@public
def overdue():
    """Like the Exchange's weekly table of late disclosers: who owes what, since when."""
    today = engine.today()
    rows = list(Obligation.late(today))
    rows.sort(key=lambda o: (-o.overdue_days(today), o.organisation.name_ru))
    return render("disclosure/overdue.html", rows=rows, today=today)
