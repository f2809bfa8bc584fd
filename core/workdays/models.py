"""Days whose working status differs from the default calendar (transferred days off, working Saturdays)."""

import peewee as pw

from core.db import BaseModel, utcnow


class CalendarDay(BaseModel):
    date = pw.DateField(unique=True)
    working = pw.BooleanField()
    note = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "calendar_day"
