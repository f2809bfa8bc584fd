"""Subscriptions (seed 004): the application (form S-A1), orders, trade-clearing accounts and the
collateral blocked on them, registers (S-A2), deals, net positions, results (S-A3) and penalties."""

import json
from decimal import ROUND_HALF_UP, Decimal

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow
from core.files import StoredFile

STATES = {
    "draft": _l("Черновик"),
    "filed": _l("Подано на Биржу"),
    "checked": _l("Проверено: у члена Правления"),
    "board_refused": _l("Отказ члена Правления: на рассмотрении Правления"),
    "refused": _l("Отказано"),
    "cd_consent": _l("Ожидается согласие центрального депозитария"),
    "registered": _l("Зарегистрирована"),
    "activated": _l("Заявки активированы"),  # activation falls inside the acceptance period (S-4.3)
    "accepted_register": _l("Реестр принятых заявок направлен"),
    "satisfied_register": _l("Реестр удовлетворённых заявок принят"),
    "deals": _l("Сделки заключены"),
    "settled": _l("Расчёты завершены"),
    "failed": _l("Признана несостоявшейся"),
    "called_off": _l("Отменена продавцом"),
}

# S-A1 condition 12: the investor data a seller may request.
INVESTOR_ITEMS = {
    "12.1": _l("Наименование (ФИО) инвестора"),
    "12.2": _l("БИН/ИИН инвестора"),
    "12.3": _l("Резидентство инвестора"),
    "12.4": _l("Контактные данные инвестора"),
    "12.5": _l("Номер субсчета инвестора в центральном депозитарии"),
    "12.6": _l("Иные сведения об инвесторе"),
}


class Subscription(BaseModel):
    number = pw.CharField(max_length=32, null=True, unique=True)  # S-3.5, given on registration
    seller = pw.ForeignKeyField(Organisation, backref="+")  # the member, or the consortium's lead member
    filed_by = pw.ForeignKeyField(User, backref="+")
    state = pw.CharField(max_length=24, default="draft", index=True)
    version = pw.IntegerField(default=0)
    # Parameters (S-A1)
    issuer_name = pw.CharField(max_length=255)
    issuer = pw.ForeignKeyField(Organisation, null=True, backref="+")
    security_kind = pw.CharField(max_length=8)  # equity | debt
    isin = pw.CharField(max_length=12)
    quantity = pw.BigIntegerField(null=True)  # equity: securities offered
    total_nominal = pw.DecimalField(max_digits=24, decimal_places=2, null=True)  # debt: in the issue currency
    nominal = pw.DecimalField(max_digits=20, decimal_places=4, null=True)  # debt: nominal of one security
    price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
    seller_account_type = pw.CharField(max_length=64)
    seller_account = pw.CharField(max_length=64)
    private = pw.BooleanField(default=False)  # S-2.3
    abroad = pw.BooleanField(default=False)  # S-3.7
    # Conditions (S-A1 1-18)
    accept_from = pw.DateTimeField()  # 1 and 3: start date and time (UTC)
    accept_to = pw.DateTimeField()  # 2 and 4: end date and time (UTC)
    confirmation_minutes = pw.IntegerField(default=0)  # 5
    market_orders = pw.BooleanField(default=False)  # 6
    collateral_mode = pw.CharField(max_length=12, default="submission")  # 7: submission | at_time (CCP only)
    collateral_at = pw.DateTimeField(null=True)
    activation_at = pw.DateTimeField()  # 8
    ccp = pw.BooleanField(default=True)  # 9
    currency = pw.CharField(max_length=3, default="KZT")  # 10
    criteria_check = pw.BooleanField(default=False)  # 11
    criteria = pw.TextField(default="")
    investor_data = pw.BooleanField(default=False)  # 12
    investor_items = pw.TextField(default="[]")
    accepted_register_on = pw.DateField()  # 13
    satisfied_register_on = pw.DateField()  # 14
    settlement_org = pw.CharField(max_length=8, default="cd")  # 15: cd | other
    settlement_org_name = pw.CharField(max_length=255, default="")
    deal_at = pw.DateTimeField()  # 16
    settlement_at = pw.DateTimeField()  # 17
    other_conditions = pw.TextField(default="")  # 18
    # Prices for market orders (S-4.5)
    seller_price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
    book_value = pw.DecimalField(max_digits=20, decimal_places=4, null=True)  # equity fallback, agreed
    fair_value = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
    # The way through the Exchange
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
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription"

    @property
    def state_label(self):
        return STATES.get(self.state, self.state)

    @property
    def items(self) -> list[str]:
        return json.loads(self.investor_items or "[]")

    @property
    def is_debt(self) -> bool:
        return self.security_kind == "debt"

    @property
    def cd_settles(self) -> bool:
        return self.settlement_org == "cd"

    @property
    def public(self) -> bool:
        """Announcements and results are published, except for a private placement (S-3.5, S-10.7)."""
        return not self.private


class ConsortiumMember(BaseModel):
    """S-2.4: members of a consortium selling through the lead member (the subscription's seller)."""

    subscription = pw.ForeignKeyField(Subscription, backref="consortium", on_delete="CASCADE")
    organisation = pw.ForeignKeyField(Organisation, backref="+")

    class Meta:
        table_name = "subscription_consortium"
        indexes = ((("subscription", "organisation"), True),)


class ConditionChange(BaseModel):
    """S-2.10: a change of conditions at the seller's written request, and whom it was told to (S-2.11)."""

    subscription = pw.ForeignKeyField(Subscription, backref="changes", on_delete="CASCADE")
    requested_by = pw.ForeignKeyField(User, backref="+")
    request_text = pw.TextField()
    changes = pw.TextField()  # JSON field -> [old, new]
    decided_by = pw.ForeignKeyField(User, null=True, backref="+")
    decided_at = pw.DateTimeField(null=True)
    approved = pw.BooleanField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_change"


class TradeAccount(BaseModel):
    """A trade-clearing account of a member with its money, in the subscription's currencies.
    ``controller`` is the control & collateral system user that may refuse its orders (S-4.2)."""

    organisation = pw.ForeignKeyField(Organisation, backref="+")
    code = pw.CharField(max_length=32, unique=True)
    currency = pw.CharField(max_length=3, default="KZT")
    balance = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
    blocked = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
    controller = pw.ForeignKeyField(Organisation, null=True, backref="+")

    class Meta:
        table_name = "trade_account"

    @property
    def free(self):
        return self.balance - self.blocked


ORDER_STATUSES = {
    "active": _l("Активна"),
    "cancelled": _l("Отменена покупателем"),
    "removed": _l("Снята продавцом"),
    "refused": _l("Не подтверждена пользователем системы контроля"),
    "rejected": _l("Отклонена центральным депозитарием"),
    "unsecured": _l("Снята: недостаточно обеспечения"),
}


# What a buyer gives for an order (S-4, S-7): the form, the service and the API take the same fields.
INVESTOR_FIELDS = (
    "for_client",
    "investor_name",
    "investor_id",
    "investor_resident",
    "investor_contacts",
    "investor_other",
    "qualified",
    "omnibus",
)
ORDER_FIELDS = ("kind", "basis", "price", "yield_rate", "quantity", "money", *INVESTOR_FIELDS)


class Window(BaseModel):
    """A separate acceptance window of one subscription (issue #17), as large placements run them (retail and
    institutional): its own dates and times inside the acceptance period and its own minimum order."""

    subscription = pw.ForeignKeyField(Subscription, backref="windows", on_delete="CASCADE")
    name = pw.CharField(max_length=64)
    accept_from = pw.DateTimeField()  # UTC
    accept_to = pw.DateTimeField()
    min_amount = pw.DecimalField(max_digits=24, decimal_places=2, null=True)  # in the settlement currency

    class Meta:
        table_name = "subscription_window"
        indexes = ((("subscription", "name"), True),)


class Order(BaseModel):
    subscription = pw.ForeignKeyField(Subscription, backref="orders", on_delete="CASCADE")
    number = pw.IntegerField()  # S-A2 column 1, unique within the subscription
    buyer = pw.ForeignKeyField(Organisation, backref="+")
    entered_by = pw.ForeignKeyField(User, null=True, backref="+")
    account = pw.ForeignKeyField(TradeAccount, backref="orders")
    kind = pw.CharField(max_length=8)  # limit | market
    basis = pw.CharField(max_length=8, default="quantity")  # quantity | money (market orders)
    price = pw.DecimalField(max_digits=20, decimal_places=4, null=True)
    yield_rate = pw.DecimalField(max_digits=10, decimal_places=4, null=True, column_name="yield")
    quantity = pw.BigIntegerField(null=True)
    money = pw.DecimalField(max_digits=24, decimal_places=2, null=True)  # market order by money volume
    # the investor (for a client's order) and the S-A2 columns 11-15
    for_client = pw.BooleanField(default=False)
    investor_name = pw.CharField(max_length=255, default="")
    investor_id = pw.CharField(max_length=12, default="")  # IIN/BIN
    investor_resident = pw.BooleanField(default=True)
    investor_contacts = pw.CharField(max_length=255, default="")
    investor_other = pw.CharField(max_length=500, default="")
    qualified = pw.BooleanField(default=False)
    omnibus = pw.BooleanField(default=False)
    status = pw.CharField(max_length=12, default="active", index=True)
    confirmed = pw.BooleanField(null=True)  # the control user's confirmation (S-4.2)
    criteria_ok = pw.BooleanField(null=True)  # the CD's check (S-6)
    secured = pw.BooleanField(default=False)  # money blocked (S-5)
    blocked = pw.DecimalField(max_digits=24, decimal_places=2, default=0)
    submitted_at = pw.DateTimeField(default=utcnow)
    amended_at = pw.DateTimeField(null=True)
    version = pw.IntegerField(default=0)
    client_ref = pw.CharField(max_length=64, null=True)  # the member system's id: an API retry is not a new order
    # an order the collateral check cancelled (S-5.2): its account's free money then, and what it needed
    free_at_check = pw.DecimalField(max_digits=24, decimal_places=2, null=True)
    needed_at_check = pw.DecimalField(max_digits=24, decimal_places=2, null=True)
    window = pw.ForeignKeyField(Window, null=True, backref="+", on_delete="SET NULL")  # where windows are set

    class Meta:
        table_name = "subscription_order"
        indexes = (
            (("subscription", "number"), True),
            (("subscription", "status"), False),
            (("subscription", "buyer", "client_ref"), True),
        )

    @property
    def status_label(self):
        return ORDER_STATUSES.get(self.status, self.status)

    def amount(self, price=None):
        """The order's money amount: what collateral blocks (S-5.2)."""
        return amount_of(self.kind, self.basis, self.price, self.quantity, self.money, price)


def amount_of(kind, basis, price, quantity, money, market_price=None):
    """``Order.amount`` from plain values, for the book steps that walk 200,000 orders as rows: a market
    order for money blocks its money; any other its quantity at its price (a market order's: the price
    it is estimated or activated at), to the tiyn."""
    if kind == "market" and basis == "money":
        return money
    unit = price if kind == "limit" else market_price
    if unit is None or quantity is None:
        return None
    return _money(unit * quantity)


CENT = Decimal("0.01")


def _money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Register(BaseModel):
    """An accepted-orders register the Exchange produced, or a satisfied-orders register the seller sent."""

    subscription = pw.ForeignKeyField(Subscription, backref="registers", on_delete="CASCADE")
    kind = pw.CharField(max_length=12)  # accepted | satisfied
    format = pw.CharField(max_length=4)  # xml | xlsx
    file = pw.ForeignKeyField(StoredFile, backref="+")
    status = pw.CharField(max_length=12, default="received")  # received | accepted | rejected
    errors = pw.TextField(default="[]")
    uploaded_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_register"

    @property
    def error_list(self) -> list[dict]:
        return json.loads(self.errors or "[]")


class Fill(BaseModel):
    """One row of the accepted satisfied register: the seller's price and quantity for an order (S-9.1)."""

    subscription = pw.ForeignKeyField(Subscription, backref="fills", on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="fills", on_delete="CASCADE")
    price = pw.DecimalField(max_digits=20, decimal_places=4)
    yield_rate = pw.DecimalField(max_digits=10, decimal_places=4, null=True, column_name="yield")
    quantity = pw.BigIntegerField()
    volume = pw.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        table_name = "subscription_fill"
        indexes = ((("subscription", "order"), True),)


class Deal(BaseModel):
    subscription = pw.ForeignKeyField(Subscription, backref="deals", on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="+", on_delete="CASCADE")
    buyer = pw.ForeignKeyField(Organisation, backref="+")
    seller = pw.ForeignKeyField(Organisation, backref="+")
    price = pw.DecimalField(max_digits=20, decimal_places=4)
    quantity = pw.BigIntegerField()
    volume = pw.DecimalField(max_digits=24, decimal_places=2)
    status = pw.CharField(max_length=12, default="formed")  # formed | settled | refused | failed
    refusal = pw.CharField(max_length=255, default="")
    certificate = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_deal"
        indexes = ((("subscription", "status"), False),)


class NetPosition(BaseModel):
    """S-10.4: with CCP, each participant's netted money and securities against the central counterparty."""

    subscription = pw.ForeignKeyField(Subscription, backref="positions", on_delete="CASCADE")
    participant = pw.ForeignKeyField(Organisation, backref="+")
    money = pw.DecimalField(max_digits=24, decimal_places=2)  # + receives, - pays
    securities = pw.BigIntegerField()  # + receives, - delivers

    class Meta:
        table_name = "subscription_position"
        indexes = ((("subscription", "participant"), True),)


class Results(BaseModel):
    """Form S-A3: the seller's results where another organisation settles (S-11.4), or the Exchange's."""

    subscription = pw.ForeignKeyField(Subscription, backref="results", on_delete="CASCADE", unique=True)
    settlement_date = pw.DateField()
    price = pw.DecimalField(max_digits=20, decimal_places=4)
    accepted_total = pw.DecimalField(max_digits=24, decimal_places=2)  # incl. abroad
    accepted_exchange = pw.DecimalField(max_digits=24, decimal_places=2)
    satisfied_total = pw.DecimalField(max_digits=24, decimal_places=2)  # incl. abroad
    satisfied_exchange = pw.DecimalField(max_digits=24, decimal_places=2)
    submitted_by = pw.ForeignKeyField(User, null=True, backref="+")
    submitted_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_results"


class Penalty(BaseModel):
    """S-12: a claim for 0.1% of an unexecuted deal (without CCP) and its working-day deadlines."""

    deal = pw.ForeignKeyField(Deal, backref="penalties", on_delete="CASCADE")
    claimant = pw.ForeignKeyField(Organisation, backref="+")
    guilty = pw.ForeignKeyField(Organisation, backref="+")
    amount = pw.DecimalField(max_digits=24, decimal_places=2)
    claimed_on = pw.DateField()
    notice_due = pw.DateField()  # S-12.3: the Exchange notifies the guilty party
    noticed_on = pw.DateField(null=True)
    payment_due = pw.DateField(null=True)  # S-12.4
    paid_on = pw.DateField(null=True)
    pass_on_due = pw.DateField(null=True)  # S-12.5
    passed_on = pw.DateField(null=True)
    dispute_until = pw.DateField()  # S-12.6

    class Meta:
        table_name = "subscription_penalty"


class ApiToken(BaseModel):
    """A member's token for the orders API (only its hash is kept)."""

    organisation = pw.ForeignKeyField(Organisation, backref="+")
    user = pw.ForeignKeyField(User, backref="+")
    name = pw.CharField(max_length=100)
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "subscription_api_token"


# --- registers: the jobs that produce and check them, and calling off ------------------------------------

JOB_STATUSES = {
    "pending": _l("В очереди"),
    "running": _l("Формируется"),
    "done": _l("Готово"),
    "failed": _l("Ошибка"),
    "rejected": _l("Файл отклонен"),
}

METHODS = {
    "cutoff": _l("По цене отсечения (для облигаций — по доходности отсечения)"),
    "prorata": _l("Пропорционально всем заявкам"),
    "threshold": _l("Полностью до порога, остаток — пропорционально"),
}


class RegisterJob(BaseModel):
    """A register being produced (the accepted register, a proposal) or an uploaded one being checked: the
    progress row the page polls."""

    subscription = pw.ForeignKeyField(Subscription, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=12)  # accepted | proposal | check
    format = pw.CharField(max_length=4)  # xml | xlsx
    params = pw.TextField(default="{}")
    status = pw.CharField(max_length=12, default="pending", index=True)  # pending | running | done | failed | rejected
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    file = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    register = pw.ForeignKeyField(Register, null=True, backref="+", on_delete="SET NULL")
    original_name = pw.CharField(max_length=255, default="")
    errors = pw.TextField(default="[]")
    message = pw.TextField(default="")
    requested_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "subscription_register_job"
        indexes = ((("subscription", "kind"), False),)

    @property
    def active(self) -> bool:
        return self.status in ("pending", "running")

    @property
    def percent(self) -> int:
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def status_label(self):
        return JOB_STATUSES.get(self.status, self.status)

    @property
    def options(self) -> dict:
        return json.loads(self.params or "{}")

    @property
    def report(self) -> list[dict]:
        if self.register_id:
            return self.register.error_list
        return json.loads(self.errors or "[]")

    @property
    def title(self) -> str:
        fmt = self.format.upper()
        if self.kind == "accepted":
            return _("Реестр принятых заявок (%(fmt)s)", fmt=fmt)
        if self.kind == "proposal":
            method = METHODS.get(self.options.get("method"), "")
            return _("Предложение реестра удовлетворенных заявок (%(fmt)s): %(method)s", fmt=fmt, method=method)
        return _("Проверка реестра удовлетворенных заявок «%(name)s»", name=self.original_name)


class CallOff(BaseModel):
    """S-9.3: the seller's written refusal to conduct the subscription, with its reason and letter."""

    subscription = pw.ForeignKeyField(Subscription, backref="+", on_delete="CASCADE", unique=True)
    reason = pw.TextField()
    letter = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    called_by = pw.ForeignKeyField(User, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_call_off"
