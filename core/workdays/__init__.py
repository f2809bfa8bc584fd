"""Kazakhstan working days as the Government sets them.

The `holidays` package knows the Republic's public holidays, the days off moved to a weekday when a holiday
falls on a weekend, and the transfers the Government decreed (a day off moved to a weekday, the Saturday or
Sunday worked in exchange: Saturday 4 May 2024 was worked for Wednesday 8 May). Its own ``is_working_day``
is the base here. Exchange admins enter the transfers of decrees the package does not know yet; their entry
for a day overrides the package, both ways.

One calendar serves a whole process: the package's days are computed once per year, and the admins' table
is read whole and kept while its signature (one small aggregate query, at most once per request or job)
stays the same. A day an admin saves in this process refreshes it at once; another process sees the change
at its next request or job. Pages never read the calendar per listed row.
"""

import datetime
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache

import holidays
import peewee
from flask import g, has_app_context

from core.db import Prepared, db
from core.workdays.models import CalendarDay, generation

ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=64)
def package_days_off(year: int) -> frozenset[datetime.date]:
    """The days of ``year`` the package says are not worked (weekends not worked, public holidays, observed
    and transferred days off). Built from three years: a transfer may reach across New Year (the package's
    2014 data make Saturday 28 December 2013 a working day)."""
    if not 1 <= year <= 9999:
        raise ValueError(f"no calendar for year {year}")
    package = holidays.country_holidays("KZ", years=range(max(1, year - 1), min(9999, year + 1) + 1))
    first = datetime.date(year, 1, 1)
    days = (datetime.date(year, 12, 31) - first).days + 1
    return frozenset(
        day for day in (first + datetime.timedelta(days=n) for n in range(days)) if not package.is_working_day(day)
    )


def package_weekend_workdays(year: int) -> list[datetime.date]:
    """The Saturdays and Sundays of ``year`` the package says are worked (transfers it knows)."""
    off = package_days_off(year)
    first = datetime.date(year, 1, 1)
    return [
        day
        for day in (first + datetime.timedelta(days=n) for n in range((datetime.date(year, 12, 31) - first).days + 1))
        if day.weekday() >= 5 and day not in off
    ]


def holiday_names(year: int, locale: str) -> list[tuple[datetime.date, str]]:
    """The year's public holidays named in the reader's language (the package has no Russian names,
    so Russian readers see the official Kazakh ones)."""
    language = {"en": "en_US"}.get(locale, "kk")
    return sorted(holidays.country_holidays("KZ", years=year, language=language).items())


class Calendar:
    """The working days: the admins' entries over the package's calendar. Immutable once built."""

    def __init__(self, overrides: Mapping[datetime.date, bool]):
        self.overrides = dict(overrides)

    def is_working_day(self, day: datetime.date) -> bool:
        working = self.overrides.get(day)
        if working is not None:
            return working
        return day not in package_days_off(day.year)

    def add_working_days(self, start: datetime.date, count: int) -> datetime.date:
        """The ``count``-th working day after ``start`` (``count`` = 0: ``start`` itself if working, else the
        next)."""
        day = start
        if count == 0:
            while not self.is_working_day(day):
                day += ONE_DAY
            return day
        remaining = count
        while remaining:
            day += ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + datetime.timedelta(n)))

    def days_left(self, today: datetime.date, deadlines: Iterable[datetime.date | None]) -> dict:
        """``working_days_between(today, deadline)`` for every deadline of a page, counting the span once."""
        deadlines = {d for d in deadlines if d}
        if not deadlines:
            return {}
        start, end = min(deadlines | {today}), max(deadlines | {today})
        worked = [0]  # worked[i]: working days after ``start`` up to and including start + i
        for n in range(1, (end - start).days + 1):
            worked.append(worked[-1] + self.is_working_day(start + datetime.timedelta(days=n)))
        return {d: worked[(d - start).days] - worked[(today - start).days] for d in deadlines}


_lock = threading.Lock()
_built: dict = {}  # the process's calendar: {"calendar", "signature", "database", "generation"}


def _signature() -> tuple:
    """What changes whenever a row is added or removed by any process: the count, the last id, the last
    entry time. One aggregate over a table of a few dozen rows."""
    return tuple(_SIGNATURE.first())


# Asked once in every request that counts working days: its SQL is built once per process (core.db.Prepared).
_SIGNATURE = Prepared(
    lambda: CalendarDay.select(
        peewee.fn.COUNT(CalendarDay.id), peewee.fn.MAX(CalendarDay.id), peewee.fn.MAX(CalendarDay.created_at)
    ).tuples()
)


def _current() -> Calendar:
    database = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    changes = generation()
    signature = _signature()
    with _lock:
        built = dict(_built)
    if built and built["signature"] == signature and built["database"] is database and built["generation"] == changes:
        return built["calendar"]
    overrides = dict(CalendarDay.select(CalendarDay.date, CalendarDay.working).tuples())
    calendar = Calendar(overrides)
    with _lock:
        _built.clear()
        _built.update(calendar=calendar, signature=signature, database=database, generation=changes)
    return calendar


def calendar() -> Calendar:
    """This process's calendar, checked against the admins' table once per request or job (its app context)
    and whenever this process changed the table; outside an app context, at every call."""
    if not has_app_context():
        return _current()
    kept = g.get("_workdays_calendar")
    if kept is not None and kept[0] == generation():
        return kept[1]
    changes = generation()
    current = _current()
    g._workdays_calendar = (changes, current)
    return current


def is_working_day(day: datetime.date) -> bool:
    return calendar().is_working_day(day)


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``start`` (``count`` = 0: ``start`` itself if working, else the next)."""
    return calendar().add_working_days(start, count)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
    return calendar().working_days_between(start, end)


def days_left(today: datetime.date, deadlines: Iterable[datetime.date | None]) -> dict:
    """Working days from ``today`` to each of ``deadlines`` (negative when passed), with one calendar."""
    return calendar().days_left(today, deadlines)
