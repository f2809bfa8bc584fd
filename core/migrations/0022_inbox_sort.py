"""Indexes for the Exchange's inbox, which opens sorted by the review's working days left (issue 20):

- application (clock_left): the few distinct counts of stopped clocks that the sort's CASE is built from
  (``reviewclock.sort_key``) are read from the index's non-null end instead of a scan of every application.
- application (procedure, status, submitted_at, clock_left, deadline): the inbox's page is chosen by that CASE over
  a department's sent applications; with both of its columns in the index the ids are sorted from the index alone,
  without reading each application's row (a tenth of the inbox's time at 20,000 applications)."""


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(
        migrator.add_index("application", ("clock_left",), name="application_clock_left"),
        migrator.add_index(
            "application",
            ("procedure", "status", "submitted_at", "clock_left", "deadline"),
            name="application_inbox_left",
        ),
    )
