"""What the collateral check (S-5.2) saw for an order it cancelled: the account's free money at that moment
and the amount the order needed, so the page and the buyer's notice say why. Frozen here; the live model is
plugins/subscription/models.py:Order."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    migrate(
        migrator.add_column(
            "subscription_order", "free_at_check", pw.DecimalField(max_digits=24, decimal_places=2, null=True)
        ),
        migrator.add_column(
            "subscription_order", "needed_at_check", pw.DecimalField(max_digits=24, decimal_places=2, null=True)
        ),
    )
