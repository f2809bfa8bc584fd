"""The yearly confirmation of an organisation's users (#19.5, as EDGAR Next's annual confirmation).

Figures from the feature's rule, on the Exchange's calendar (Asia/Almaty, UTC+5): an organisation whose
first admin arrived on 04.12.2025 is due on 04.12.2025 + 365 days = 04.12.2026 (its last day to confirm);
its admins are reminded 30, 7 and 1 days before (04.11, 27.11 and 03.12.2026), each once; its users not
confirmed are suspended from 05.12.2026, the Exchange's day that begins at 19:00 UTC on 04.12."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.accounts.models import User
from core.audit.models import AuditEvent
from core.confirmation import service
from core.confirmation.models import UserConfirmation
from core.notifications.models import MailMessage, Notification

ALMATY = ZoneInfo("Asia/Almaty")
START = datetime.date(2025, 12, 4)
DUE = datetime.date(2026, 12, 4)
SUSPENDED_MESSAGE = "Доступ к вашей учётной записи приостановлен с 05.12.2026"


def utc_of(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """The naive UTC instant of an Almaty wall-clock time."""
    local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ALMATY)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def at(day, hour=10, minute=0):
    return time_machine.travel(utc_of(day, hour, minute).replace(tzinfo=datetime.UTC), tick=False)


def organisation(make, start=START, admin=True, code=None):
    """A client organisation created on ``start`` (Almaty) with its admin, a user and a first head."""
    created = utc_of(start)
    org = make.org(code, created_at=created)
    people = {}
    if admin:
        people["admin"] = make.user(org, is_org_admin=True, created_at=created, last_name="Админова")
    people["worker"] = make.user(org, created_at=created, last_name="Сотрудников")
    people["head"] = make.user(org, is_first_head=True, created_at=created, last_name="Руководителев")
    return org, people


def run_job(app):
    with app.app_context():
        return service.user_confirmation_job()


def due_notices(user):
    return list(
        Notification.select().where((Notification.user == user) & (Notification.kind == "users.confirmation_due"))
    )


def fresh(user):
    return User.get_by_id(user.id)


def login(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "Demo!2345", "agreement": "y"})
    return client, response


def test_reminders_come_30_7_and_1_days_before_the_due_date_once_each(app, make):
    with at(START):
        org, people = organisation(make)
    reminded_on = []
    day = datetime.date(2026, 10, 30)
    while day <= DUE:
        before = len(due_notices(people["admin"]))
        with at(day, 8, 5):
            run_job(app)
        with at(day, 20, 0):  # the job again the same day (a second worker, a restart): nothing more
            run_job(app)
        if len(due_notices(people["admin"])) > before:
            reminded_on.append((day, len(due_notices(people["admin"])) - before))
        day += datetime.timedelta(days=1)
    assert reminded_on == [
        (datetime.date(2026, 11, 4), 1),
        (datetime.date(2026, 11, 27), 1),
        (datetime.date(2026, 12, 3), 1),
    ]
    notices = due_notices(people["admin"])
    assert all("04.12.2026" in n.message for n in notices)
    assert [n.link for n in notices] == ["/users/confirm"] * 3
    assert "осталось дней: 30" in notices[0].message and "осталось дней: 1" in notices[2].message
    # By e-mail too, and only the admin is told: the others have nothing to confirm.
    assert MailMessage.select().where(MailMessage.to == people["admin"].email).count() == 3
    assert not due_notices(people["worker"]) and not due_notices(people["head"])
    assert fresh(people["worker"]).suspended_at is None  # reminded, not yet suspended on the last day
    events = AuditEvent.select().where(AuditEvent.action == "users.confirmation_reminded")
    assert sorted(json.loads(e.details)["days_before"] for e in events) == [1, 7, 30]


def test_the_reminder_day_is_the_exchanges_not_utcs(app, make, frozen_at):
    """30 days before on the Exchange's calendar, at each side of both midnights."""
    due = frozen_at.exchange_date + datetime.timedelta(days=30)
    org, people = organisation(make, start=due - datetime.timedelta(days=365))
    with app.app_context():
        assert service.standing(org).due == due
        assert service.standing(org).days_left == 30
    run_job(app)
    [notice] = due_notices(people["admin"])
    assert due.strftime("%d.%m.%Y") in notice.message


def test_users_not_confirmed_in_time_are_suspended_and_the_admins_confirmation_restores_them(app, make, mailbox):
    with at(START):
        org, people = organisation(make)
    for user in people.values():
        User.update(password_changed_at=utc_of(DUE, 23, 0)).where(User.id == user.id).execute()

    with at(DUE, 23, 50):  # the last day: nobody suspended yet; the worker is signed in
        run_job(app)
        assert fresh(people["worker"]).suspended_at is None
        worker, response = login(app, people["worker"].email)
        assert response.status_code == 302 and "/login" not in response.location
        assert worker.get("/").status_code == 200

    with at(DUE + datetime.timedelta(days=1), 0, 1):  # 05.12 00:01 Almaty = 04.12 19:01 UTC
        assert run_job(app)["suspended"] == 2
        assert fresh(people["worker"]).suspended_at is not None
        assert fresh(people["head"]).suspended_at is not None
        assert fresh(people["admin"]).suspended_at is None  # the admin can still confirm
        assert fresh(people["worker"]).is_active  # suspended, not deleted or switched off
        # The signed-in session ends with the suspension.
        assert worker.get("/").status_code == 302
        # The right password is told why; a wrong one gets the one answer every refusal gets.
        client, response = login(app, people["worker"].email)
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert SUSPENDED_MESSAGE in page and "Подтверждение пользователей" in page
        wrong = client.post(
            "/login", data={"email": people["worker"].email, "password": "Wrong!2345", "agreement": "y"}
        )
        assert "приостановлен" not in wrong.get_data(as_text=True)
        assert run_job(app)["suspended"] == 0  # once per due date
        suspended = AuditEvent.get(AuditEvent.action == "users.suspended")
        assert json.loads(suspended.details)["emails"] == sorted([people["worker"].email, people["head"].email])
        assert mailbox.wait_for(people["worker"].email)

        admin, response = login(app, people["admin"].email)
        page = admin.get("/users/confirm").get_data(as_text=True)
        assert "Приостановлен с 05.12.2026" in page and "04.12.2026" in page
        assert "Приостановлен с 05.12.2026" in admin.get("/users").get_data(as_text=True)  # the tab says so too
        ids = [u.id for u in service.active_users(org)]
        response = admin.post(
            "/users/confirm", data={"listed": ",".join(map(str, ids)), **{f"decision-{i}": "keep" for i in ids}}
        )
        assert response.status_code == 302
        assert fresh(people["worker"]).suspended_at is None and fresh(people["head"]).suspended_at is None
        row = UserConfirmation.get(
            (UserConfirmation.organisation == org) & UserConfirmation.confirmed_by.is_null(False)
        )
        assert (row.confirmed_by_id, row.kept, row.restored, row.deactivated) == (people["admin"].id, 3, 2, 0)
        event = AuditEvent.get(AuditEvent.action == "users.confirmed")
        assert event.actor_id == people["admin"].id
        assert json.loads(event.details)["next_due"] == "2027-12-05"  # 05.12.2026 + 365 days
        _client, response = login(app, people["worker"].email)
        assert response.status_code == 302 and "/login" not in response.location
        assert run_job(app)["suspended"] == 0


def test_deactivated_by_the_admin_cannot_sign_in(app, make):
    with at(DUE, 12):
        org, people = organisation(make)
        admin, _ = login(app, people["admin"].email)
        ids = [u.id for u in service.active_users(org)]
        decisions = {f"decision-{i}": "keep" for i in ids}
        decisions[f"decision-{people['worker'].id}"] = "deactivate"
        assert admin.post("/users/confirm", data={"listed": ",".join(map(str, ids)), **decisions}).status_code == 302
        assert not fresh(people["worker"]).is_active
        _client, response = login(app, people["worker"].email)
        assert response.status_code == 401 and "приостановлен" not in response.get_data(as_text=True)
        assert people["worker"].id not in [u.id for u in service.active_users(org)]


def test_only_the_organisations_admin_confirms_and_only_its_own_users(app, make):
    with at(DUE, 12):
        org, people = organisation(make)
        other, strangers = organisation(make)
        ids = [u.id for u in service.active_users(org)]
        keep_all = {"listed": ",".join(map(str, ids)), **{f"decision-{i}": "keep" for i in ids}}

        worker, _ = login(app, people["worker"].email)
        assert worker.get("/users/confirm").status_code == 403
        assert worker.post("/users/confirm", data=keep_all).status_code == 403
        staff = make.staff("admin")
        staff_client, _ = login(app, staff.email)
        assert staff_client.get("/users/confirm").status_code == 403

        admin, _ = login(app, people["admin"].email)
        # Another organisation's user slipped into the form: refused, nothing changed anywhere.
        attack = {**keep_all, f"decision-{strangers['worker'].id}": "deactivate"}
        assert admin.post("/users/confirm", data=attack).status_code == 404
        assert fresh(strangers["worker"]).is_active
        # Without the CSRF token: refused.
        assert admin.post("/users/confirm", data=keep_all, csrf=False).status_code == 400
        # The admin cannot switch off himself.
        self_off = {**keep_all, f"decision-{people['admin'].id}": "deactivate"}
        response = admin.post("/users/confirm", data=self_off)
        assert response.status_code == 422 and "Себя отключить нельзя" in response.get_data(as_text=True)
        # A user added while the page was open: confirm again, having seen him.
        make.user(org, last_name="Новичков")
        response = admin.post("/users/confirm", data=keep_all)
        assert response.status_code == 422 and "Список пользователей изменился" in response.get_data(as_text=True)
        assert "Новичков" in response.get_data(as_text=True)
        assert not UserConfirmation.select().where(UserConfirmation.confirmed_by.is_null(False)).exists()

        # Clients do not see the Exchange's overview, nor restore anyone.
        assert admin.get("/staff/user-confirmations").status_code == 403
        assert admin.post(f"/staff/users/{strangers['worker'].id}/restore").status_code == 403


def test_the_exchange_sees_the_organisations_overdue_or_due_soon_and_restores_a_user(app, make):
    with at(DUE + datetime.timedelta(days=1), 9):
        today = DUE + datetime.timedelta(days=1)
        _late, late_people = organisation(make, start=START, code="LATE")  # due 04.12.2026: overdue by 1 day
        organisation(make, start=today - datetime.timedelta(days=360), code="SOON")  # 5 days left
        organisation(make, start=today - datetime.timedelta(days=100), code="FINE")
        organisation(make, start=today, admin=False, code="NOADM")
        run_job(app)
        assert fresh(late_people["worker"]).suspended_at is not None

        listing = make.staff("listing")
        listing_client, _ = login(app, listing.email)
        assert listing_client.get("/staff/user-confirmations").status_code == 403
        staff = make.staff("admin")
        client, _ = login(app, staff.email)
        page = client.get("/staff/user-confirmations").get_data(as_text=True)
        assert "LATE" in page and "SOON" in page and "NOADM" in page and "FINE" not in page
        assert page.index("LATE") < page.index("NOADM") < page.index("SOON")
        assert "Просрочено на 1 дн." in page and "Осталось дней: 5" in page and "Нет администратора" in page
        assert late_people["worker"].email in page

        response = client.post(f"/staff/users/{late_people['worker'].id}/restore")
        assert response.status_code == 302
        assert fresh(late_people["worker"]).suspended_at is None
        event = AuditEvent.get(AuditEvent.action == "user.restore")
        assert event.actor_id == staff.id
        run_job(app)  # the suspension for this due date was done: the restored user stays restored
        assert fresh(late_people["worker"]).suspended_at is None


def test_an_organisation_without_an_admin_is_never_suspended(app, make):
    with at(START):
        org, people = organisation(make, admin=False)
    with at(DUE + datetime.timedelta(days=10)):
        run_job(app)
    assert fresh(people["worker"]).suspended_at is None


def test_the_demo_accounts_are_fresh_after_a_demo_load_even_a_year_on(app, demo):
    from core.demo import load

    clients = [o for o in {u.organisation for u in demo.values()} if not o.is_exchange]
    with app.app_context():
        assert all(st.state == "ok" for st in service.standings(clients))
        assert run_job(app) == {"reminded": 0, "suspended": 0}
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    with time_machine.travel(later, tick=False):
        run_job(app)
        assert fresh(demo["ceo@demo.kz"]).suspended_at is not None
        with app.app_context():
            load(echo=lambda *_: None)  # `make run` loads the demo every time
            assert all(st.state == "ok" for st in service.standings(clients))
        assert fresh(demo["ceo@demo.kz"]).suspended_at is None


def test_the_period_is_configured_in_days(tmp_path):
    from core.config import from_environment

    assert from_environment(tmp_path, {})["USER_CONFIRMATION_DAYS"] == 365
    assert from_environment(tmp_path, {"IS2IN_USER_CONFIRMATION_DAYS": "180"})["USER_CONFIRMATION_DAYS"] == 180
    for wrong in ("0", "-5", "year"):
        with pytest.raises(ValueError, match="IS2IN_USER_CONFIRMATION_DAYS"):
            from_environment(tmp_path, {"IS2IN_USER_CONFIRMATION_DAYS": wrong})


@pytest.fixture
def short_period(app):
    app.config["USER_CONFIRMATION_DAYS"] = 40
    return 40


def test_a_shorter_period_moves_the_due_date(app, make, short_period):
    with at(START):
        org, _people = organisation(make)
        with app.app_context():
            assert service.standing(org).due == START + datetime.timedelta(days=40)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Пайдаланушыларды растау", "Растау мерзімі", "Қалдыру", "Өшіру", "Тізімді растау"]),
        ("en", ["User confirmation", "Confirm by", "Keep", "Deactivate", "Confirm the list", "days left: 364"]),
    ],
)
def test_the_confirmation_page_and_the_suspension_speak_kazakh_and_english(app, make, lang, words):
    with at(START):
        org, people = organisation(make)
    with at(START + datetime.timedelta(days=1), 12):
        for user in people.values():
            User.update(locale=lang, password_changed_at=utc_of(START, 12)).where(User.id == user.id).execute()
        admin, _ = login(app, people["admin"].email)
        page = admin.get("/users/confirm").get_data(as_text=True)
        for word in words:
            assert word in page, word
    with at(DUE + datetime.timedelta(days=1), 12):
        run_job(app)
        client = app.test_client()
        client.post("/language", data={"lang": lang})  # the login page speaks the language chosen on it
        response = client.post(
            "/login", data={"email": people["worker"].email, "password": "Demo!2345", "agreement": "y"}
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 401
        assert ("тоқтатылды" if lang == "kk" else "Access to your account is suspended since 05.12.2026") in text
        [notice] = Notification.select().where(
            (Notification.user == people["admin"]) & (Notification.kind == "users.suspended")
        )
        assert ("расталмады" if lang == "kk" else "was not confirmed by 04.12.2026") in notice.message


def test_the_job_runs_every_morning_at_0805_in_almaty(app):
    task = app.extensions["tasks"]["user_confirmation_job"]
    # huey hands the schedule the naive UTC minute: 03:05 UTC is 08:05 in Almaty, 08:05 UTC is 13:05 there.
    assert task.task_class().validate_datetime(datetime.datetime(2026, 12, 4, 3, 5))
    assert not task.task_class().validate_datetime(datetime.datetime(2026, 12, 4, 8, 5))
