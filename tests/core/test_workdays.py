"""Deadlines count Kazakhstan working days: weekends, public holidays, and transferred days off."""

import datetime

import pytest

from core import workdays
from core.db import utcnow
from core.workdays import add_working_days, is_working_day, package_weekend_workdays, working_days_between
from core.workdays.models import CalendarDay
from core.workflow import engine
from core.workflow.models import Application, ApplicationMember
from tests.core.calendar_queries import CalendarQueries

D = datetime.date


@pytest.mark.usefixtures("app")
class TestWorkingDays:
    def test_weekends_are_not_working_days(self):
        assert is_working_day(D(2026, 11, 20)) and not is_working_day(D(2026, 11, 21))

    def test_nauryz_is_skipped(self):
        # Nauryz 2026: 21-23 March plus observed days 24-25 March.
        assert add_working_days(D(2026, 3, 20), 1) == D(2026, 3, 26)

    def test_year_end_and_new_year(self):
        # 31 Dec 2026 is a Thursday; 1-2 Jan are holidays, 3-4 a weekend, 7 Jan Orthodox Christmas.
        assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 5)
        assert add_working_days(D(2026, 12, 31), 3) == D(2027, 1, 8)

    def test_a_transferred_day_off_and_a_working_saturday(self):
        CalendarDay.create(date=D(2026, 11, 23), working=False, note="перенос")
        CalendarDay.create(date=D(2026, 11, 21), working=True, note="рабочая суббота")
        assert add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 21)
        assert add_working_days(D(2026, 11, 20), 2) == D(2026, 11, 24)

    def test_days_left_between_dates(self):
        assert working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5
        assert working_days_between(D(2026, 11, 27), D(2026, 11, 20)) == -5
        assert working_days_between(D(2026, 11, 20), D(2026, 11, 20)) == 0

    def test_zero_days_rolls_to_the_next_working_day(self):
        assert add_working_days(D(2026, 11, 21), 0) == D(2026, 11, 23)


def test_admins_maintain_transferred_days(client, auth, make):
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    page = client.get("/staff/calendar?year=2026").get_data(as_text=True)
    assert "Наурыз" in page  # public holidays listed (official Kazakh names)
    client.post("/staff/calendar", data={"date": "2026-12-31", "working": "0", "note": "Постановление"})
    assert CalendarDay.get().working is False
    again = client.post("/staff/calendar", data={"date": "2026-12-31", "working": "1"})
    assert "Для этой даты уже есть запись." in again.get_data(as_text=True)
    client.post(f"/staff/calendar/{CalendarDay.get().id}/delete")
    assert CalendarDay.select().count() == 0


def test_a_year_the_calendar_cannot_hold_is_not_found(client, auth, make):
    """Found by the hostile-input test: a year past a C integer was an OverflowError (500), not a 404."""
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    for year in ("-69952758156", "10000", "0", "abc", "99999999999999999999"):
        assert client.get(f"/staff/calendar?year={year}").status_code == 404, year
    assert client.get("/staff/calendar?year=9999").status_code == 200
    assert client.get("/staff/calendar?year=1").status_code == 200


# --- the package's transfers (holidays 0.108, pinned in requirements.lock) -------------------------------


@pytest.mark.usefixtures("app")
class TestThePackagesTransfers:
    """The Government's transfers the `holidays` package knows count without an admin entering them: a day
    off moved to a weekday, and the Saturday or Sunday worked in exchange."""

    def test_2024_saturday_4_may_was_worked_for_wednesday_8_may(self):
        # Decree of 2024 (adilet G24G0000109): 8 May off, Saturday 4 May worked. 7 May Defender's Day, 9 May
        # Victory Day, 1 May Unity Day; Nauryz 21-23 March with 23 March a Saturday, so Monday 25 March off.
        assert is_working_day(D(2024, 5, 4))
        assert not any(is_working_day(D(2024, 5, d)) for d in (1, 5, 7, 8, 9))
        assert is_working_day(D(2024, 5, 6)) and is_working_day(D(2024, 5, 10))
        assert not is_working_day(D(2024, 3, 25))
        assert package_weekend_workdays(2024) == [D(2024, 5, 4)]
        assert add_working_days(D(2024, 5, 3), 1) == D(2024, 5, 4)
        assert add_working_days(D(2024, 5, 4), 1) == D(2024, 5, 6)
        assert add_working_days(D(2024, 5, 6), 1) == D(2024, 5, 10)
        # 30 April to 10 May: 2, 3, 4, 6 and 10 May
        assert working_days_between(D(2024, 4, 30), D(2024, 5, 10)) == 5

    def test_2025_sunday_5_january_was_worked_for_friday_3_january(self):
        assert is_working_day(D(2025, 1, 5)) and not is_working_day(D(2025, 1, 3))
        assert package_weekend_workdays(2025) == [D(2025, 1, 5)]
        # 31 December 2024 is a Tuesday: 1-2 January holidays, 3 January the transferred day off, 4 a Saturday
        assert add_working_days(D(2024, 12, 31), 1) == D(2025, 1, 5)
        # then 6 January, and 7 January (Orthodox Christmas) is off
        assert add_working_days(D(2024, 12, 31), 3) == D(2025, 1, 8)

    def test_2026_the_package_knows_no_transfer_only_the_observed_days_off(self):
        """For 2026 the pinned package has no decree: every Saturday and Sunday is off, the days moved off a
        weekend by law are off (8 March a Sunday: 9 March; 9 May a Saturday: 11 May). A 2026 decree is for
        the admins' table until the package learns it."""
        assert package_weekend_workdays(2026) == []
        assert not is_working_day(D(2026, 3, 9)) and not is_working_day(D(2026, 5, 11))
        assert is_working_day(D(2026, 5, 8))
        assert add_working_days(D(2026, 5, 8), 1) == D(2026, 5, 12)

    def test_a_transfer_across_new_year_reaches_the_earlier_year(self):
        # the package's 2014 data: 3 January 2014 off for Saturday 28 December 2013
        assert is_working_day(D(2013, 12, 28)) and not is_working_day(D(2014, 1, 3))


# --- the admins' table over the package ------------------------------------------------------------------


def test_an_admins_entry_overrides_the_package_both_ways(client, auth, make):
    """A decree the package does not know, or one it has wrong: the admin's day wins, in the same process
    at once (no restart), for a day the package calls working and for one it calls a day off."""
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    assert is_working_day(D(2024, 5, 4)) and not is_working_day(D(2024, 5, 8))  # the package's view
    page = " ".join(client.get("/staff/calendar?year=2024").get_data(as_text=True).split())
    assert "Рабочие субботы и воскресенья</h2>" in page and "<li>04.05.2024</li>" in page  # nothing to enter
    page = " ".join(client.get("/staff/calendar?year=2026").get_data(as_text=True).split())
    assert '<li class="muted">В этом году нет.</li>' in page
    client.post("/staff/calendar", data={"date": "2024-05-04", "working": "0", "note": "проверка"})
    client.post("/staff/calendar", data={"date": "2024-05-08", "working": "1", "note": "проверка"})
    assert not is_working_day(D(2024, 5, 4)) and is_working_day(D(2024, 5, 8))
    # a 2026 decree the package does not know: Saturday 3 January worked, Friday 9 January off
    client.post("/staff/calendar", data={"date": "2026-01-03", "working": "1", "note": "постановление"})
    client.post("/staff/calendar", data={"date": "2026-01-09", "working": "0", "note": "постановление"})
    assert add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 3)
    # after it: 5, 6, (7 Orthodox Christmas off), 8, (9 transferred off, 10-11 a weekend), 12
    assert add_working_days(D(2026, 1, 3), 3) == D(2026, 1, 8)
    assert add_working_days(D(2026, 1, 3), 4) == D(2026, 1, 12)
    # the admin removes an entry: the package's day is back
    day = CalendarDay.get(CalendarDay.date == D(2024, 5, 4))
    client.post(f"/staff/calendar/{day.id}/delete")
    assert is_working_day(D(2024, 5, 4))


def test_another_process_entry_reaches_this_process_at_its_next_request(app):
    """A day saved by another process (another web worker, `is2in worker`) does not pass through this
    process's model: the table's signature, checked once per request or job, shows the change."""
    with app.test_request_context():
        before = workdays.calendar()
        assert workdays.calendar() is before  # one calendar for the whole request
        assert is_working_day(D(2026, 11, 27))
    CalendarDay.insert(date=D(2026, 11, 27), working=False, note="другой процесс").execute()  # no save()
    with app.test_request_context():
        assert not is_working_day(D(2026, 11, 27))
        after = workdays.calendar()
    with app.test_request_context():
        assert workdays.calendar() is after  # nothing changed since: the same calendar, not rebuilt


def test_a_request_reads_the_calendar_once_and_the_process_builds_it_once(client, auth, make):
    """The admins' table is read whole when it changes; every later request only checks its signature."""
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    CalendarDay.create(date=D(2026, 11, 27), working=False, note="перенос")
    with CalendarQueries() as counted:
        with client.application.test_request_context():
            for n in range(200):
                working_days_between(D(2026, 1, 1), D(2026, 1, 1) + datetime.timedelta(days=n))
    assert counted.count == 2  # the signature, then the table once (it changed)
    with CalendarQueries() as counted:
        with client.application.test_request_context():
            for n in range(200):
                add_working_days(D(2026, 1, 1), n)
    assert counted.count == 1  # the signature only


@pytest.mark.rule("G-24")
def test_the_review_deadline_counts_the_working_saturday_4_may_2024(client, auth, make, monkeypatch):
    """The office registers an application on Thursday 2 May 2024 and the Exchange's review (ten working days
    for a listing) starts: 3, 4 (the working Saturday), 6, 10, 13, 14, 15, 16, 17 and 20 May. Without the
    Saturday the deadline would be 21 May, a day late."""
    monkeypatch.setattr(engine, "today", lambda: D(2024, 5, 2))
    org = make.org(code="ALFA")
    author = make.user(org, email="author@alfa.kz")
    make.staff("office", email="office@kase.kz")
    application = Application.create(
        number="L-2024-00001", organisation=org, procedure="listing.shares", status="submitted",
        author=author, process="registration", submitted_at=utcnow(),
    )  # fmt: skip
    ApplicationMember.create(application=application, user=author, role="author")
    auth.login("office@kase.kz")
    response = client.post(
        f"/applications/{application.id}/act/register",
        data={
            "version": str(application.version),
            "register-registration_number": "ВХ-1",
            "register-registered_on": "2024-05-02",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    application = Application.get_by_id(application.id)
    assert application.process == "review" and application.deadline == D(2024, 5, 20)
    auth.logout()
    auth.login("author@alfa.kz")
    assert "20.05.2024" in client.get(f"/applications/{application.id}").get_data(as_text=True)
