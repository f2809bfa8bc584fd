"""What the acceptance period allows, decided by the time and the Rules (issue #17, part 1).

The Rules (seed 004, art. 4): "Өтінімдерді қабылдау кезеңі ішінде сатып алушылардың өз өтінімдерін өзгертуіне
және алып тастауына жол беріледі. Сатушының қандай да бір сатып алушының өтінімін оларды іске қосқан уақыттан
кейін өтінімдерді қабылдау кезеңі ішінде алып тастауына жол беріледі." (4.3): buyers amend and cancel within
the period; the seller removes any order after activation, within the period. Control users refuse
confirmation after activation until the time the application sets after the period (4.2). Cancelling or
removing releases the block (5.2); neither a removed nor a refused order is in the accepted register (8.2).

One calendar for every test, in Almaty time: acceptance Mon 14 Dec 2026 10:00 to Tue 15 Dec 16:00 (more than
one day: market orders at the fair value, 4.5 (2)); the collateral check (CCP) Tue 15:00; activation Tue
15:30; confirmation period 30 minutes, so control users refuse until 16:30."""

import datetime
from decimal import Decimal

import pytest

from core.accounts.models import User
from core.audit.models import AuditEvent
from plugins.subscription import clock, rules, service
from plugins.subscription.forms import ApplicationForm
from plugins.subscription.models import Order, Subscription, TradeAccount
from plugins.subscription.registers.calloff import enforce_deadlines
from plugins.subscription.registers.jobs import start_accepted

MON, TUE = datetime.date(2026, 12, 14), datetime.date(2026, 12, 15)


def at(day, hour, minute=0, second=0):
    """An Almaty moment as the stored UTC."""
    return rules.utc(day, datetime.time(hour, minute, second))


START, CHECK, ACTIVATION, END, CONFIRM_END = (
    at(MON, 10),
    at(TUE, 15),
    at(TUE, 15, 30),
    at(TUE, 16),
    at(TUE, 16, 30),
)
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def calendar(make_subscription):
    def make(**overrides):
        fields = dict(
            accept_from=START,
            accept_to=END,
            activation_at=ACTIVATION,
            confirmation_minutes=30,
            accepted_register_on=datetime.date(2026, 12, 16),
            satisfied_register_on=datetime.date(2026, 12, 17),
            deal_at=at(datetime.date(2026, 12, 18), 11),
            settlement_at=at(datetime.date(2026, 12, 18), 15),
        )
        fields.update(overrides)
        return make_subscription(**fields)

    return make


def order(app, sub, members, buyer="buyer1", when=None, **fields):
    data = {
        "kind": "limit",
        "price": Decimal("1000"),
        "quantity": 10,
        "account": members["acc1" if buyer == "buyer1" else "acc2"],
    }
    data.update(fields)
    with app.test_request_context():
        return service.submit_order(Subscription.get_by_id(sub.id), members[buyer], data, at=when or at(MON, 11))


def money(code):
    acc = TradeAccount.get(TradeAccount.code == code)
    return acc.balance - acc.blocked, acc.blocked


def control():
    return User.get(User.email == "control@demo.kz")


def tick(app, when):
    with app.test_request_context():
        return clock.tick(at=when)


# --- buyers: amend and cancel throughout the period (S-4.3) -------------------------------------------------


@pytest.mark.rule("S-4.3")
def test_buyers_amend_and_cancel_before_and_after_activation_until_the_period_ends(app, members, calendar):
    sub = calendar()
    first = order(app, sub, members)
    second = order(app, sub, members, quantity=20)
    assert tick(app, ACTIVATION) == {"collateral": 0, "activated": 1, "failed": 0}
    assert Subscription.get_by_id(sub.id).state == "activated"
    with app.test_request_context():
        # after activation, inside the period: the buyer still amends and cancels
        amended = service.amend_order(first, members["buyer1"], {"quantity": 15}, first.version, at=at(TUE, 15, 45))
        assert amended.quantity == 15 and amended.amended_at == at(TUE, 15, 45)
        # the last second of the period still belongs to it
        assert service.cancel_order(second, members["buyer1"], at=END).status == "cancelled"
        # one second later it is over for both
        with pytest.raises(
            service.SubscriptionError, match="Заявки принимаются с 14.12.2026 10:00 по 15.12.2026 16:00"
        ):
            service.amend_order(amended, members["buyer1"], {"quantity": 5}, amended.version, at=END + SECOND)
        with pytest.raises(service.SubscriptionError, match="Период приема заявок закончился"):
            service.cancel_order(amended, members["buyer1"], at=END + SECOND)
    assert Order.get_by_id(first.id).quantity == 15 and Order.get_by_id(first.id).status == "active"


@pytest.mark.rule("S-4.1")
@pytest.mark.rule("S-4.5")
def test_an_order_after_activation_is_active_at_once_with_its_market_quantity(app, members, calendar):
    """Fair value at activation = (1000 x 10 + 1100 x 30) / 40 = 43 000 / 40 = 1075.0000; a market order for
    100 000 tenge after activation gets floor(100 000 / 1075) = 93 securities (93 x 1075 = 99 975)."""
    sub = calendar(market_orders=True)
    order(app, sub, members, price=Decimal("1000"), quantity=10)
    order(app, sub, members, price=Decimal("1100"), quantity=30)
    tick(app, ACTIVATION)
    assert Subscription.get_by_id(sub.id).fair_value == Decimal("1075.0000")
    late = order(
        app, sub, members, when=at(TUE, 15, 40), kind="market", basis="money", money=Decimal("100000"), price=None
    )
    assert late.quantity == 93 and late.blocked == Decimal("100000")  # with CCP the money itself is blocked
    with app.test_request_context():
        amended = service.amend_order(late, members["buyer1"], {"money": Decimal("50000")}, late.version, at=END)
    assert amended.quantity == 46  # floor(50 000 / 1075) = 46 (46 x 1075 = 49 450)


# --- the seller: removes after activation, within the period (S-4.3) ---------------------------------------


@pytest.mark.rule("S-4.3")
@pytest.mark.rule("S-5.2")
@pytest.mark.rule("S-8.2")
def test_the_seller_removes_only_after_activation_and_the_block_is_released(app, members, calendar):
    """CCP, collateral at submission: 10 x 1000 = 10 000 and 20 x 1000 = 20 000 blocked on BUY1-KZT."""
    TradeAccount.update(balance=Decimal("50000"), blocked=0).where(TradeAccount.code == "BUY1-KZT").execute()
    sub = calendar()
    kept = order(app, sub, members)
    removed = order(app, sub, members, quantity=20)
    assert money("BUY1-KZT") == (Decimal("20000"), Decimal("30000"))
    with app.test_request_context():
        with pytest.raises(service.SubscriptionError) as before:
            service.remove_order(removed, members["seller"], "до активации", at=ACTIVATION - SECOND)
        assert before.value.message == (
            "Продавец снимает заявки после активации (15.12.2026 15:30) до окончания приема заявок (15.12.2026 16:00)."
        )
    # activation comes (the clock's tick); removal is now the seller's right, whatever the state's name
    tick(app, ACTIVATION)
    with app.test_request_context():
        gone = service.remove_order(removed, members["seller"], "не соответствует условиям", at=at(TUE, 15, 50))
    assert gone.status == "removed" and gone.blocked == 0 and not gone.secured
    # S-5.2: 20 000 released: free 20 000 + 20 000 = 40 000, blocked 30 000 - 20 000 = 10 000
    assert money("BUY1-KZT") == (Decimal("40000"), Decimal("10000"))
    # S-8.2: the accepted register lists only the order kept
    assert [o.number for o in service.accepted_orders(Subscription.get_by_id(sub.id))] == [kept.number]
    event = AuditEvent.select().where(AuditEvent.action == "order.remove").get()
    assert event.data["order"] == removed.number and event.data["reason"] == "не соответствует условиям"


@pytest.mark.rule("S-4.3")
def test_the_seller_removes_at_activation_and_at_the_end_but_not_after(app, members, calendar):
    sub = calendar()
    one, two, three = (order(app, sub, members) for _ in range(3))
    with app.test_request_context():
        # activation's own moment counts, even before the clock has ticked (the time decides, not the state)
        assert Subscription.get_by_id(sub.id).state == "registered"
        assert service.remove_order(one, members["seller"], "в момент активации", at=ACTIVATION).status == "removed"
        assert service.remove_order(two, members["seller"], "в последнюю секунду", at=END).status == "removed"
        with pytest.raises(service.SubscriptionError, match="Период приема заявок закончился"):
            service.remove_order(three, members["seller"], "поздно", at=END + SECOND)
        with pytest.raises(service.SubscriptionError, match="только продавец"):
            service.remove_order(three, members["buyer2"], "чужая", at=at(TUE, 15, 45))
    assert Order.get_by_id(three.id).status == "active"


@pytest.mark.rule("S-4.3")
def test_the_page_offers_removal_only_when_the_rules_allow_it(app, client, auth, members, make_subscription):
    from core.db import utcnow

    now = utcnow()
    before = make_subscription(activation_at=now + datetime.timedelta(hours=1))
    order(app, before, members, when=now)
    after = make_subscription(activation_at=now - datetime.timedelta(minutes=5))
    order(app, after, members, when=now)
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{before.id}").get_data(as_text=True)
    assert "Снять</button>" not in page and "Продавец снимает заявки после активации" in page
    page = client.get(f"/subscriptions/{after.id}").get_data(as_text=True)
    assert "Снять</button>" in page and "Продавец снимает заявки после активации" not in page
    # the route refuses what the page does not offer
    target = Order.get(Order.subscription == before)
    client.post(f"/subscriptions/{before.id}/orders/{target.id}/remove", data={"reason": "рано"})
    assert Order.get_by_id(target.id).status == "active"


# --- the control user: after activation until the set time (S-4.2) -----------------------------------------


@pytest.mark.rule("S-4.2")
@pytest.mark.rule("S-8.2")
def test_the_control_user_refuses_from_activation_until_the_confirmation_time(app, members, calendar):
    sub = calendar()
    early, at_activation, last, late = (order(app, sub, members, buyer="buyer2") for _ in range(4))
    with app.test_request_context():
        with pytest.raises(
            service.SubscriptionError, match="после активации заявок \\(15.12.2026 15:30\\) до 15.12.2026 16:30"
        ):
            service.refuse_order(early, control(), "рано", at=ACTIVATION - SECOND)
        assert service.refuse_order(at_activation, control(), "нет поручения", at=ACTIVATION).status == "refused"
        # after the period, within its 30 confirmation minutes: 16:00 + 30 min = 16:30
        assert service.refuse_order(last, control(), "нет поручения", at=CONFIRM_END).status == "refused"
        with pytest.raises(service.SubscriptionError, match="Срок подтверждения заявок истек"):
            service.refuse_order(late, control(), "поздно", at=CONFIRM_END + SECOND)
    numbers = [o.number for o in service.accepted_orders(Subscription.get_by_id(sub.id))]
    assert numbers == [early.number, late.number]


@pytest.mark.rule("S-8.1")
@pytest.mark.rule("S-4.2")
def test_the_accepted_register_waits_for_the_period_and_the_confirmation_time(app, members, calendar):
    sub = calendar()
    order(app, sub, members)
    tick(app, ACTIVATION)
    with app.app_context():
        # activated at 15:30, yet orders still come, change and go until 16:00, refusals until 16:30
        assert enforce_deadlines(at=at(TUE, 15, 45))["produced"] == 0
        assert enforce_deadlines(at=CONFIRM_END)["produced"] == 0
    with (
        app.test_request_context(),
        pytest.raises(service.SubscriptionError, match="периода подтверждения \\(15.12.2026 16:30\\)"),
    ):
        start_accepted(Subscription.get_by_id(sub.id), at=CONFIRM_END)
    with app.app_context():
        assert enforce_deadlines(at=CONFIRM_END + SECOND)["produced"] == 1
    assert Subscription.get_by_id(sub.id).state == "accepted_register"


# --- the collateral check within the period (S-5.2) --------------------------------------------------------


@pytest.mark.rule("S-5.2")
@pytest.mark.rule("S-4.3")
def test_check_then_activation_then_removal_and_cancellation_each_release_their_block(app, members, calendar):
    """BUY1-KZT holds 25 000. Before the 15:00 check: #1 10 x 1000 and #2 20 x 1000, unsecured. At 15:00 #1 is
    secured (25 000 - 10 000 = 15 000 free), #2 (20 000 > 15 000) is cancelled. At 15:10 #3 5 x 1000 must be
    secured at once: free 10 000. After activation the seller removes #1 (free 20 000), at 15:50 the buyer
    cancels #3 (free 25 000, nothing blocked)."""
    TradeAccount.update(balance=Decimal("25000"), blocked=0).where(TradeAccount.code == "BUY1-KZT").execute()
    sub = calendar(collateral_mode="at_time", collateral_at=CHECK)
    first = order(app, sub, members, when=at(TUE, 12))
    second = order(app, sub, members, when=at(TUE, 12, 5), quantity=20)
    assert money("BUY1-KZT") == (Decimal("25000"), Decimal("0"))
    assert tick(app, CHECK) == {"collateral": 1, "activated": 0, "failed": 0}
    assert Order.get_by_id(first.id).blocked == Decimal("10000") and Order.get_by_id(second.id).status == "unsecured"
    third = order(app, sub, members, when=at(TUE, 15, 10), quantity=5)
    assert third.secured and money("BUY1-KZT") == (Decimal("10000"), Decimal("15000"))
    with pytest.raises(service.SubscriptionError, match="Недостаточно денег"):
        order(app, sub, members, when=at(TUE, 15, 11), quantity=11)  # 11 000 > 10 000 free
    tick(app, ACTIVATION)
    with app.test_request_context():
        service.remove_order(first, members["seller"], "по решению продавца", at=at(TUE, 15, 40))
        assert money("BUY1-KZT") == (Decimal("20000"), Decimal("5000"))
        service.cancel_order(third, members["buyer1"], at=at(TUE, 15, 50))
    assert money("BUY1-KZT") == (Decimal("25000"), Decimal("0"))
    assert list(service.accepted_orders(Subscription.get_by_id(sub.id))) == []


# --- no orders (S-4.7) -------------------------------------------------------------------------------------


@pytest.mark.rule("S-4.7")
def test_an_activation_inside_the_period_waits_for_its_end_before_declaring_failure(app, members, calendar):
    empty, late_order = calendar(), calendar()
    assert tick(app, ACTIVATION) == {"collateral": 0, "activated": 2, "failed": 0}
    order(app, late_order, members, when=at(TUE, 15, 55))  # after activation, still in time
    assert tick(app, END - SECOND)["failed"] == 0
    assert tick(app, END) == {"collateral": 0, "activated": 0, "failed": 1}
    assert Subscription.get_by_id(empty.id).state == "failed"
    assert Subscription.get_by_id(late_order.id).state == "activated"


# --- the application's times (S-A1 conditions 3, 4, 7, 8) --------------------------------------------------


@pytest.mark.rule("S-4.3")
@pytest.mark.rule("S-A1")
def test_activation_is_a_moment_of_the_period(app):
    from tests.plugins.subscription.test_application import _conditions

    day = datetime.date(2026, 11, 26)
    with app.app_context():
        inside = _conditions(datetime.date(2026, 11, 20), day)  # 10:00-16:00, activation 15:30
        assert rules.check_conditions(inside) == {}
        for hour, minute in ((16, 30), (10, 0), (9, 0)):  # after the end; at or before the start
            c = _conditions(
                datetime.date(2026, 11, 20),
                day,
                activation_at=datetime.datetime.combine(day, datetime.time(hour, minute)),
            )
            assert "после активации до окончания приема" in str(rules.check_conditions(c)["activation_at"])
        at_end = _conditions(
            datetime.date(2026, 11, 20), day, activation_at=datetime.datetime.combine(day, datetime.time(16))
        )
        assert rules.check_conditions(at_end) == {}


@pytest.mark.rule("S-A1")
def test_the_forms_default_times_follow_the_rules_order(app):
    with app.test_request_context():
        form = ApplicationForm(formdata=None)
    start, check, activation, end = (
        form.accept_from_time.data,
        form.collateral_time.data,
        form.activation_time.data,
        form.accept_to_time.data,
    )
    # 10:00 < check 15:00 < activation 15:30 < end 16:00: 30 minutes in which the seller may remove orders
    assert (start, check, activation, end) == (
        datetime.time(10),
        datetime.time(15),
        datetime.time(15, 30),
        datetime.time(16),
    )
