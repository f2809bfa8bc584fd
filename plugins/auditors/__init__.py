"""The list of audit organisations recognised by the Exchange (G-12 category 3): inclusion, the yearly
confirmation with its reminders, exclusion, and the public list."""

from flask_babel import lazy_gettext as _l

from core import Category, Department, Link, MigrationSet, NotificationKind, PeriodicJob, hookimpl
from plugins.auditors.partners import is2in_partner_candidates  # noqa: F401  (narrows "Партнерства")


@hookimpl
def is2in_categories():
    return [Category("auditors", _l("Перечень аудиторских организаций, признаваемых Биржей"), 3)]


@hookimpl
def is2in_departments():
    return [Department("auditors", _l("Аудиторские организации"), 2)]


@hookimpl
def is2in_procedures():
    from plugins.auditors.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_blueprints():
    from plugins.auditors.views import bp

    return [bp]


@hookimpl
def is2in_migrations():
    return MigrationSet("auditors", "plugins.auditors.migrations")


@hookimpl
def is2in_notification_kinds():
    return [NotificationKind("auditors.reminder", _l("Напоминание о ежегодном подтверждении соответствия"))]


@hookimpl
def is2in_application_transition(application, action, from_process, to_process, user):
    from plugins.auditors.service import on_transition

    on_transition(application, action, from_process, to_process)


@hookimpl
def is2in_public_pages():
    return [Link("auditors.recognised", _l("Перечень аудиторских организаций, признаваемых Биржей"), order=30)]


@hookimpl
def is2in_staff_screens(user):
    return [Link("auditors.staff", _l("Перечень аудиторских организаций"), order=40)]


@hookimpl
def is2in_periodic_jobs():
    from core import exchange_crontab
    from plugins.auditors.service import auditors_reminders

    # Daily at 08:00 on the Exchange's clock (Almaty); the job sends each reminder once.
    return [PeriodicJob(auditors_reminders, exchange_crontab(minute="0", hour="8"))]
