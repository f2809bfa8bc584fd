"""The decision's result as a code ("approved" | "refused"), whatever language it was recorded in."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(migrator.add_column("application", "decision_result", pw.CharField(max_length=16, default="")))
