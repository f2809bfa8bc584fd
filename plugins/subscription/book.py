"""The seller's live book of orders (S-4.6) and the trading department's: the demand curve, bid-to-cover,
the fair value (S-4.5), demand by investor type, and an allocation helper (S-9.1, S-9.2). Every figure is
an SQL aggregate over the active orders; no order is loaded as a model object."""

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import Case, Value, fn
from wtforms import RadioField
from wtforms.validators import DataRequired, NumberRange, Optional

from core import DecimalField, IntegerField, choices, login_required, render
from plugins.subscription import rules, service
from plugins.subscription.blueprints import bp
from plugins.subscription.models import Order, Subscription

CENT = Decimal("0.01")
MAX_STEPS = 400  # steps the drawn curve keeps; the figures use every price level
TABLE_LEVELS = 30  # price levels listed under the chart
LIVE_STATES = service.OPEN_STATES  # orders still come, change and go: the page refreshes itself


def may_see_book(user, sub: Subscription) -> bool:
    """The seller (S-4.6) and the trading department; not the CD, the board or other members."""
    if user.is_staff:
        return user.in_department("trading") or user.is_admin
    return user.organisation_id == sub.seller_id and service.may_see_orders(user, sub) == "all"


def offered_quantity(sub: Subscription) -> int | None:
    """Securities offered: the quantity, or for debt the issue's nominal volume in bonds."""
    if sub.quantity:
        return int(sub.quantity)
    if sub.is_debt and sub.total_nominal and sub.nominal:
        return int((Decimal(sub.total_nominal) / Decimal(sub.nominal)).to_integral_value(rounding=ROUND_DOWN))
    return None


def _dec(value) -> Decimal:
    """An aggregate as a Decimal: PostgreSQL returns numerics, SQLite floats."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _money(value) -> Decimal:
    return _dec(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _active(sub):
    return (Order.subscription == sub.id) & (Order.status == "active")


# --- the figures -----------------------------------------------------------------------------------


@dataclass
class Slice:
    """Orders of one investor type: how many, from how many investors, for what quantity and volume."""

    label: str
    orders: int = 0
    investors: int = 0
    quantity: int = 0
    volume: Decimal = Decimal(0)


@dataclass
class Book:
    offered: int | None
    debt: bool
    levels: list = field(default_factory=list)  # (price or yield, orders, quantity, cumulative), best first
    unranked_orders: int = 0  # market orders (and, for debt, limit orders given by price alone)
    unranked_quantity: int = 0
    demand: int = 0
    orders: int = 0
    investors: int = 0
    volume: Decimal = Decimal(0)
    fair_value: Decimal | None = None
    market_price: Decimal | None = None  # what a market order's quantity or volume is estimated at
    clearing: Decimal | None = None  # the level at which demand first covers the offer
    slices: list = field(default_factory=list)

    @property
    def bid_to_cover(self) -> Decimal | None:
        if not self.offered:
            return None
        return (Decimal(self.demand) / self.offered).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def covered(self) -> bool:
        return bool(self.offered) and self.demand >= self.offered


def _estimated(quantity, unsized_money, price) -> int:
    """Known quantities plus what the money of market orders buys at ``price`` (S-4.5)."""
    extra = 0
    if unsized_money and price:
        extra = rules.market_quantity("money", None, _dec(unsized_money), price)
    return int(quantity or 0) + extra


def _market_price(sub: Subscription, fair: Decimal | None) -> Decimal | None:
    """The price market orders are filled at: the one activation used, the seller's for a one-day
    period, or else the fair value as it stands (S-4.5)."""
    if sub.activated_at is not None and sub.fair_value is not None:
        return sub.fair_value
    if sub.market_orders and rules.one_day(sub.accept_from, sub.accept_to) and sub.seller_price:
        return sub.seller_price
    return fair or service.estimate_price(sub)


def _price_levels(sub: Subscription, column, best_first_desc: bool):
    """SELECT column, COUNT(*), SUM(quantity) FROM subscription_order
    WHERE subscription_id = ? AND status = 'active' AND kind = 'limit' AND column IS NOT NULL
    GROUP BY column ORDER BY column DESC|ASC"""
    return (
        Order.select(column, fn.COUNT(Order.id), fn.SUM(Order.quantity))
        .where(_active(sub) & (Order.kind == "limit") & column.is_null(False))
        .group_by(column)
        .order_by(column.desc() if best_first_desc else column.asc())
        .tuples()
    )


def _investor():
    """S-2.3: an investor is the client for a client's order, else the member itself."""
    return Case(None, [(Order.for_client == True, Order.investor_id)], Value("member:").concat(Order.buyer))  # noqa: E712


def _slices(sub: Subscription, dimension, labels: dict, market_price) -> list[Slice]:
    """SELECT dimension, COUNT(*), COUNT(DISTINCT investor), SUM(quantity), SUM(volume), ...
    GROUP BY dimension: at most two rows."""
    volume = Case(
        None,
        [(Order.basis == "money", Order.money), (Order.price.is_null(False), Order.price * Order.quantity)],
    )
    unpriced = Case(None, [((Order.basis != "money") & Order.price.is_null(True), Order.quantity)])
    unsized = Case(None, [((Order.basis == "money") & Order.quantity.is_null(True), Order.money)])
    rows = (
        Order.select(
            dimension,
            fn.COUNT(Order.id),
            fn.COUNT(fn.DISTINCT(_investor())),
            fn.SUM(Order.quantity),
            fn.SUM(volume),
            fn.SUM(unpriced),
            fn.SUM(unsized),
        )
        .where(_active(sub))
        .group_by(dimension)
        .tuples()
    )
    found = {}
    for key, orders, investors, quantity, priced_volume, unpriced_quantity, unsized_money in rows:
        extra = _dec(unpriced_quantity) * market_price if market_price else Decimal(0)
        found[bool(key)] = Slice(
            label=labels[bool(key)],
            orders=int(orders),
            investors=int(investors),
            quantity=_estimated(quantity, unsized_money, market_price),
            volume=_money(_dec(priced_volume) + extra),
        )
    return [found.get(key) or Slice(label=label) for key, label in labels.items()]


def book_of(sub: Subscription) -> Book:
    debt = sub.is_debt
    book = Book(offered=offered_quantity(sub), debt=debt)
    # S-4.5: the fair value is the volume-weighted average price of the limit orders; grouping by price
    # first gives the same average.
    prices = list(_price_levels(sub, Order.price, best_first_desc=True))
    book.fair_value = rules.fair_value(
        [(price, int(quantity)) for price, _n, quantity in prices], sub.nominal if debt else sub.book_value
    )
    book.market_price = _market_price(sub, book.fair_value)

    # the curve: limit orders by price (equity, highest first) or by yield (debt, lowest first);
    # market orders, and debt orders given by price alone, take any level and come first
    key = Order.yield_rate if debt else Order.price
    ranked = prices if not debt else list(_price_levels(sub, key, best_first_desc=False))
    unsized = Case(None, [(Order.quantity.is_null(True), Order.money)])
    count, quantity, money = (
        Order.select(fn.COUNT(Order.id), fn.SUM(Order.quantity), fn.SUM(unsized))
        .where(_active(sub) & ((Order.kind == "market") | key.is_null(True)))
        .tuples()
        .get()
    )
    book.unranked_orders = int(count or 0)
    book.unranked_quantity = _estimated(quantity, money, book.market_price)
    cumulative = book.unranked_quantity
    for value, orders, qty in ranked:
        cumulative += int(qty)
        book.levels.append((value, int(orders), int(qty), cumulative))
        # the level at which demand first covers the offer (none when market orders alone do)
        if book.clearing is None and book.offered and book.unranked_quantity < book.offered <= cumulative:
            book.clearing = value
    book.demand = cumulative

    book.slices = (
        _slices(
            sub,
            Order.for_client,
            {False: _("Собственные заявки членов Биржи"), True: _("Заявки клиентов")},
            book.market_price,
        )
        + _slices(sub, Order.investor_resident, {True: _("Резиденты"), False: _("Нерезиденты")}, book.market_price)
        + _slices(
            sub,
            Order.qualified,
            {True: _("Квалифицированные инвесторы"), False: _("Прочие инвесторы")},
            book.market_price,
        )
    )
    # own orders and clients' orders split the book without overlap
    book.orders = book.slices[0].orders + book.slices[1].orders
    book.investors = book.slices[0].investors + book.slices[1].investors
    book.volume = book.slices[0].volume + book.slices[1].volume
    return book


# --- the allocation helper (S-9) ------------------------------------------------------------------------


class AllocationForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    method = RadioField(
        _l("Способ распределения"),
        choices=choices(
            [
                ("cutoff", _l("по цене отсечения")),
                ("prorata", _l("пропорционально (pro rata)")),
                ("threshold", _l("полностью до порога, остаток пропорционально")),
            ]
        ),
        # asked for (the page reads the form only when "method" is in the query): a blank one is an error, not
        # a method (Optional() let " " through past the choices to rules.allocate, a 500)
        validators=[DataRequired(_l("Выберите способ распределения."))],
    )
    cutoff = DecimalField(
        _l("Цена отсечения"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    threshold = IntegerField(
        _l("Порог полного удовлетворения, штук"),
        validators=[Optional(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() stops a field's own checks when it is empty, so what a method needs is checked here.
        if not self.method.data:
            self.method.errors = list(self.method.errors) + [_l("Выберите способ распределения.")]
            return False
        if self.method.data == "cutoff" and self.cutoff.data is None and not self.cutoff.errors:
            self.cutoff.errors = list(self.cutoff.errors) + [_l("Укажите цену (доходность) отсечения.")]
            return False
        if self.method.data == "threshold" and self.threshold.data is None and not self.threshold.errors:
            self.threshold.errors = list(self.threshold.errors) + [_l("Укажите порог полного удовлетворения.")]
            return False
        return valid


@dataclass
class Proposal:
    method: str
    offered: int
    orders: int = 0  # orders in the accepted book
    filled_orders: int = 0
    quantity: int = 0
    volume: Decimal = Decimal(0)
    investors: int = 0
    private_limit_broken: bool = False  # S-9.2

    @property
    def left(self) -> int:
        return self.offered - self.quantity


def propose(sub: Subscription, offered: int, method: str, cutoff=None, threshold=0, market_price=None) -> Proposal:
    """Totals of rules.allocate over the orders the accepted register lists (S-8.2, S-9.1), streamed as
    tuples in order-number order (ties go to the earlier order), never cached as rows or models."""
    unsized = Case(None, [(Order.quantity.is_null(True), Order.money)])
    rows = (
        service.accepted_orders(sub)
        .select(Order.kind, Order.price, Order.yield_rate, Order.quantity, unsized, _investor())
        .tuples()
        .iterator()
    )
    by_price = method == "cutoff"
    wants, units, investors = [], [], []
    for kind, price, yield_rate, quantity, money, investor in rows:
        if quantity is None:  # a market order for money before activation: what it buys (S-4.5)
            quantity = rules.market_quantity("money", None, _dec(money), market_price) if market_price else 0
        if by_price:
            market = kind == "market"  # takes any price
            wants.append(
                {"price": None if market else price, "yield": None if market else yield_rate, "quantity": quantity}
            )
        else:
            wants.append({"quantity": quantity})
        units.append(price if price is not None else market_price)
        investors.append(investor)
    given = rules.allocate(wants, offered, method, cutoff=cutoff, threshold=threshold or 0, debt=sub.is_debt)
    proposal = Proposal(method=method, offered=offered, orders=len(wants))
    filled = set()
    volume = Decimal(0)
    for quantity, unit, investor in zip(given, units, investors, strict=True):
        if quantity > 0:
            proposal.filled_orders += 1
            proposal.quantity += quantity
            volume += Decimal(unit or 0) * quantity
            filled.add(investor)
    proposal.volume = _money(volume)
    proposal.investors = len(filled)
    proposal.private_limit_broken = sub.private and proposal.investors > rules.PRIVATE_MAX_INVESTORS
    return proposal


# --- the chart ---------------------------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, n = [], 0
    while first + n * step <= hi + step * 1e-9:
        ticks.append(round(first + n * step, 10))
        n += 1
    return ticks


def number(value, places: int = 0) -> str:
    return f"{Decimal(value):,.{places}f}".replace(",", " ")


@dataclass
class Chart:
    width: int = 720
    height: int = 380
    left: int = 90
    right: int = 24
    top: int = 20
    bottom: int = 56
    path: str = ""
    x_ticks: list = field(default_factory=list)  # (pixel, label)
    y_ticks: list = field(default_factory=list)
    marks: list = field(default_factory=list)  # horizontal lines: (pixel, label, colour, dash)
    offer_x: float | None = None
    point: tuple | None = None  # where demand covers the offer
    y_label: str = ""
    x_label: str = ""

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom


def demand_chart(book: Book, cutoff: Decimal | None = None) -> Chart | None:
    """The demand curve as SVG geometry: cumulative quantity (x) against price or yield (y)."""
    values = [float(level[0]) for level in book.levels]
    marks = []
    if not book.debt and book.fair_value is not None and book.levels:
        marks.append((float(book.fair_value), _("Справедливая цена"), "#1e8449", "2 3"))
    if cutoff is not None:
        marks.append((float(cutoff), _("Отсечение"), "#b9770e", "8 4"))
    if not values and not book.unranked_quantity:
        return None
    chart = Chart(
        y_label=_("Доходность, % годовых") if book.debt else _("Цена"),
        x_label=_("Совокупный спрос, штук"),
    )
    every = values + [m[0] for m in marks]
    if every:
        lo, hi = min(every), max(every)
    else:
        lo = hi = float(book.market_price or 1)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = max(0.0, lo - pad), hi + pad
    x_max = float(max(book.demand, book.offered or 0)) * 1.05 or 1.0

    width = chart.plot_right - chart.left
    height = chart.plot_bottom - chart.top

    def px(quantity):
        return round(chart.left + float(quantity) / x_max * width, 1)

    def py(value):
        return round(chart.plot_bottom - (float(value) - lo) / (hi - lo) * height, 1)

    # the best end of the axis: any price for market orders (top for prices, bottom for yields)
    best, worst = (lo, hi) if book.debt else (hi, lo)
    steps = book.levels
    if len(steps) > MAX_STEPS:
        # neighbouring levels drawn as one step at the bucket's worst level; the figures stay exact
        size = math.ceil(len(steps) / MAX_STEPS)
        steps = [steps[min(i + size, len(steps)) - 1] for i in range(0, len(steps), size)]
    points = [(0, best)]
    x = book.unranked_quantity
    points.append((x, best))
    for value, _orders, _qty, cumulative in steps:
        points.append((x, float(value)))
        x = cumulative
        points.append((x, float(value)))
    points.append((x, worst))
    chart.path = "M" + " L".join(f"{px(q)} {py(v)}" for q, v in points)

    for tick in nice_ticks(0, x_max):
        chart.x_ticks.append((px(tick), number(tick)))
    y_ticks = nice_ticks(lo, hi)
    step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1
    places = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    for tick in y_ticks:
        chart.y_ticks.append((py(tick), number(tick, places)))
    for value, label, colour, dash in marks:
        chart.marks.append((py(value), f"{label} {number(value, 2)}", colour, dash))
    if book.offered:
        chart.offer_x = px(book.offered)
        if book.clearing is not None:
            chart.point = (px(book.offered), py(book.clearing))
    return chart


def window_demand(sub: Subscription) -> list[dict]:
    """Each acceptance window's orders in force and their demand, apart (issue #17); empty without windows."""
    from plugins.subscription.models import amount_of

    windows = service.windows_of(sub)
    if not windows:
        return []
    rows = {w.id: {"window": w, "orders": 0, "buyers": set(), "quantity": 0, "volume": Decimal(0)} for w in windows}
    price = service.estimate_price(sub)
    query = (
        Order.select(Order.window, Order.buyer, Order.kind, Order.basis, Order.price, Order.quantity, Order.money)
        .where((Order.subscription == sub) & (Order.status == "active") & Order.window.is_null(False))
        .tuples()
    )
    for window_id, buyer, kind, basis, unit, quantity, money in query.iterator():
        row = rows.get(window_id)
        if row is None:
            continue
        row["orders"] += 1
        row["buyers"].add(buyer)
        row["quantity"] += quantity or 0
        row["volume"] += amount_of(kind, basis, unit, quantity, money, price) or 0
    return list(rows.values())


# --- the page -------------------------------------------------------------------------------------------


@bp.route("/<int:sub_id>/book")
@login_required
def book(sub_id):
    sub = Subscription.get_or_none(Subscription.id == sub_id) or abort(404)
    user = current_user._get_current_object()
    if not may_see_book(user, sub):
        abort(403 if user.is_staff else 404)  # a member does not learn of a placement it may not see
    figures = book_of(sub)
    asked = "method" in request.args
    form = AllocationForm(formdata=request.args if asked else None)
    form.cutoff.label.text = _("Доходность отсечения, % годовых") if sub.is_debt else _("Цена отсечения")
    if not asked and figures.clearing is not None:
        form.cutoff.data = figures.clearing
    is_seller = not user.is_staff and user.organisation_id == sub.seller_id
    proposal = proposal_url = None
    if asked and figures.offered and form.validate():
        proposal = propose(
            sub,
            figures.offered,
            form.method.data,
            cutoff=form.cutoff.data,
            threshold=form.threshold.data or 0,
            market_price=figures.market_price,
        )
        # the registers module writes the proposal as a satisfied register for the seller to edit (S-9.1);
        # it takes the same method, cut-off and threshold by POST
        if is_seller and "subscription.register_proposal" in current_app.view_functions:
            proposal_url = url_for("subscription.register_proposal", sub_id=sub.id)
    cutoff = form.cutoff.data if proposal is not None and proposal.method == "cutoff" else None
    return render(
        "subscription/book.html",
        "book_live",
        sub=sub,
        figures=figures,
        chart=demand_chart(figures, cutoff),
        form=form,
        proposal=proposal,
        proposal_url=proposal_url,
        live=sub.state in LIVE_STATES and service.accepting(sub),  # orders come only within the period
        windows=window_demand(sub),
        refresh_url=url_for("subscription.book", sub_id=sub.id, **request.args.to_dict()),
        levels=figures.levels[:TABLE_LEVELS],
        is_seller=is_seller,
    )
