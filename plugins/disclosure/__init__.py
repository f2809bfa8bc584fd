"""Monitoring of information disclosure by admission initiators (G-12 category 5): each initiator's
obligation calendar, submission through the workflow engine, reminders and the public overdue list."""

from flask_babel import lazy_gettext as _l

from core import Category, Department, Link, MigrationSet, NotificationKind, PeriodicJob, hookimpl


@hookimpl
def is2in_categories():
    return [Category("disclosure", _l("Мониторинг раскрытия информации инициаторами допуска"), 5)]


@hookimpl
def is2in_departments():
    return [Department("monitoring", _l("Департамент мониторинга"), 3)]


@hookimpl
def is2in_procedures():
    from plugins.disclosure.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_blueprints():
    from plugins.disclosure.views import bp

    return [bp]


@hookimpl
def is2in_migrations():
    return MigrationSet("disclosure", "plugins.disclosure.migrations")


@hookimpl
def is2in_notification_kinds():
    return [
        NotificationKind("disclosure.reminder", _l("Напоминание о сроке раскрытия информации")),
        NotificationKind("disclosure.overdue", _l("Срок раскрытия информации пропущен")),
    ]


@hookimpl
def is2in_application_transition(application, action, from_process, to_process, user):
    from plugins.disclosure.service import on_transition

    on_transition(application, action, from_process, to_process)


@hookimpl
def is2in_menu_links(user):
    if user.organisation.has_role("issuer"):
        return [Link("disclosure.calendar", _l("Раскрытие информации"), order=45)]
    return None


@hookimpl
def is2in_staff_screens(user):
    return [Link("disclosure.staff", _l("Мониторинг раскрытия информации"), order=45)]


@hookimpl
def is2in_public_pages():
    return [Link("disclosure.overdue", _l("Нарушения сроков раскрытия информации"), order=40)]


@hookimpl
def is2in_cli_commands():
    from plugins.disclosure.cli import disclosure_calendar

    return [disclosure_calendar]


@hookimpl
def is2in_periodic_jobs():
    from core import exchange_crontab
    from plugins.disclosure.service import disclosure_reminders

    # Daily at 08:30 on the Exchange's clock (Almaty); the job sends each reminder once.
    return [PeriodicJob(disclosure_reminders, exchange_crontab(minute="30", hour="8"))]
