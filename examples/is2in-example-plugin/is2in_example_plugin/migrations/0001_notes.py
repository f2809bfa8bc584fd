"""The example plugin's own table."""

import peewee as pw


def upgrade(db, migrator):
    class ExampleNote(pw.Model):
        text = pw.CharField()

        class Meta:
            database = db
            table_name = "example_note"

    db.create_tables([ExampleNote])
