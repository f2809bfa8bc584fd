"""The obligation calendar: generating it, filing an obligation through the workflow engine, what each
move of a disclosure application changes in it, and the daily reminder job."""

import datetime
import json

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from core import FormData, Organisation, audit, clock, engine, notify, reminders, working_days_between
from core import database as db
from plugins.disclosure.models import OWED, DisclosureReminder, Obligation
from plugins.disclosure.procedures import FORMS
from plugins.disclosure.rules import RULE_BY_KIND, due_date, due_in, quarter_end

# Reminders go this many working days before a deadline, and once the day after it is missed.
REMINDER_DAYS = (10, 3)
REMINDER_KIND, OVERDUE_KIND = "disclosure.reminder", "disclosure.overdue"


# --- the calendar -----------------------------------------------------------------------------------


def generate(organisation, year: int) -> int:
    """Create, once, the periodic obligations of ``organisation`` falling due in ``year``. Nothing is
    owed that fell due before the organisation was registered in is2in. Returns how many were new."""
    registered = clock.date_of(organisation.created_at) if organisation.created_at else datetime.date.min
    today = engine.today()
    before = Obligation.select().where(Obligation.organisation == organisation).count()
    for rule, period, due in due_in(year):
        if due < registered:
            continue
        Obligation.insert(
            organisation=organisation,
            kind=rule.kind,
            period=period,
            due_on=due,
            status="overdue" if due < today else "open",
        ).on_conflict_ignore().execute()
    return Obligation.select().where(Obligation.organisation == organisation).count() - before


def generate_all(year: int) -> int:
    """The calendar of ``year`` for every active admission initiator."""
    return sum(generate(organisation, year) for organisation in Organisation.with_role("issuer"))


def note_event(organisation, event_on: datetime.date, description: str) -> Obligation:
    """A material event happened: disclosing it is owed within the rule's working days."""
    rule = RULE_BY_KIND["material_event"]
    same_day = (
        Obligation.select()
        .where(
            (Obligation.organisation == organisation)
            & (Obligation.kind == rule.kind)
            & (Obligation.event_on == event_on)
        )
        .count()
    )
    period = event_on.isoformat() + (f"/{same_day + 1}" if same_day else "")
    obligation = Obligation.create(
        organisation=organisation,
        kind=rule.kind,
        period=period,
        event_on=event_on,
        description=description.strip(),
        due_on=due_date(rule, event_on),
    )
    audit.record("disclosure.event", organisation, period=period, due_on=obligation.due_on)
    return obligation


def file(obligation: Obligation, user):
    """ "Подать" on an obligation: the application is created by the engine and linked to it, and its
    form starts with the period (or the event) already entered."""
    rule = obligation.rule
    procedure = engine.procedures()[rule.procedure]
    with db.atomic():
        application = engine.create(procedure, obligation.organisation, user)
        obligation.application = application
        obligation.save()
        spec = FORMS[rule.kind]
        values = {"period": obligation.period_label}
        if rule.period == "quarter":
            values["period_end"] = _period_end(obligation).isoformat()
        if obligation.event_on:
            values = {"event_on": obligation.event_on.isoformat(), "description": obligation.description}
        FormData.create(
            application=application,
            form_code=spec.code,
            data=json.dumps(values, ensure_ascii=False),
            updated_by=user.id,
        )
        audit.record("disclosure.file", application, obligation=obligation.id, period=obligation.period)
    return application


def _period_end(obligation):
    year, quarter = obligation.period.split("-Q")
    return quarter_end(int(year), int(quarter))


# --- the hook: each move of a disclosure application ------------------------------------------------


def on_transition(application, action, from_process, to_process):
    if not application.procedure.startswith("disclosure."):
        return
    obligation = Obligation.for_application(application)
    adopted = obligation is None and action == "send_to_head"
    if adopted:
        obligation = _adopt(application)
    if obligation is None:
        return
    today = engine.today()
    if to_process == "review":
        obligation.status = "submitted"
        obligation.submitted_on = obligation.submitted_on or today
    elif from_process == "review" and to_process in ("fill", "additional"):
        obligation.status = "returned"
    elif to_process == "archived":
        obligation.status = "accepted"
        obligation.accepted_on = today
    elif to_process == "withdrawn":
        obligation.application = None
        obligation.submitted_on = None
        obligation.status = "overdue" if obligation.due_on < today else "open"
    elif not adopted:
        return
    obligation.save()
    audit.record(
        "disclosure.status",
        application,
        organisation=application.organisation,
        obligation=obligation.id,
        status=obligation.status,
    )


def _adopt(application):
    """An application filed from "Процедуры" rather than from the calendar meets the earliest obligation
    of its kind that nothing is filed for yet."""
    kind = application.procedure.split(".", 1)[1]
    obligation = (
        Obligation.select()
        .where(
            (Obligation.organisation == application.organisation_id)
            & (Obligation.kind == kind)
            & Obligation.status.in_(OWED)
            & Obligation.application.is_null()
        )
        .order_by(Obligation.due_on)
        .first()
    )
    if obligation is not None:
        obligation.application = application
    return obligation


# --- the daily job: reminders -------------------------------------------------------------------------


def disclosure_reminders(today: datetime.date | None = None) -> int:
    """Daily: mark missed obligations overdue and remind issuers of their deadlines (10 and 3 working
    days before, and once the day after a deadline is missed). Each reminder is sent once: its row in
    disclosure_reminder is written in the same transaction as the notification."""
    today = today or engine.today()
    with db.atomic():
        Obligation.update(status="overdue").where((Obligation.status == "open") & (Obligation.due_on < today)).execute()
    horizon = today + datetime.timedelta(days=45)  # 10 working days never span more, even over Nauryz
    # A list, not a cursor: delivering a mail inline (TASKS_IMMEDIATE) closes the connection it runs on.
    owed = list(
        Obligation.with_organisation()
        .where(Obligation.status.in_(OWED) & (Obligation.due_on <= horizon) & (Organisation.is_active == True))  # noqa: E712
        .order_by(Obligation.due_on)
    )

    def send(obligation, key):
        DisclosureReminder.create(obligation=obligation, key=key)
        _notify(obligation, key, today)

    return reminders.send_once(
        owed,
        due=lambda obligation: reminders.reminder_due(obligation.due_on, today, REMINDER_DAYS),
        sent=lambda obligation, key: (
            DisclosureReminder.select()
            .where((DisclosureReminder.obligation == obligation) & (DisclosureReminder.key == key))
            .exists()
        ),
        send=send,
    )


def _notify(obligation, key, today):
    for user in reminders.contacts(obligation.organisation):
        with force_locale(user.locale or "ru"):
            values = {
                "title": str(obligation.title),
                "period": obligation.period_label,
                "date": format_date(obligation.due_on, "dd.MM.yyyy"),
            }
            if key == reminders.OVERDUE:
                kind = OVERDUE_KIND
                message = _(
                    "«%(title)s» (%(period)s) не представлено в срок — %(date)s. Сведения о нарушении "
                    "публикуются в перечне нарушений сроков раскрытия информации.",
                    **values,
                )
            else:
                kind = REMINDER_KIND
                message = _(
                    "«%(title)s» (%(period)s): срок — %(date)s, осталось рабочих дней: %(n)s.",
                    n=working_days_between(today, obligation.due_on),
                    **values,
                )
            notify([user], kind, procedure=str(obligation.title), message=message, link="/disclosure/")
