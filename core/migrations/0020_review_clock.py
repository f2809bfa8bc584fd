"""G-24's review clock that stops while the client owes documents (its events, the days left while stopped) and
the snapshots an application is compared with when it comes back (issue 19, items 1 and 2)."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class Application(Base):
        class Meta:
            table_name = "application"

    class ClockEvent(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        kind = pw.CharField(max_length=16)
        process = pw.CharField(max_length=64)
        day = pw.DateField()
        used = pw.IntegerField()
        left = pw.IntegerField()
        deadline = pw.DateField(null=True)
        actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "clock_event"
            indexes = ((("application", "id"), False),)

    class Snapshot(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        action = pw.CharField(max_length=32)
        process = pw.CharField(max_length=64)
        author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        data = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "snapshot"
            indexes = ((("application", "id"), False),)

    migrate(migrator.add_column("application", "clock_left", pw.IntegerField(null=True)))
    db.create_tables([ClockEvent, Snapshot])
