"""Days whose working status differs from the package's calendar: transfers the Government decreed that the
`holidays` package does not know yet (a day off, or a working Saturday), entered by Exchange admins."""

import threading

import peewee as pw

from core.db import BaseModel, utcnow

_lock = threading.Lock()
_generation = 0


def generation() -> int:
    """How many times this process has changed the table: a calendar built before a change is stale."""
    return _generation


def changed() -> None:
    global _generation
    with _lock:
        _generation += 1


class CalendarDay(BaseModel):
    date = pw.DateField(unique=True)
    working = pw.BooleanField()
    note = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "calendar_day"

    # Each change made through the model tells this process's calendar at once; other processes see it by
    # the table's signature (``core.workdays.calendar``).
    def save(self, *args, **kwargs):
        try:
            return super().save(*args, **kwargs)
        finally:
            changed()

    def delete_instance(self, *args, **kwargs):
        try:
            return super().delete_instance(*args, **kwargs)
        finally:
            changed()
