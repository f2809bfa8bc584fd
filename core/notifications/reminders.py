"""Deadline reminders that a plugin's daily job sends (the auditors' yearly confirmation, the issuers'
disclosure obligations): who hears of them, which reminder is owed today, and sending each one once.
The plugin keeps what is its own: what is due, the row that records a reminder, the message."""

import datetime
from collections.abc import Callable, Iterable

from peewee import IntegrityError

from core import tasks
from core.accounts.models import User
from core.workdays import working_days_between

OVERDUE = "overdue"


def contacts(organisation) -> list[User]:
    """Who hears about the organisation's deadlines: its administrators and first heads."""
    return list(
        User.active_in(organisation).where((User.is_org_admin == True) | (User.is_first_head == True))  # noqa: E712
    )


def reminder_due(deadline: datetime.date, today: datetime.date, days: Iterable[int]) -> str | None:
    """The reminder owed today, if any: the nearest of ``days`` (working days before the deadline) reached,
    or "overdue" after the deadline. A job that missed days sends only the most urgent one, never a burst
    of stale ones."""
    if today > deadline:
        return OVERDUE
    left = working_days_between(today, deadline)
    reached = [n for n in days if left <= n]
    return str(min(reached)) if reached else None


def send_once(items, *, due: Callable, sent: Callable, send: Callable) -> int:
    """Sends each item's reminder once and answers how many went. ``due(item)`` is the reminder's key owed
    today (None: none), ``sent(item, key)`` whether it went already, ``send(item, key)`` writes the row that
    records it and notifies, in one change (the notification leaves only if the row is written). The row's
    unique index is what makes it once only when two workers race: the loser skips the item."""
    count = 0
    for item in items:
        key = due(item)
        if key is None or sent(item, key):
            continue
        try:
            with tasks.change():
                send(item, key)
        except IntegrityError:
            continue
        count += 1
    return count
