"""Deals, netting and settlement done set-based (issue #8, the 200,000-order book): the same deals, numbers,
net positions and messages as one order at a time, money exact to the cent on SQLite and PostgreSQL."""

import datetime
from decimal import Decimal

import pytest

from core.audit import AuditEvent
from core.notifications.models import Notification
from plugins.subscription import rules
from plugins.subscription.models import Deal, DealFailure, Fill, NetPosition, Order, Results, Subscription, TradeAccount
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import deal_number, today
from plugins.subscription.settlement.cd import refuse_buyer, securities_missing, settle_buyer
from plugins.subscription.settlement.deals import _outcome, fill_outcomes, form_deals
from plugins.subscription.settlement.results import exchange_figures


def _fresh(sub):
    return Subscription.get_by_id(sub.id)


def _messages(user):
    return [n.message for n in Notification.select().where(Notification.user == user).order_by(Notification.id)]


# Prices whose products with the quantities are not exact in binary floating point: a float sum drifts.
PRICES = ["1000.1", "999.7", "1000.3", "1001.01", "998.99", "1000.07"]


def _specs(n):
    return [
        ("buyer1" if i % 3 else "buyer2", PRICES[i % len(PRICES)], 3 + i % 4, None, 3 + i % 4 - (i % 5 == 0))
        for i in range(n)
    ]


@pytest.mark.rule("S-10.3")
@pytest.mark.rule("S-10.4")
def test_many_deals_keep_the_orders_numbers_and_net_to_the_cent(app, make_subscription, place, people):
    sub, orders = place(make_subscription(ccp=True), _specs(30))
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
    assert len(deals) == 30 and deals  # the count at once
    rows = list(Deal.select().where(Deal.subscription == sub).order_by(Deal.id))
    # one deal per filled order, the ids in the order of the orders' numbers
    assert [d.order_id for d in rows] == [o.id for o in orders]
    assert [d.id for d in deals] == [d.id for d in rows] and [d.id for d in deals[:2]] == [d.id for d in rows[:2]]
    assert [deal_number(d, sub) for d in deals][:3] == [f"{sub.number}-00{n}" for n in (1, 2, 3)]
    fills = {f.order_id: f for f in Fill.select().where(Fill.subscription == sub)}
    assert [(d.buyer_id, d.seller_id, d.price, d.quantity, d.volume, d.status) for d in rows] == [
        (o.buyer_id, sub.seller_id, fills[o.id].price, fills[o.id].quantity, fills[o.id].volume, "formed")
        for o in orders
    ]
    # S-10.4: the net positions are the exact Decimal sums of the deals
    expected = rules.net_positions([(d.buyer_id, d.quantity, d.volume) for d in rows], sub.seller_id)
    positions = {
        p.participant_id: (p.money, p.securities) for p in NetPosition.select().where(NetPosition.subscription == sub)
    }
    assert positions == expected
    assert sum(m for m, _s in positions.values()) == 0 and sum(s for _m, s in positions.values()) == 0
    total = sum((d.volume for d in rows), Decimal(0))
    event = AuditEvent.select().where(AuditEvent.action == "subscription.deals").order_by(AuditEvent.id.desc()).get()
    assert f'"volume": "{total}"' in event.details and '"count": 30' in event.details


@pytest.mark.rule("S-10.3")
def test_a_register_with_nothing_filled_forms_no_deals_and_settles(app, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=True), [("buyer1", "1000", 10, None, 0), ("buyer2", "1000", 5, None, 0)])
    before = TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
    assert len(deals) == 0 and not deals and list(deals) == []
    assert NetPosition.select().where(NetPosition.subscription == sub).count() == 0
    sub = _fresh(sub)
    assert sub.state == "settled"  # nothing to settle: the collateral released, the results recorded
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked == before - Decimal("10000.00")
    results = Results.get(Results.subscription == sub)
    assert (results.satisfied_exchange, results.accepted_exchange) == (Decimal("0.00"), Decimal("15000.00"))


@pytest.mark.rule("S-11")
def test_each_buyer_is_told_of_its_orders_in_their_numbers(app, make_subscription, place, people):
    sub, orders = place(
        make_subscription(ccp=False),
        [
            ("buyer2", "1000.5", 4, None, 4),
            ("buyer1", "1000", 10, None, 0),
            ("buyer1", "999.99", 10, None, 3),
            ("buyer1", "1001", 2, None, 2),
        ],
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
    n = [o.number for o in orders]
    told = [m for m in _messages(people["buyer1"]) if "Итоги удовлетворения заявок" in m]
    assert told == [
        f"Итоги удовлетворения заявок по подписке {sub.number}: заявка № {n[1]} — не удовлетворена; "
        f"заявка № {n[2]} — удовлетворена частично (3 × 999.99); "
        f"заявка № {n[3]} — удовлетворена полностью (2 × 1 001.00)."
    ]
    told = [m for m in _messages(people["buyer2"]) if "Итоги удовлетворения заявок" in m]
    assert told == [
        f"Итоги удовлетворения заявок по подписке {sub.number}: заявка № {n[0]} — удовлетворена полностью "
        "(4 × 1 000.50)."
    ]
    assert [r["outcome"] for r in fill_outcomes(sub)] == ["full", "none", "partial", "full"]


def test_the_outcome_of_a_market_order_by_money():
    assert _outcome(None, Decimal("5000"), 5, Decimal("5000.00")) == "full"
    assert _outcome(None, Decimal("5000"), 4, Decimal("4000.00")) == "partial"
    assert _outcome(None, None, 4, Decimal("4000.00")) == "full"
    assert _outcome(10, None, 0, None) == "none"


@pytest.mark.rule("S-10.2")
def test_with_ccp_settlement_takes_each_accounts_sum_and_releases_the_rest(app, make_subscription, place, people):
    acc1 = TradeAccount.get(TradeAccount.code == "BUY1-KZT")
    before = (acc1.balance, acc1.blocked)
    sub, orders = place(make_subscription(ccp=True), _specs(12))
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
        settle_buyer(_fresh(sub), people["buyer2"].organisation_id, people["csd"])
    deals = list(Deal.select().where(Deal.subscription == sub))
    paid = sum((d.volume for d in deals if d.buyer_id == people["buyer1"].organisation_id), Decimal(0))
    acc1 = TradeAccount.get(TradeAccount.code == "BUY1-KZT")
    # SQLite does the account's arithmetic in binary floating point (as before): compared to the cent
    assert (rules.money(acc1.balance), rules.money(acc1.blocked)) == (before[0] - paid, before[1])
    assert Order.select().where((Order.subscription == sub) & (Order.blocked != 0)).count() == 0
    sub = _fresh(sub)
    results = Results.get(Results.subscription == sub)
    quantity = sum(d.quantity for d in deals)
    volume = sum((d.volume for d in deals), Decimal(0))
    assert results.satisfied_exchange == volume
    assert results.price == (volume / quantity).quantize(Decimal("0.0001"))
    accepted = sum((o.amount() for o in orders), Decimal(0))
    assert results.accepted_exchange == accepted
    assert exchange_figures(sub) == {"accepted": accepted, "satisfied": volume}


@pytest.mark.rule("S-10.2")
def test_without_ccp_short_money_names_the_first_deal_not_covered(app, make_subscription, place, people, members):
    second = TradeAccount.create(
        organisation=people["buyer1"].organisation_id, code="BUY1-KZT-2", currency="KZT", balance=Decimal("2500")
    )
    sub, orders = place(
        make_subscription(ccp=False),
        [
            ("buyer1", "1000", 1, None, 1),
            ("buyer1", "1000", 2, None, 2, second),
            ("buyer1", "1000", 1, None, 1, second),  # 3 000 on an account of 2 500: this one is not covered
            ("buyer1", "1000", 1, None, 1),
        ],
    )
    balances = {a.code: a.balance for a in TradeAccount.select()}
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="Откажите в расчетах") as caught:
            settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
    assert (
        f"сделке {sub.number}-{orders[2].number:03d}" in caught.value.message and "BUY1-KZT-2" in caught.value.message
    )
    assert {a.code: a.balance for a in TradeAccount.select()} == balances  # nothing paid
    TradeAccount.update(balance=Decimal("3000")).where(TradeAccount.id == second.id).execute()
    with app.test_request_context():
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
    assert TradeAccount.get_by_id(second.id).balance == Decimal("0.00")
    assert balances["BUY1-KZT"] - TradeAccount.get(TradeAccount.code == "BUY1-KZT").balance == Decimal("2000.00")
    assert {d.status for d in Deal.select().where(Deal.subscription == sub)} == {"settled"}


@pytest.mark.rule("S-10.1")
@pytest.mark.rule("S-10.6")
def test_failing_many_deals_records_a_failure_for_each(app, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=False), _specs(9))
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        refused = refuse_buyer(_fresh(sub), people["buyer2"].organisation_id, people["csd"], "date")
        failed = securities_missing(_fresh(sub), people["csd"])
    b2 = people["buyer2"].organisation_id
    assert sorted(d.id for d in refused) == sorted(d.id for d in deals if d.buyer_id == b2)
    assert sorted(d.id for d in failed) == sorted(d.id for d in deals if d.buyer_id != b2)
    failures = {f.deal_id: f for f in DealFailure.select()}
    assert set(failures) == {d.id for d in deals}
    for deal in Deal.select().where(Deal.subscription == sub):
        failure = failures[deal.id]
        if deal.buyer_id == b2:
            assert (deal.status, failure.ground, failure.guilty_id) == ("refused", "date", None)
        else:
            assert (deal.status, failure.ground, failure.guilty_id) == ("failed", "securities", sub.seller_id)
        assert failure.declared_by_id == people["csd"].id and failure.declared_on == today()
    assert _fresh(sub).state == "settled"
    assert Results.get(Results.subscription == sub).satisfied_exchange == Decimal("0.00")


@pytest.mark.rule("S-10.3")
def test_deals_are_formed_once_even_when_the_clock_and_the_button_meet(app, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=True), _specs(3))
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError):
            form_deals(sub, people["trading"], at=sub.deal_at + datetime.timedelta(minutes=1))
    assert Deal.select().where(Deal.subscription == sub).count() == 3
    assert NetPosition.select().where(NetPosition.subscription == sub).count() == 3
