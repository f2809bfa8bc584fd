"""Separate acceptance windows of one subscription (retail, institutional...), each with its own dates and
minimum order, and the window an order was submitted to. Frozen here; the live models are
plugins/subscription/models.py:Window and Order.window."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    class Base(pw.Model):
        class Meta:
            database = db

    class Subscription(Base):
        class Meta:
            table_name = "subscription"

    class Window(Base):
        subscription = pw.ForeignKeyField(Subscription, backref="+", on_delete="CASCADE")
        name = pw.CharField(max_length=64)
        accept_from = pw.DateTimeField()
        accept_to = pw.DateTimeField()
        min_amount = pw.DecimalField(max_digits=24, decimal_places=2, null=True)

        class Meta:
            table_name = "subscription_window"
            indexes = ((("subscription", "name"), True),)

    db.create_tables([Window])
    migrate(
        migrator.add_column(
            "subscription_order",
            "window_id",
            pw.ForeignKeyField(Window, null=True, field=Window.id, on_delete="SET NULL"),
        ),
    )
