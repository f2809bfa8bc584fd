"""Calendar corrections that Exchange admins maintain (transferred days off)."""

import peewee as pw


def upgrade(db, migrator):
    class CalendarDay(pw.Model):
        date = pw.DateField(unique=True)
        working = pw.BooleanField()
        note = pw.CharField(max_length=255, default="")
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "calendar_day"

    db.create_tables([CalendarDay])
