"""The statistics KASE's result notices give with the published results (issue #17): participants, orders and
volume by investor type, limit against market orders, the minimum, maximum and weighted-average price, and
bid-to-cover; on the public page and as CSV. Counted over the accepted orders (S-8.2) and their fills (S-9)."""

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plugins.subscription import rules, service
from plugins.subscription.models import Fill, Order, Subscription, amount_of
from plugins.subscription.registers.columns import offered

INVESTOR_TYPES = {
    "own": _l("Члены Биржи за свой счет"),
    "individual": _l("Клиенты — физические лица"),
    "legal": _l("Клиенты — юридические лица"),
    "omnibus": _l("Клиенты на агрегированных (омнибус) счетах"),
}
KINDS = {"limit": _l("Лимитированные заявки"), "market": _l("Рыночные заявки")}


def investor_type(for_client: bool, investor_id: str, omnibus: bool) -> str:
    """Whose order it is. A BIN's fifth digit is 4, 5 or 6 (a resident or non-resident legal entity, a joint
    venture); an IIN's fifth and sixth are the day of birth, so its fifth digit is 0 to 3."""
    if not for_client:
        return "own"
    if not investor_id:
        return "omnibus" if omnibus else "individual"
    return "legal" if len(investor_id) == 12 and investor_id[4] in "456" else "individual"


@dataclass
class Line:
    label: str = ""
    orders: int = 0
    quantity: int = 0
    volume: Decimal = Decimal(0)
    filled_orders: int = 0
    filled_quantity: int = 0
    filled_volume: Decimal = Decimal(0)
    buyers: set = field(default_factory=set)

    def add(self, buyer, quantity, volume, fill) -> None:
        self.orders += 1
        self.quantity += quantity or 0
        self.volume += volume or 0
        self.buyers.add(buyer)
        if fill is not None and fill[0]:
            self.filled_orders += 1
            self.filled_quantity += fill[0]
            self.filled_volume += fill[1]

    @property
    def participants(self) -> int:
        return len(self.buyers)


@dataclass
class Statistics:
    offered: int
    total: Line
    by_type: dict
    by_kind: dict
    investors: int
    min_price: Decimal | None
    max_price: Decimal | None
    average_price: Decimal | None  # weighted by quantity, over the limit orders

    @property
    def bid_to_cover(self) -> Decimal | None:
        """Demand over supply, in securities."""
        if not self.offered:
            return None
        return (Decimal(self.total.quantity) / self.offered).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute(sub: Subscription) -> Statistics:
    fills = {
        order_id: (quantity, Decimal(volume))
        for order_id, quantity, volume in Fill.select(Fill.order, Fill.quantity, Fill.volume)
        .where(Fill.subscription == sub)
        .tuples()
    }
    total = Line()
    by_type = {key: Line(label=label) for key, label in INVESTOR_TYPES.items()}
    by_kind = {key: Line(label=label) for key, label in KINDS.items()}
    investors = set()
    low = high = None
    priced_volume, priced_quantity = Decimal(0), 0
    query = service.accepted_orders(sub).select(
        Order.id,
        Order.buyer,
        Order.kind,
        Order.basis,
        Order.price,
        Order.quantity,
        Order.money,
        Order.for_client,
        Order.investor_id,
        Order.omnibus,
    )
    for order_id, buyer, kind, basis, price, quantity, money, for_client, investor_id, omnibus in query.tuples():
        volume = amount_of(kind, basis, price, quantity, money, sub.fair_value)
        fill = fills.get(order_id)
        kind_of = investor_type(for_client, investor_id, omnibus)
        for line in (total, by_type[kind_of], by_kind.get(kind, by_kind["limit"])):
            line.add(buyer, quantity, volume, fill)
        investors.add(investor_id if for_client and investor_id else f"{kind_of}:{buyer}:{order_id if omnibus else ''}")
        if kind == "limit" and price is not None and quantity:
            price = Decimal(price)
            low = price if low is None else min(low, price)
            high = price if high is None else max(high, price)
            priced_volume += price * quantity
            priced_quantity += quantity
    average = None
    if priced_quantity:
        average = (priced_volume / priced_quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return Statistics(
        offered=offered(sub),
        total=total,
        by_type=by_type,
        by_kind=by_kind,
        investors=len(investors),
        min_price=low,
        max_price=high,
        average_price=average,
    )


def _number(value) -> str:
    return "" if value is None else str(value)


def as_csv(sub: Subscription, stats: Statistics) -> str:
    """The statistics as CSV (semicolons, UTF-8 with a BOM, as a spreadsheet opens it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Подписка"), sub.number, sub.isin, sub.issuer_name])
    writer.writerow([_("Предлагается, шт."), stats.offered])
    writer.writerow([_("Спрос к предложению (bid-to-cover)"), _number(stats.bid_to_cover)])
    writer.writerow([_("Участников (членов Биржи)"), stats.total.participants])
    writer.writerow([_("Инвесторов"), stats.investors])
    writer.writerow([_("Минимальная цена"), _number(stats.min_price)])
    writer.writerow([_("Максимальная цена"), _number(stats.max_price)])
    writer.writerow([_("Средневзвешенная цена"), _number(stats.average_price)])
    writer.writerow([])
    head = [
        _("Группа"),
        _("Участников"),
        _("Заявок"),
        _("Количество"),
        _("Объем заявок"),
        _("Удовлетворено заявок"),
        _("Удовлетворено, шт."),
        _("Объем удовлетворения"),
    ]
    writer.writerow(head)
    rows = [(str(line.label), line) for line in [*stats.by_type.values(), *stats.by_kind.values()]]
    rows.append((_("Всего"), stats.total))
    for name, line in rows:
        writer.writerow(
            [
                name,
                line.participants,
                line.orders,
                line.quantity,
                rules.money(line.volume),
                line.filled_orders,
                line.filled_quantity,
                rules.money(line.filled_volume),
            ]
        )
    return "\ufeff" + out.getvalue()
