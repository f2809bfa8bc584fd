"""Deadlines count Kazakhstan working days: weekends, public holidays, and transferred days off."""

import datetime

import pytest

from core.workdays import add_working_days, is_working_day, working_days_between
from core.workdays.models import CalendarDay

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
