"""Issue 15: a notification's procedure and message in every language, so each reader sees them in theirs
(JSON; empty for text that reads the same in any language, and for the notifications written before)."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(
        migrator.add_column("notification", "procedure_i18n", pw.TextField(default="")),
        migrator.add_column("notification", "message_i18n", pw.TextField(default="")),
    )
