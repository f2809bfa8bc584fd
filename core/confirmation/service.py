"""When each organisation's users are due for confirmation, the daily job that reminds and suspends, and
the confirmation itself.

The due date is the Exchange's date (core.clock) of the latest of: the last confirmation, the arrival of
the organisation's first admin, the organisation's creation; plus ``USER_CONFIRMATION_DAYS`` (365 unless
``IS2IN_USER_CONFIRMATION_DAYS`` says). The due date is the last day to confirm. The organisation's admins
are reminded ``USER_CONFIRMATION_REMINDERS`` days before it (30, 7 and 1), each reminder once; from the
day after it, the users who were active on it are suspended (once per due date), except the admins, who
must still be able to confirm. An organisation without an active admin has nobody who could confirm: it
is shown to the Exchange and nobody is suspended."""

import datetime
from dataclasses import dataclass

import peewee as pw
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core import audit, clock, tasks
from core.accounts.models import Organisation, OrganisationRole, User, UserSession
from core.confirmation.models import UserConfirmation, UserConfirmationEvent
from core.db import db, utcnow
from core.hooktypes import NotificationKind
from core.notifications import service as notifications

DEFAULT_DAYS = 365
DEFAULT_REMINDERS = (30, 7, 1)

KINDS = (
    NotificationKind("users.confirmation_due", _l("Подтвердите список пользователей организации")),
    NotificationKind("users.suspended", _l("Пользователи организации приостановлены")),
    NotificationKind("account_suspended", _l("Доступ к учётной записи приостановлен")),
)


def period_days() -> int:
    return int(current_app.config.get("USER_CONFIRMATION_DAYS") or DEFAULT_DAYS)


def reminder_days() -> tuple[int, ...]:
    return tuple(sorted(current_app.config.get("USER_CONFIRMATION_REMINDERS") or DEFAULT_REMINDERS, reverse=True))


@dataclass
class Standing:
    """Where one organisation stands: its due date on the Exchange's calendar and what it has."""

    organisation: Organisation
    last: UserConfirmation | None
    due: datetime.date
    days_left: int
    admins: int
    active: int
    suspended: int

    @property
    def state(self) -> str:
        if not self.admins:
            return "no_admin"
        if self.days_left < 0:
            return "overdue"
        if self.days_left <= max(reminder_days(), default=0):
            return "due_soon"
        return "ok"


def client_organisations():
    exchange = OrganisationRole.select(OrganisationRole.organisation).where(OrganisationRole.role == "exchange")
    return (
        Organisation.select()
        .where((Organisation.is_active == True) & Organisation.id.not_in(exchange))  # noqa: E712
        .order_by(Organisation.code)
    )


def standings(organisations=None) -> list[Standing]:
    """The standing of every active client organisation (or of ``organisations``), in a few queries."""
    orgs = list(organisations if organisations is not None else client_organisations())
    ids = [o.id for o in orgs] or [0]
    latest = {}
    for row in (
        UserConfirmation.select(UserConfirmation, User)
        .join(User, pw.JOIN.LEFT_OUTER, on=(UserConfirmation.confirmed_by == User.id))
        .where(UserConfirmation.organisation.in_(ids))
        .order_by(UserConfirmation.confirmed_at, UserConfirmation.id)
    ):
        latest[row.organisation_id] = row
    first_admin = dict(
        User.select(User.organisation, pw.fn.MIN(User.created_at))
        .where(User.organisation.in_(ids) & User.is_org_admin & User.is_active)
        .group_by(User.organisation)
        .tuples()
    )
    counts = {}
    for org_id, admin, suspended, n in (
        User.select(User.organisation, User.is_org_admin, User.suspended_at.is_null(False), pw.fn.COUNT(User.id))
        .where(User.organisation.in_(ids) & User.is_active)
        .group_by(User.organisation, User.is_org_admin, User.suspended_at.is_null(False))
        .tuples()
    ):
        figures = counts.setdefault(org_id, {"admins": 0, "active": 0, "suspended": 0})
        figures["active"] += n
        figures["admins"] += n if admin else 0
        figures["suspended"] += n if suspended else 0
    today = clock.today()
    period = datetime.timedelta(days=period_days())
    result = []
    for org in orgs:
        last = latest.get(org.id)
        starts = [org.created_at, first_admin.get(org.id), last.confirmed_at if last else None]
        base = max(_instant(s) for s in starts if s is not None)
        due = clock.date_of(base) + period
        figures = counts.get(org.id, {"admins": 0, "active": 0, "suspended": 0})
        result.append(Standing(org, last, due, (due - today).days, **figures))
    return result


def _instant(value) -> datetime.datetime:
    # SQLite hands MIN() of a datetime column back as text.
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))


def standing(organisation) -> Standing:
    return standings([organisation])[0]


# --- the daily job ---------------------------------------------------------------------------------------


def user_confirmation_job() -> dict:
    """Periodic (every morning on the Exchange's clock): remind the admins on the reminder days, suspend the
    users of organisations past their due date. Each reminder and each suspension happens once per due date
    (``UserConfirmationEvent``), so running it again, or on two workers, changes nothing."""
    done = {"reminded": 0, "suspended": 0}
    for st in standings():
        if not st.admins:
            continue
        if st.days_left < 0:
            done["suspended"] += suspend_overdue(st)
            continue
        threshold = min((d for d in reminder_days() if d >= st.days_left), default=None)
        if threshold is not None and remind(st, threshold):
            done["reminded"] += 1
    return done


def _claim(st: Standing, kind: str) -> bool:
    """Record that ``kind`` was done for this due date; False if it already was."""
    try:
        with db.atomic():
            UserConfirmationEvent.create(organisation=st.organisation, due_on=st.due, kind=kind)
    except pw.IntegrityError:
        return False
    return True


def _admins(org):
    return list(
        User.select().where(
            (User.organisation == org) & User.is_org_admin & (User.is_active == True)  # noqa: E712
        )
    )


def _link() -> str:
    """The confirmation page's address (jobs have no request to build it from)."""
    return current_app.url_map.bind("localhost").build("confirmation.confirm")


def remind(st: Standing, threshold: int) -> bool:
    """Tell the admins the list is due (the reminder ``threshold`` days before); False if already told."""
    with tasks.change():
        if not _claim(st, f"remind-{threshold}"):
            return False
        for admin in _admins(st.organisation):
            with force_locale(admin.locale or "ru"):
                message = _l(
                    "Подтвердите список активных пользователей организации %(org)s не позднее %(due)s "
                    "(дата Биржи, время Алматы); осталось дней: %(n)s. Пользователи, не подтверждённые в срок, "
                    "будут приостановлены: войти в систему они не смогут до подтверждения.",
                    org=st.organisation.display_name,
                    due=st.due.strftime("%d.%m.%Y"),
                    n=st.days_left,
                )
                notifications.notify([admin], "users.confirmation_due", message=str(message), link=_link())
        audit.record(
            "users.confirmation_reminded",
            st.organisation,
            organisation=st.organisation,
            due=st.due.isoformat(),
            days_before=threshold,
            days_left=st.days_left,
        )
    return True


def suspend_overdue(st: Standing) -> int:
    """Suspend the users the admin did not confirm by the due date (once per due date); how many."""
    with tasks.change():
        if not _claim(st, "suspend"):
            return 0
        end_of_due = clock.at(st.due + datetime.timedelta(days=1))
        users = list(
            User.select().where(
                (User.organisation == st.organisation)
                & (User.is_active == True)  # noqa: E712
                & User.suspended_at.is_null()
                & (User.is_org_admin == False)  # noqa: E712
                & (User.created_at < end_of_due)
            )
        )
        now = utcnow()
        if users:
            User.update(suspended_at=now).where(User.id.in_([u.id for u in users])).execute()
            for user in users:
                UserSession.end_all(user)
                with force_locale(user.locale or "ru"):
                    notifications.send_mail(
                        user,
                        "account_suspended",
                        message=_l(
                            "Администратор вашей организации не подтвердил список её пользователей до %(due)s, "
                            "поэтому доступ к вашей учётной записи приостановлен. Её данные сохранены; доступ "
                            "вернётся, когда администратор подтвердит список.",
                            due=st.due.strftime("%d.%m.%Y"),
                        ),
                    )
        audit.record(
            "users.suspended",
            st.organisation,
            organisation=st.organisation,
            due=st.due.isoformat(),
            emails=sorted(u.email for u in users),
        )
        for admin in _admins(st.organisation):
            with force_locale(admin.locale or "ru"):
                message = _l(
                    "Список пользователей организации %(org)s не подтверждён до %(due)s. Приостановлено "
                    "пользователей: %(n)s. Подтвердите список, и сохранённые в нём получат доступ снова.",
                    org=st.organisation.display_name,
                    due=st.due.strftime("%d.%m.%Y"),
                    n=len(users),
                )
                notifications.notify([admin], "users.suspended", message=str(message), link=_link())
    return len(users)


# --- confirming and restoring ----------------------------------------------------------------------------


def active_users(org):
    return list(
        User.select()
        .where((User.organisation == org) & (User.is_active == True))  # noqa: E712
        .order_by(User.last_name, User.first_name, User.id)
    )


def confirm(org, admin, decisions: dict[int, str]) -> UserConfirmation:
    """The admin's confirmation: ``decisions`` maps every active user's id to "keep" or "deactivate".
    Kept suspended users are restored; deactivated ones lose their sessions. Call inside a transaction."""
    users = {u.id: u for u in active_users(org)}
    deactivate = [users[i] for i, choice in decisions.items() if choice == "deactivate"]
    restore = [users[i] for i, choice in decisions.items() if choice == "keep" and users[i].suspended_at]
    if deactivate:
        User.update(is_active=False, suspended_at=None).where(User.id.in_([u.id for u in deactivate])).execute()
        for user in deactivate:
            UserSession.end_all(user)
    if restore:
        User.update(suspended_at=None).where(User.id.in_([u.id for u in restore])).execute()
    kept = [u for u in users.values() if decisions.get(u.id) == "keep"]
    row = UserConfirmation.create(
        organisation=org,
        confirmed_by=admin,
        kept=len(kept),
        deactivated=len(deactivate),
        restored=len(restore),
    )
    audit.record(
        "users.confirmed",
        org,
        organisation=org,
        kept=sorted(u.email for u in kept),
        deactivated=sorted(u.email for u in deactivate),
        restored=sorted(u.email for u in restore),
        next_due=standing(org).due.isoformat(),
    )
    return row


def restore(user) -> None:
    """An Exchange admin gives a suspended user access back (until the organisation's next due date)."""
    User.update(suspended_at=None).where(User.id == user.id).execute()
    audit.record("user.restore", user, organisation=user.organisation, email=user.email)


def init_app(app) -> None:
    tasks.periodic(app, user_confirmation_job, tasks.exchange_crontab(minute="5", hour="8"))
