"""What the auditors' decisions change in the list, and the daily job that reminds recognised
organisations of their yearly confirmation."""

import datetime

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from core import Application, Organisation, audit, engine, notify, reminders, working_days_between
from plugins.auditors.models import OVERDUE, REMINDER_DAYS, SUSPEND_WHEN_OVERDUE, AuditorReminder, RecognisedAuditor

INCLUSION, CONFIRMATION, EXCLUSION = "auditors.inclusion", "auditors.confirmation", "auditors.exclusion"
REMINDER_KIND = "auditors.reminder"


def is_positive(application) -> bool:
    return application.decision_result == "approved"


# --- the hook: decisions ----------------------------------------------------------------------------


def on_transition(application, action, from_process, to_process):
    if application.procedure not in (INCLUSION, CONFIRMATION, EXCLUSION):
        return
    entry = RecognisedAuditor.of(application.organisation_id)
    if action == "send_to_head":
        _check_may_file(application, entry)
    if to_process == "archived" and is_positive(application):
        _apply_decision(application, entry)


def _check_may_file(application, entry):
    """Refuse a filing that makes no sense for the organisation's place in the list."""
    in_list = entry is not None and entry.in_list
    if application.procedure == INCLUSION and in_list:
        raise engine.WorkflowError(
            _("Организация уже в перечне аудиторских организаций, признаваемых Биржей: подайте подтверждение.")
        )
    if application.procedure != INCLUSION and not in_list:
        raise engine.WorkflowError(
            _("Организация не включена в перечень аудиторских организаций, признаваемых Биржей.")
        )


def _apply_decision(application, entry):
    today = engine.today()
    if entry is None:
        entry = RecognisedAuditor(organisation=application.organisation_id)
    before = entry.status if entry.id else ""
    if application.procedure == INCLUSION:
        entry.include(today)
    elif application.procedure == CONFIRMATION:
        entry.confirm(today)
    else:
        entry.exclude(today)
    audit.record(
        "auditors.status",
        application.organisation,
        number=application.number,
        before=before,
        status=entry.status,
        confirmed_until=entry.confirmed_until,
    )


# --- the daily job: reminders ---------------------------------------------------------------------


def reminder_due(deadline: datetime.date, today: datetime.date) -> str | None:
    """The reminder owed today, if any (see ``core.notifications.reminders.reminder_due``)."""
    return reminders.reminder_due(deadline, today, REMINDER_DAYS)


def _submitted_confirmation(organisation_id) -> bool:
    """A confirmation is already with the Exchange: nothing to remind of."""
    return (
        Application.select()
        .where(
            (Application.organisation == organisation_id)
            & (Application.procedure == CONFIRMATION)
            & Application.submitted_at.is_null(False)
            & Application.status.not_in(("archived", "withdrawn"))
        )
        .exists()
    )


def auditors_reminders(today: datetime.date | None = None) -> int:
    """Daily: remind every organisation in the list of its confirmation deadline (20, 10 and 3 working
    days before, and once when it is missed, suspending recognition). Each reminder is sent once:
    the row in auditors_reminder is written in the same transaction as the notification."""
    today = today or engine.today()
    # A list, not a cursor: delivering a mail inline (TASKS_IMMEDIATE) closes the connection it runs on.
    entries = list(
        RecognisedAuditor.select(RecognisedAuditor, Organisation)
        .join(Organisation)
        .where(
            RecognisedAuditor.status.in_(("recognised", "suspended")) & RecognisedAuditor.confirmed_until.is_null(False)
        )
    )

    def due(entry):
        key = reminder_due(entry.deadline, today)
        return None if key is None or _submitted_confirmation(entry.organisation_id) else key

    def send(entry, key):
        AuditorReminder.create(organisation=entry.organisation_id, deadline=entry.confirmed_until, key=key)
        if key == OVERDUE and SUSPEND_WHEN_OVERDUE and entry.status == "recognised":
            entry.status = "suspended"
            entry.save()
            audit.record("auditors.suspend", entry.organisation, deadline=entry.deadline)
        _notify(entry, key, today)

    return reminders.send_once(
        entries,
        due=due,
        sent=lambda entry, key: AuditorReminder.select().where(_reminder(entry, key)).exists(),
        send=send,
    )


def _reminder(entry, key):
    return (
        (AuditorReminder.organisation == entry.organisation_id)
        & (AuditorReminder.deadline == entry.confirmed_until)
        & (AuditorReminder.key == key)
    )


def _notify(entry, key, today):
    procedure = engine.procedures().get(CONFIRMATION)
    for user in reminders.contacts(entry.organisation):
        with force_locale(user.locale or "ru"):
            deadline = format_date(entry.deadline, "dd.MM.yyyy")
            if key == OVERDUE:
                message = _(
                    "Срок ежегодного подтверждения соответствия требованиям Биржи (%(date)s) пропущен. "
                    "Признание организации Биржей приостановлено до принятия подтверждения.",
                    date=deadline,
                )
            else:
                message = _(
                    "Подтвердите соответствие требованиям Биржи не позднее %(date)s: осталось рабочих дней: %(n)s.",
                    date=deadline,
                    n=working_days_between(today, entry.deadline),
                )
            notify(
                [user],
                REMINDER_KIND,
                procedure=str(procedure.title) if procedure else "",
                message=message,
                link=f"/procedures/{CONFIRMATION}/file",
            )
