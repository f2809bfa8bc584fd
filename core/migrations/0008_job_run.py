"""Slots of periodic jobs, so each runs once per scheduled minute across workers."""

import peewee as pw


def upgrade(db, migrator):
    class JobRun(pw.Model):
        name = pw.CharField(max_length=128)
        slot = pw.CharField(max_length=32)
        started_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "job_run"
            indexes = ((("name", "slot"), True),)

    db.create_tables([JobRun])
