"""Disclosure deadlines (G-12 category 5) computed over Kazakhstan's working days: weekends, New Year
and Christmas, Nauryz with its observed days, and the days Exchange admins transfer."""

import datetime

import pytest

from core.workdays.models import CalendarDay
from plugins.disclosure.models import Obligation
from plugins.disclosure.rules import RULE_BY_KIND, due_date, due_in, period_label

D = datetime.date


def due(kind, day):
    return due_date(RULE_BY_KIND[kind], day)


@pytest.mark.rule("G-12")
def test_a_material_event_on_new_years_eve_is_due_after_the_new_year_and_christmas(app):
    # 1-2 January are holidays, 3-4 a weekend, 7 January Orthodox Christmas:
    # the 3rd working day after 31.12.2025 is 8 January (5, 6, 8).
    assert due("material_event", D(2025, 12, 31)) == D(2026, 1, 8)
    assert due("material_event", D(2025, 12, 30)) == D(2026, 1, 6)  # 31, 5, 6


@pytest.mark.rule("G-12")
def test_a_material_event_before_nauryz_waits_for_the_holidays_to_end(app):
    # 21-25 March 2026: Nauryz (21-23) and the days observed for its weekend (24-25).
    assert due("material_event", D(2026, 3, 20)) == D(2026, 3, 30)  # 26, 27, 30
    assert due("material_event", D(2026, 3, 18)) == D(2026, 3, 26)  # 19, 20, 26


@pytest.mark.rule("G-12")
def test_the_annual_statements_deadline_moves_off_a_weekend(app):
    # 31.12.2025 + 150 calendar days = Saturday 30.05.2026 -> Monday 01.06.2026.
    assert due("annual_statements", D(2025, 12, 31)) == D(2026, 6, 1)


def test_interim_and_annual_report_deadlines(app):
    assert due("interim_statements", D(2026, 3, 31)) == D(2026, 5, 15)  # Friday
    assert due("interim_statements", D(2026, 6, 30)) == D(2026, 8, 17)  # 15.08 is a Saturday
    assert due("interim_statements", D(2026, 9, 30)) == D(2026, 11, 16)  # 15.11 is a Sunday
    assert due("annual_report", D(2025, 12, 31)) == D(2026, 8, 31)
    assert due("annual_report", D(2027, 12, 31)) == D(2028, 8, 31)  # the end of the month, leap year or not


def test_a_day_the_government_transfers_moves_the_deadline_too(app):
    CalendarDay.create(date=D(2026, 6, 1), working=False, note="перенос")
    assert due("annual_statements", D(2025, 12, 31)) == D(2026, 6, 2)


def test_the_calendar_of_a_year_holds_what_falls_due_in_it(app):
    found = {(rule.kind, period): day for rule, period, day in due_in(2026)}
    assert found == {
        ("annual_statements", "2025"): D(2026, 6, 1),
        ("annual_report", "2025"): D(2026, 8, 31),
        ("interim_statements", "2026-Q1"): D(2026, 5, 15),
        ("interim_statements", "2026-Q2"): D(2026, 8, 17),
        ("interim_statements", "2026-Q3"): D(2026, 11, 16),
    }


def test_working_days_overdue_skip_nauryz(app, issuer):
    late = Obligation.create(organisation=issuer, kind="material_event", period="2026-03-13", due_on=D(2026, 3, 20))
    assert late.overdue_days(D(2026, 3, 25)) == 0  # Nauryz: not a working day yet
    assert late.overdue_days(D(2026, 3, 26)) == 1
    assert late.overdue_days(D(2026, 3, 19)) == 0


@pytest.mark.parametrize(("period", "text"), [("2025", "2025 год"), ("2026-Q3", "3 квартал 2026 года")])
def test_periods_read_as_people_write_them(app, period, text):
    with app.test_request_context():
        assert period_label("annual_statements", period) == text
