"""Failed deals (S-10.1, S-10.6, S-12): why a deal was not executed, who is to blame, the day it was
declared failed (the penalty window of S-12.2 counts from it) and a referral to the disputes commission
(S-12.6). Frozen here; the live model is plugins/subscription/models.py:DealFailure."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class User(Base):
        class Meta:
            table_name = "users"

    class Deal(Base):
        class Meta:
            table_name = "subscription_deal"

    class DealFailure(Base):
        deal = pw.ForeignKeyField(Deal, unique=True, on_delete="CASCADE", backref="+")
        ground = pw.CharField(max_length=16)
        note = pw.TextField(default="")
        guilty = pw.ForeignKeyField(Organisation, null=True, backref="+")
        declared_on = pw.DateField()
        declared_by = pw.ForeignKeyField(User, null=True, backref="+")
        disputed_on = pw.DateField(null=True)
        disputed_by = pw.ForeignKeyField(Organisation, null=True, backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_deal_failure"

    db.create_tables([DealFailure])
