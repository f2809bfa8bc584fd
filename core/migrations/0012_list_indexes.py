"""Indexes for the lists at the Exchange's size (20,000 applications, 280,000 audit events): each list's filter and
order, and its pager's count, answered from an index instead of a read of every application.

- application (status, created_at): "Архив" and the other lists of one status, newest first, read only the page.
- application (procedure, status, submitted_at, created_at): the Exchange's inbox (a department's procedures, sent
  and not finished), counted and its newest page chosen from the index alone.
- application (status, submitted_at, procedure, organisation_id, number): the count of an archive search (the
  number, the procedure or the company) from the index alone.
- audit_event (object_type, object_id): an application's history, without a scan of the whole audit trail."""


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(
        migrator.add_index("application", ("status", "created_at"), name="application_status_created_at"),
        migrator.add_index(
            "application", ("procedure", "status", "submitted_at", "created_at"), name="application_inbox"
        ),
        migrator.add_index(
            "application",
            ("status", "submitted_at", "procedure", "organisation_id", "number"),
            name="application_search_count",  # the default name would pass PostgreSQL's 63 characters
        ),
        migrator.add_index("audit_event", ("object_type", "object_id"), name="auditevent_object_type_object_id"),
    )
