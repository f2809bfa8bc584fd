"""G-24's review deadline as a clock that stops (issue 19.2): the review's working days run from registration,
stop on the day the Exchange asks the client for more documents and restart, with the days that were left, when the
answer arrives, as the FCA's statutory clock does. Only the Exchange's time is counted: while the client owes
documents the review is never overdue. A process has the clock where its definition says so
(``Process.stopping_clock``); every category gets it through the engine's transitions.

Days are the Exchange's (Almaty) dates on the one working-day calendar of the process (core/workdays): a day the
clock starts or restarts is not counted, the next working day is the first; the day it stops is counted as used.
"""

import datetime
from dataclasses import dataclass

from peewee import Case, fn

from core import audit, clock
from core.db import Prepared, Slot
from core.workdays import calendar
from core.workflow.models import Application, ClockEvent

CLIENT_ACTORS = ("initiator", "first_head")
RUNNING = ("started", "restarted")


def shift(day: datetime.date, count: int) -> datetime.date:
    """The day ``count`` working days after ``day`` (before it when negative): the deadline of a clock restarted on
    ``day`` with ``count`` days left, so that ``working_days_between(day, deadline) == count``."""
    cal = calendar()
    if count >= 0:
        return cal.add_working_days(day, count)
    owed, found = -count, 0
    while found < owed:
        if cal.is_working_day(day):
            found += 1
        day -= datetime.timedelta(days=1)
    return day


def _record(app, **fields) -> ClockEvent:
    event = ClockEvent.create(application=app, **fields)
    audit.record(
        f"clock.{event.kind}",
        app,
        organisation=app.organisation,
        actor=fields.get("actor"),
        process=event.process,
        day=event.day.isoformat(),
        used=event.used,
        left=event.left,
        deadline=event.deadline.isoformat() if event.deadline else "",
    )
    return event


def last_event(app) -> ClockEvent | None:
    return ClockEvent.select().where(ClockEvent.application == app).order_by(ClockEvent.id.desc()).first()


def on_move(app: Application, source, target, action: str, user, deadline):
    """The review clock's part of a transition (inside its transaction): the events it records and the
    ``(deadline, clock_left)`` the application takes."""
    today = clock.today()
    cal = calendar()
    last = last_event(app)
    clock_left = app.clock_left
    if last is not None and last.kind in RUNNING and last.process == source.code and source.code != target.code:
        used = last.used + cal.working_days_between(last.day, today)
        left = last.left - cal.working_days_between(last.day, today)
        stops = target.actor in CLIENT_ACTORS and action != "withdraw"
        last = _record(
            app,
            kind="stopped" if stops else "finished",
            process=source.code,
            day=today,
            used=used,
            left=left,
            actor=user,
        )
        clock_left = left if stops else None
    elif action == "withdraw" and last is not None and last.kind == "stopped":
        _record(
            app,
            kind="finished",
            process=last.process,
            day=today,
            used=last.used,
            left=last.left,
            actor=user,
        )
        clock_left = None
    if target.stopping_clock and source.code != target.code:
        if last is not None and last.kind == "stopped" and last.process == target.code:
            deadline = shift(today, last.left)
            _record(
                app,
                kind="restarted",
                process=target.code,
                day=today,
                used=last.used,
                left=last.left,
                deadline=deadline,
                actor=user,
            )
        else:
            _record(
                app,
                kind="started",
                process=target.code,
                day=today,
                used=0,
                left=target.deadline_days,
                deadline=deadline,
                actor=user,
            )
        clock_left = None
    return deadline, clock_left


@dataclass
class State:
    """The clock as a page shows it today."""

    running: bool
    stopped: bool
    used: int
    left: int
    deadline: datetime.date | None
    events: list

    @property
    def overdue(self) -> bool:
        return self.running and self.left < 0


# Every load of an application's page reads it: the SQL is built once per process (core.db.Prepared).
_EVENTS = Prepared(
    lambda: ClockEvent.select().where(ClockEvent.application == Slot("application")).order_by(ClockEvent.id)
)


def state(app: Application, today: datetime.date | None = None) -> State | None:
    """The clock's history and where it stands ``today`` (the Exchange's date); None where it never ran."""
    events = list(_EVENTS.rows(application=app))
    if not events:
        return None
    today = today or clock.today()
    last = events[-1]
    if last.kind in RUNNING:
        passed = calendar().working_days_between(last.day, today)
        return State(True, False, last.used + passed, last.left - passed, last.deadline, events)
    return State(False, last.kind == "stopped", last.used, last.left, None, events)


# The distinct counts of stopped clocks, from the index of migration 0022 (its SQL built once per process).
_COUNTS = Prepared(
    lambda: (
        Application.select(fn.DISTINCT(Application.clock_left)).where(Application.clock_left.is_null(False)).tuples()
    )
)


def sort_key(today: datetime.date | None = None):
    """An SQL expression ordering applications by the review's working days left: a stopped clock's days left
    stand for the deadline it would have if it restarted today (one date per distinct count, a handful), a running
    one's deadline is its own. Other deadlines sort as they are.

    A running clock (no count, most applications) is answered by the first test, before the counts are compared
    one by one (the inbox sorts a department's thousands of applications by it): the same value for every row as
    CASE clock_left WHEN ... ELSE deadline, whose comparisons with NULL all fail."""
    today = today or clock.today()
    counts = [row[0] for row in _COUNTS.rows()]
    if not counts:
        return Application.deadline
    stopped = Case(Application.clock_left, [(n, shift(today, n)) for n in counts], Application.deadline)
    return Case(None, [(Application.clock_left.is_null(), Application.deadline)], stopped)
