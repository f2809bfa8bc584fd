"""The end of the acceptance period's first part: the collateral check (S-5.2), the seller's price and the
activation of the orders (S-4.3 - S-4.5, S-6), and closing a period nobody ordered in."""

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import User, audit, bulk_update, webhooks
from core import database as db
from plugins.subscription import rules
from plugins.subscription.models import (
    Order,
    Subscription,
    TradeAccount,
    amount_of,
)
from plugins.subscription.service import (
    SubscriptionError,
    _add_blocked,
    _free_money,
    _fresh,
    _move,
    _order_event,
    _tell,
    csd_users,
    estimate_price,
    locked,
    now,
    users_of,
)


def collateral_check(sub: Subscription, at=None) -> dict:
    """S-5.2 at the set time: every unsecured order is secured now, in the order of the book, while its
    account's free money lasts; an order it does not cover is cancelled (unsecured).

    One pass over the book: the accounts' free money is read once (locked), the orders are walked as
    tuples in number order and the outcome written set-based. Done order by order, 200,000 orders were
    400,000 statements and 52 s."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if not sub.ccp or sub.collateral_checked_at is not None:
            return {"secured": 0, "cancelled": 0}
        free = _free_money(Order.select(Order.account).where(Order.subscription == sub).distinct())
        price = estimate_price(sub)
        blocks, unsecured, totals, seen, events = [], [], {}, [], {}
        unsecured_orders = (
            Order.select(
                Order.id,
                Order.account,
                Order.kind,
                Order.basis,
                Order.price,
                Order.quantity,
                Order.money,
                Order.buyer,
                Order.number,
                Order.client_ref,
            )
            .where((Order.subscription == sub) & (Order.status == "active") & (Order.secured == False))  # noqa: E712
            .order_by(Order.number)
            .tuples()
        )
        for (
            order_id,
            account_id,
            kind,
            basis,
            unit,
            quantity,
            money,
            buyer_id,
            number,
            ref,
        ) in unsecured_orders.iterator():
            amount = amount_of(kind, basis, unit, quantity, money, price)
            if amount is not None and free[account_id] >= amount:
                free[account_id] -= amount
                totals[account_id] = totals.get(account_id, Decimal(0)) + amount
                blocks.append((order_id, True, amount))
            else:
                unsecured.append(order_id)
                seen.append((order_id, free[account_id], amount))
                events.setdefault(buyer_id, []).append(
                    _order_event(sub, order_id, number, "unsecured", "order.unsecured", ref)
                )
        bulk_update(Order, [Order.secured, Order.blocked], blocks)
        _add_blocked(totals)
        for start in range(0, len(unsecured), 500):
            Order.update(status="unsecured", version=Order.version + 1).where(
                Order.id.in_(unsecured[start : start + 500])
            ).execute()
        bulk_update(Order, [Order.free_at_check, Order.needed_at_check], seen)
        Subscription.update(collateral_checked_at=at).where(Subscription.id == sub.id).execute()
        sub.collateral_checked_at = at
        audit.record("subscription.collateral_check", sub, secured=len(blocks), cancelled=len(unsecured))
        _tell_unsecured(sub, unsecured)
        for buyer_id, changed in events.items():
            webhooks.order_changed(buyer_id, changed)
    return {"secured": len(blocks), "cancelled": len(unsecured)}


TOLD_ORDERS = 20  # orders named one by one in a buyer's notice of the collateral check; the rest are counted


def _amount_text(amount) -> str:
    return "—" if amount is None else f"{Decimal(amount):,.2f}".replace(",", " ")


def _tell_unsecured(sub: Subscription, order_ids: list) -> None:
    """S-5.2: each buyer is told which of its orders the check cancelled and why: the account's free money
    at the check against what the order needed."""
    if not order_ids:
        return
    when = rules.local(sub.collateral_checked_at).strftime("%d.%m.%Y %H:%M")
    by_buyer = {}
    query = (
        Order.select(Order.buyer, Order.number, TradeAccount.code, Order.free_at_check, Order.needed_at_check)
        .join(TradeAccount)
        .where((Order.subscription == sub) & (Order.status == "unsecured"))  # only the check cancels so
        .order_by(Order.number)
        .tuples()
    )
    for buyer, number, code, free, needed in query:
        by_buyer.setdefault(buyer, []).append((number, code, free, needed))
    for buyer, orders in by_buyer.items():
        lines = [
            _(
                "№ %(n)s (счет %(code)s: нужно %(needed)s, свободно %(free)s)",
                n=number,
                code=code,
                needed=_amount_text(needed),
                free=_amount_text(free),
            )
            for number, code, free, needed in orders[:TOLD_ORDERS]
        ]
        if len(orders) > TOLD_ORDERS:
            lines.append(_("и еще заявок: %(n)s", n=len(orders) - TOLD_ORDERS))
        _tell(
            users_of([buyer]),
            _l(
                "Заявки отменены: не обеспечены на %(when)s (проверка обеспечения, п. 2 ст. 5): %(orders)s.",
                when=when,
                orders="; ".join(str(line) for line in lines),
            ),
            sub,
            None,
        )


def set_seller_price(sub: Subscription, user: User, price: Decimal) -> Subscription:
    """S-4.5 (1) and (3): for a one-day period the seller gives the market orders' price before activation
    (with CCP, before the collateral check)."""
    if user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Цену для рыночных заявок указывает продавец."))
    if price is None or price <= 0:
        raise SubscriptionError(_("Укажите цену больше нуля."), field="price")
    with db.atomic():
        sub = _fresh(sub, "registered")
        deadline = sub.collateral_at if (sub.ccp and sub.collateral_mode == "at_time") else sub.activation_at
        if now() >= deadline:
            raise SubscriptionError(
                _("Цену нужно было указать до %(t)s.", t=rules.local(deadline).strftime("%d.%m.%Y %H:%M"))
            )
        Subscription.update(seller_price=price).where(Subscription.id == sub.id).execute()
        audit.record("subscription.seller_price", sub, price=str(price))
    return Subscription.get_by_id(sub.id)


def activate(sub: Subscription, at=None) -> Subscription:
    """After acceptance ends: the market orders' quantities at the seller's price (one-day period) or at
    the fair value (S-4.5); no orders at all declares the subscription failed and publishes it (S-4.7)."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if sub.state != "registered":
            return sub
        active = Order.select().where((Order.subscription == sub) & (Order.status == "active"))
        if not active.exists() and at >= sub.accept_to:
            _failed_empty(sub, activated_at=at)
            return sub
        if rules.one_day(sub.accept_from, sub.accept_to) and sub.market_orders:
            price = sub.seller_price
        else:
            limits = (
                Order.select(Order.price, Order.quantity)
                .where(
                    (Order.subscription == sub)
                    & (Order.status == "active")
                    & (Order.kind == "limit")
                    & Order.price.is_null(False)
                )
                .tuples()
            )
            price = rules.fair_value(limits.iterator(), sub.nominal if sub.is_debt else sub.book_value)
        if sub.market_orders and price is not None:
            market = (
                Order.select(Order.id, Order.basis, Order.quantity, Order.money)
                .where((Order.subscription == sub) & (Order.status == "active") & (Order.kind == "market"))
                .tuples()
            )
            bulk_update(
                Order,
                [Order.quantity],
                [(id_, rules.market_quantity(basis, qty, money, price)) for id_, basis, qty, money in market],
            )
        _move(sub, "activated", activated_at=at, fair_value=price)
        audit.record("subscription.activate", sub, fair_value=str(price) if price is not None else None)
    return sub


def _failed_empty(sub: Subscription, **fields) -> None:
    """S-4.7: no orders at all: the subscription is declared failed."""
    _move(sub, "failed", failed_reason=str(_("Не подано ни одной заявки.")), **fields)
    audit.record("subscription.failed", sub, reason="no orders")
    _tell(
        users_of([sub.seller]) + csd_users(),
        _l("Подписка %(number)s признана несостоявшейся: не подано ни одной заявки.", number=sub.number),
        sub,
        None,
    )


def close_period(sub: Subscription, at=None) -> bool:
    """At the end of an acceptance period that activation fell inside: with no order in force the
    subscription fails (S-4.7), as it would have at an activation after the period. True if it failed."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if sub.state != "activated" or at < sub.accept_to:
            return False
        if Order.select().where((Order.subscription == sub) & (Order.status == "active")).exists():
            return False
        _failed_empty(sub)
    return True
