"""The subscription module's tables (frozen here; the live models are in plugins/subscription/models.py)."""

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

    class StoredFile(Base):
        class Meta:
            table_name = "stored_file"

    class Subscription(Base):
        number = pw.CharField(max_length=32, null=True, unique=True)
        seller = pw.ForeignKeyField(Organisation)
        filed_by = pw.ForeignKeyField(User)
        state = pw.CharField(max_length=24, index=True, default="draft")
        version = pw.IntegerField(default=0)
        issuer_name = pw.CharField(max_length=255)
        issuer = pw.ForeignKeyField(Organisation, null=True)
        security_kind = pw.CharField(max_length=8)
        isin = pw.CharField(max_length=12)
        quantity = pw.BigIntegerField(null=True)
        total_nominal = pw.DecimalField(max_digits=24, decimal_places=2, null=True)
        nominal = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        seller_account_type = pw.CharField(max_length=64)
        seller_account = pw.CharField(max_length=64)
        private = pw.BooleanField(default=False)
        abroad = pw.BooleanField(default=False)
        accept_from = pw.DateTimeField()
        accept_to = pw.DateTimeField()
        confirmation_minutes = pw.IntegerField(default=0)
        market_orders = pw.BooleanField(default=False)
        collateral_mode = pw.CharField(max_length=12, default="submission")
        collateral_at = pw.DateTimeField(null=True)
        activation_at = pw.DateTimeField()
        ccp = pw.BooleanField(default=True)
        currency = pw.CharField(max_length=3, default="KZT")
        criteria_check = pw.BooleanField(default=False)
        criteria = pw.TextField(default="")
        investor_data = pw.BooleanField(default=False)
        investor_items = pw.TextField(default="[]")
        accepted_register_on = pw.DateField()
        satisfied_register_on = pw.DateField()
        settlement_org = pw.CharField(max_length=8, default="cd")
        settlement_org_name = pw.CharField(max_length=255, default="")
        deal_at = pw.DateTimeField()
        settlement_at = pw.DateTimeField()
        other_conditions = pw.TextField(default="")
        seller_price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        book_value = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        fair_value = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        filed_at = pw.DateTimeField(null=True)
        service_note = pw.TextField(default="")
        decided_at = pw.DateTimeField(null=True)
        decision_note = pw.TextField(default="")
        cd_consent_at = pw.DateTimeField(null=True)
        registered_at = pw.DateTimeField(null=True)
        announced_at = pw.DateTimeField(null=True)
        collateral_checked_at = pw.DateTimeField(null=True)
        activated_at = pw.DateTimeField(null=True)
        failed_reason = pw.TextField(default="")
        results_published_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription"

    class ConsortiumMember(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        organisation = pw.ForeignKeyField(Organisation)

        class Meta:
            table_name = "subscription_consortium"
            indexes = [(("subscription", "organisation"), True)]

    class ConditionChange(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        requested_by = pw.ForeignKeyField(User)
        request_text = pw.TextField()
        changes = pw.TextField()
        decided_by = pw.ForeignKeyField(User, null=True)
        decided_at = pw.DateTimeField(null=True)
        approved = pw.BooleanField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_change"

    class TradeAccount(Base):
        organisation = pw.ForeignKeyField(Organisation)
        code = pw.CharField(max_length=32, unique=True)
        currency = pw.CharField(max_length=3, default="KZT")
        balance = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
        blocked = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
        controller = pw.ForeignKeyField(Organisation, null=True)

        class Meta:
            table_name = "trade_account"

    class Order(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        number = pw.IntegerField()
        buyer = pw.ForeignKeyField(Organisation)
        entered_by = pw.ForeignKeyField(User, null=True)
        account = pw.ForeignKeyField(TradeAccount)
        kind = pw.CharField(max_length=8)
        basis = pw.CharField(max_length=8, default="quantity")
        price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
        yield_rate = pw.DecimalField(max_digits=10, decimal_places=4, null=True, column_name="yield")
        quantity = pw.BigIntegerField(null=True)
        money = pw.DecimalField(max_digits=24, decimal_places=2, null=True)
        for_client = pw.BooleanField(default=False)
        investor_name = pw.CharField(max_length=255, default="")
        investor_id = pw.CharField(max_length=12, default="")
        investor_resident = pw.BooleanField(default=True)
        investor_contacts = pw.CharField(max_length=255, default="")
        investor_other = pw.CharField(max_length=500, default="")
        qualified = pw.BooleanField(default=False)
        omnibus = pw.BooleanField(default=False)
        status = pw.CharField(max_length=12, index=True, default="active")
        confirmed = pw.BooleanField(null=True)
        criteria_ok = pw.BooleanField(null=True)
        secured = pw.BooleanField(default=False)
        blocked = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
        submitted_at = pw.DateTimeField()
        amended_at = pw.DateTimeField(null=True)
        version = pw.IntegerField(default=0)
        client_ref = pw.CharField(max_length=64, null=True)

        class Meta:
            table_name = "subscription_order"
            indexes = [
                (("subscription", "number"), True),
                (("subscription", "status"), False),
                (("subscription", "buyer", "client_ref"), True),
            ]

    class Register(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        kind = pw.CharField(max_length=12)
        format = pw.CharField(max_length=4)
        file = pw.ForeignKeyField(StoredFile)
        status = pw.CharField(max_length=12, default="received")
        errors = pw.TextField(default="[]")
        uploaded_by = pw.ForeignKeyField(User, null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_register"

    class Fill(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        order = pw.ForeignKeyField(Order, on_delete="CASCADE")
        price = pw.DecimalField(max_digits=20, decimal_places=4)
        yield_rate = pw.DecimalField(max_digits=10, decimal_places=4, null=True, column_name="yield")
        quantity = pw.BigIntegerField()
        volume = pw.DecimalField(max_digits=24, decimal_places=2)

        class Meta:
            table_name = "subscription_fill"
            indexes = [(("subscription", "order"), True)]

    class Deal(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        order = pw.ForeignKeyField(Order, on_delete="CASCADE")
        buyer = pw.ForeignKeyField(Organisation)
        seller = pw.ForeignKeyField(Organisation)
        price = pw.DecimalField(max_digits=20, decimal_places=4)
        quantity = pw.BigIntegerField()
        volume = pw.DecimalField(max_digits=24, decimal_places=2)
        status = pw.CharField(max_length=12, default="formed")
        refusal = pw.CharField(max_length=255, default="")
        certificate = pw.ForeignKeyField(StoredFile, null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_deal"
            indexes = [(("subscription", "status"), False)]

    class NetPosition(Base):
        subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE")
        participant = pw.ForeignKeyField(Organisation)
        money = pw.DecimalField(max_digits=24, decimal_places=2)
        securities = pw.BigIntegerField()

        class Meta:
            table_name = "subscription_position"
            indexes = [(("subscription", "participant"), True)]

    class Results(Base):
        subscription = pw.ForeignKeyField(Subscription, unique=True, on_delete="CASCADE")
        settlement_date = pw.DateField()
        price = pw.DecimalField(max_digits=20, decimal_places=4)
        accepted_total = pw.DecimalField(max_digits=24, decimal_places=2)
        accepted_exchange = pw.DecimalField(max_digits=24, decimal_places=2)
        satisfied_total = pw.DecimalField(max_digits=24, decimal_places=2)
        satisfied_exchange = pw.DecimalField(max_digits=24, decimal_places=2)
        submitted_by = pw.ForeignKeyField(User, null=True)
        submitted_at = pw.DateTimeField()

        class Meta:
            table_name = "subscription_results"

    class Penalty(Base):
        deal = pw.ForeignKeyField(Deal, on_delete="CASCADE")
        claimant = pw.ForeignKeyField(Organisation)
        guilty = pw.ForeignKeyField(Organisation)
        amount = pw.DecimalField(max_digits=24, decimal_places=2)
        claimed_on = pw.DateField()
        notice_due = pw.DateField()
        noticed_on = pw.DateField(null=True)
        payment_due = pw.DateField(null=True)
        paid_on = pw.DateField(null=True)
        pass_on_due = pw.DateField(null=True)
        passed_on = pw.DateField(null=True)
        dispute_until = pw.DateField()

        class Meta:
            table_name = "subscription_penalty"

    class ApiToken(Base):
        organisation = pw.ForeignKeyField(Organisation)
        user = pw.ForeignKeyField(User)
        name = pw.CharField(max_length=100)
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "subscription_api_token"

    db.create_tables(
        [
            Subscription,
            ConsortiumMember,
            ConditionChange,
            TradeAccount,
            Order,
            Register,
            Fill,
            Deal,
            NetPosition,
            Results,
            Penalty,
            ApiToken,
        ]
    )
