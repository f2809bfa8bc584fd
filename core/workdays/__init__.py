"""Kazakhstan working days: weekends and the public holidays of the Republic (the `holidays` package,
with its observed days), corrected by the days the Government transfers, which Exchange admins enter."""

import datetime
from functools import lru_cache

import holidays

from core.workdays.models import CalendarDay


@lru_cache(maxsize=32)
def public_holidays(year: int) -> dict:
    return dict(holidays.country_holidays("KZ", years=year))


def holiday_names(year: int, locale: str) -> list[tuple[datetime.date, str]]:
    """The year's public holidays named in the reader's language (the package has no Russian names,
    so Russian readers see the official Kazakh ones)."""
    language = {"en": "en_US"}.get(locale, "kk")
    return sorted(holidays.country_holidays("KZ", years=year, language=language).items())


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    return {
        row.date: row.working
        for row in CalendarDay.select().where((CalendarDay.date >= start) & (CalendarDay.date <= end))
    }


def is_working_day(day: datetime.date, overrides: dict | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``start`` (``count`` = 0: ``start`` itself if working, else the next)."""
    overrides = _overrides(start, start + datetime.timedelta(days=count * 3 + 30))
    day = start
    if count == 0:
        while not is_working_day(day, overrides):
            day += datetime.timedelta(days=1)
        return day
    remaining = count
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day, overrides):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    overrides = _overrides(start, end)
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + datetime.timedelta(days=n), overrides)
    )
