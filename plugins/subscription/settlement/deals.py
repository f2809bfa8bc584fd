"""The deals formed from the satisfied register at the deal time (S-10.3), by the clock or by the trading
department, and what the pages read from them: the fills' outcomes, net positions, the buyers' groups."""

from collections.abc import Sequence
from decimal import Decimal

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import Organisation, User, audit, utcnow
from core import database as db
from plugins.subscription import rules, service
from plugins.subscription.models import (
    Deal,
    Fill,
    NetPosition,
    Order,
    Subscription,
    TradeAccount,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import (
    FILL_OUTCOMES,
    _fmt,
    _rows,
    _sum_money,
    _summed_money,
    _tell,
    deals_of,
    today,
)
from plugins.subscription.settlement.results import _finish

# --- deals (S-10.3, S-11.3) -----------------------------------------------------------------------------


class FormedDeals(Sequence):
    """The deals ``form_deals`` made, in the order of their orders' numbers. Its length is known at once;
    the Deal rows (with their orders) are read on the first look at them. A book of 200,000 deals is then
    not held in memory for a caller that only counts them (the clock, the button, the benchmark)."""

    def __init__(self, sub: Subscription, count: int):
        self.sub, self.count, self._deals = sub, count, None

    def _all(self) -> list[Deal]:
        if self._deals is None:
            self._deals = list(deals_of(self.sub)) if self.count else []
            for deal in self._deals:
                deal.subscription = self.sub
        return self._deals

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._all())


def form_deals(sub: Subscription, user: User | None = None, at=None) -> FormedDeals:
    """S-10.3: on the deal date the Exchange forms one deal per filled order of the accepted satisfied
    register; where the CD settles, the registration orders go to it. With CCP the claims and obligations
    are netted per participant (S-10.4); without CCP each deal settles on its own (S-10.5). Every buyer
    is told how its orders were filled (S-11.3).

    Set-based for a book of 200,000 orders: the deals are copied from the fills in one INSERT ... SELECT
    (in order-number order, so the deals' ids follow the orders' numbers), and the net positions, the
    count and the volume come from one GROUP BY over the new deals."""
    at = at or service.now()
    with db.atomic():
        sub = service._fresh(sub, "satisfied_register")
        if today(at) < today(sub.deal_at):
            raise SubscriptionError(
                _(
                    "Сделки заключаются в дату заключения сделок: %(date)s.",
                    date=today(sub.deal_at).strftime("%d.%m.%Y"),
                )
            )
        if Deal.select().where(Deal.subscription == sub).exists():
            raise SubscriptionError(_("Сделки по этой подписке уже сформированы."))
        filled = (
            Fill.select(
                pw.Value(sub.id),
                Fill.order,
                Order.buyer,
                pw.Value(sub.seller_id),
                Fill.price,
                Fill.quantity,
                Fill.volume,
                pw.Value("formed"),
                pw.Value(""),
                pw.Value(at, converter=Deal.created_at.db_value),
            )
            .join(Order, on=(Fill.order == Order.id))
            .where((Fill.subscription == sub) & (Fill.quantity > 0))
            .order_by(Order.number)
        )
        Deal.insert_from(
            filled,
            [
                Deal.subscription,
                Deal.order,
                Deal.buyer,
                Deal.seller,
                Deal.price,
                Deal.quantity,
                Deal.volume,
                Deal.status,
                Deal.refusal,
                Deal.created_at,
            ],
        ).as_rowcount().execute()
        # One row per buyer, in the order of its first deal: its deals' count, securities and money.
        by_buyer = [
            (buyer, count, quantity, _summed_money(volume))
            for buyer, count, quantity, volume in Deal.select(
                Deal.buyer, pw.fn.COUNT(Deal.id), pw.fn.SUM(Deal.quantity), _sum_money(Deal.volume)
            )
            .where(Deal.subscription == sub)
            .group_by(Deal.buyer)
            .order_by(pw.fn.MIN(Deal.id))
            .tuples()
        ]
        count = sum(row[1] for row in by_buyer)
        volume = sum((row[3] for row in by_buyer), Decimal(0))
        if sub.ccp:
            positions = rules.net_positions([(b, q, v) for b, _n, q, v in by_buyer], sub.seller_id)
            rows = [
                {"subscription": sub.id, "participant": p, "money": money, "securities": securities}
                for p, (money, securities) in positions.items()
            ]
            for batch in pw.chunked(rows, 500):
                NetPosition.insert_many(batch).execute()
        service._move(sub, "deals")
        audit.record(
            "subscription.deals",
            sub,
            actor=user,
            count=count,
            volume=str(volume),
            clearing="net" if sub.ccp else "gross",
        )
        _announce_deals(sub, count, volume, user)
        if sub.cd_settles and not count:
            _finish(sub, user, at)
    return FormedDeals(sub, count)


def _announce_deals(sub, count, volume, user):
    number = sub.number or sub.isin
    if sub.cd_settles:
        _tell(
            service.csd_users(),
            _l(
                "Приказы на регистрацию сделок по подписке %(number)s: сделок %(count)s на сумму %(volume)s %(cur)s, "
                "расчеты %(date)s (%(mode)s).",
                number=number,
                count=count,
                volume=_fmt(volume),
                cur=sub.currency,
                date=rules.local(sub.settlement_at).strftime("%d.%m.%Y %H:%M"),
                mode=_("нетто-расчеты с участием центрального контрагента") if sub.ccp else _("гросс-расчеты"),
            ),
            sub,
            user,
            link="/settlement/cd",
        )
    message = _("По подписке %(number)s заключено сделок: %(count)s.", number=number, count=count)
    if not sub.cd_settles:
        message += " " + _(
            "Направьте итоги подписки по форме приложения 3 не позднее рабочего дня, следующего за днем расчетов."
        )
    _tell(service.users_of([sub.seller_id]), message, sub, user)
    _announce_fills(sub, user, number)


def _announce_fills(sub, user, number):
    """S-11.3: each buyer is told how each of its accepted orders was filled, in the orders' numbers.
    The orders are read as plain rows in the order of their numbers (the index order: no sort, no model
    instances), only each buyer's message lines are kept, and the buyers' users come from one query."""
    line = _("заявка № %(n)s — %(outcome)s")  # translated once, filled per order
    labels = {key: str(label) for key, label in FILL_OUTCOMES.items()}
    to_decimal = Fill.price.python_value  # Decimal(str(x)) of SQLite's REAL, as a model read would give
    query = (
        service.accepted_orders(sub)
        .select(Order.number, Order.buyer, Order.quantity, Order.money, Fill.id, Fill.quantity, Fill.price, Fill.volume)
        .join(Fill, pw.JOIN.LEFT_OUTER, on=((Fill.order == Order.id) & (Fill.subscription == sub)))
        .order_by(Order.number)
    )
    by_buyer, prices = {}, {}  # prices: the raw column value -> as the message shows it
    for order_number, buyer, quantity, money, fill_id, filled, price, fill_volume in _rows(query):
        filled = filled if fill_id is not None else 0
        if filled <= 0:
            outcome = "none"
        elif quantity:
            outcome = "full" if filled >= quantity else "partial"
        else:
            outcome = _outcome(quantity, to_decimal(money), filled, to_decimal(fill_volume))
        text = line % {"n": order_number, "outcome": labels[outcome]}
        if filled:
            shown = prices.get(price)
            if shown is None:
                shown = prices[price] = _fmt(to_decimal(price))
            text = f"{text} ({filled} × {shown})"
        lines = by_buyer.get(buyer)
        if lines is None:
            lines = by_buyer[buyer] = []
        lines.append(text)
    users = {}
    for person in service.users_of(list(by_buyer)):
        users.setdefault(person.organisation_id, []).append(person)
    for buyer in list(by_buyer):
        lines = by_buyer.pop(buyer)
        _tell(
            users.get(buyer, []),
            _l("Итоги удовлетворения заявок по подписке %(number)s: %(lines)s.", number=number, lines="; ".join(lines)),
            sub,
            user,
        )


def _outcome(quantity, money, filled, fill_volume) -> str:
    """S-11.3: full, partial or none, from the order's quantity (or money) and what the register filled."""
    if filled <= 0:
        return "none"
    if quantity:
        return "full" if filled >= quantity else "partial"
    # a market order by money that was never turned into a quantity
    return "full" if money is None or fill_volume >= money else "partial"


def fill_outcomes(sub: Subscription, buyer=None) -> list[dict]:
    """S-11.3: each accepted order filled fully, partly or not at all, by the satisfied register."""
    fills = {f.order_id: f for f in Fill.select().where(Fill.subscription == sub)}
    orders = service.accepted_orders(sub)
    if buyer is not None:
        orders = orders.where(Order.buyer == buyer)
    rows = []
    for order in orders:
        fill = fills.get(order.id)
        filled = fill.quantity if fill else 0
        outcome = _outcome(order.quantity, order.money, filled, fill.volume if fill else None)
        rows.append(
            {"order": order, "fill": fill, "filled": filled, "outcome": outcome, "label": FILL_OUTCOMES[outcome]}
        )
    return rows


def net_positions(sub: Subscription) -> list[NetPosition]:
    return list(
        NetPosition.select(NetPosition, Organisation)
        .join(Organisation, on=(NetPosition.participant == Organisation.id))
        .where(NetPosition.subscription == sub)
        .order_by(NetPosition.money.desc(), Organisation.code)
    )


def participant_totals(sub: Subscription, deals) -> list[NetPosition]:
    """Without CCP the deals settle one by one (S-10.5); the CD still sees what each participant pays or
    receives in all: the deals not refused or failed, summed per participant as S-10.4 nets them."""
    live = [(d.buyer_id, d.quantity, d.volume) for d in deals if d.status in ("formed", "settled")]
    if not live:
        return []
    totals = rules.net_positions(live, sub.seller_id)
    orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(totals)))}
    rows = [
        NetPosition(subscription=sub, participant=orgs[pid], money=money, securities=securities)
        for pid, (money, securities) in totals.items()
    ]
    return sorted(rows, key=lambda p: (-p.money, p.participant.code))


def buyer_groups(sub: Subscription, deals, at=None) -> list[dict]:
    """The deals by buyer, as the CD settles or refuses them (S-10.6), with what the CD would check:
    the buyer's money (S-10.2), the settlement date and the CD's consent."""
    groups = {}
    for deal in deals:
        group = groups.setdefault(
            deal.buyer_id, {"buyer": deal.buyer, "deals": [], "quantity": 0, "volume": Decimal(0)}
        )
        group["deals"].append(deal)
        group["quantity"] += deal.quantity
        group["volume"] += deal.volume
    for group in groups.values():
        statuses = {d.status for d in group["deals"]}
        group["status"] = statuses.pop() if len(statuses) == 1 else "mixed"
        group["open"] = group["status"] == "formed"
        group["hints"] = _hints(sub, group["deals"], at) if group["open"] else []
        group["money"] = _money_on_hand(sub, group["deals"])
        group["shortfall"] = max(group["volume"] - group["money"], Decimal(0)) if group["open"] else Decimal(0)
    return sorted(groups.values(), key=lambda g: g["buyer"].code)


def _money_on_hand(sub, deals) -> Decimal:
    """With CCP: the collateral blocked for the deals' orders (on the correspondent account, S-10.2);
    without: the free money on the buyer's accounts the orders name."""
    if sub.ccp:
        return sum((Decimal(d.order.blocked or 0) for d in deals), Decimal(0))
    accounts = {d.order.account_id for d in deals}
    return sum((a.free for a in TradeAccount.select().where(TradeAccount.id.in_(accounts))), Decimal(0))


def _hints(sub, deals, at=None) -> list[str]:
    """The S-10.6 grounds that the portal can see apply (the CD decides)."""
    if sub.ccp:
        return []
    found = []
    if _money_on_hand(sub, deals) < sum((d.volume for d in deals), Decimal(0)):
        found.append("money")
    if today(at) != today(sub.settlement_at):
        found.append("date")
    if sub.cd_consent_at is None:
        found.append("consent")
    return found


# --- the clock --------------------------------------------------------------------------------------------


def tick(at=None) -> dict:
    """Deals are formed at the deal date and time (S-10.3) of every subscription whose satisfied register
    was accepted."""
    at = at or utcnow()
    formed = 0
    for sub in Subscription.select().where((Subscription.state == "satisfied_register") & (Subscription.deal_at <= at)):
        try:
            form_deals(sub, None, at)
            formed += 1
        except SubscriptionError:
            continue  # changed meanwhile in another transaction; the next tick looks again
    return {"deals": formed}


def settlement_clock():
    return tick()
