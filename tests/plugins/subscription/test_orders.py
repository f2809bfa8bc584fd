"""Orders, collateral, criteria checks, investor data and activation (S-2.1, S-4, S-5, S-6, S-7)."""

import datetime
from decimal import Decimal

import pytest

from core.accounts.models import User
from core.audit.models import AuditEvent
from core.db import utcnow
from core.notifications.models import Notification
from plugins.subscription import activation, rules, service
from plugins.subscription.models import Order, Subscription, TradeAccount


def limit(members, buyer="buyer1", price="1000", quantity=10, **extra):
    acc = members["acc1"] if buyer == "buyer1" else members["acc2"]
    return {"kind": "limit", "price": Decimal(price), "quantity": quantity, "account": acc, **extra}


def submit(app, sub, members, buyer="buyer1", at=None, **fields):
    if isinstance(fields.get("price"), str):
        fields["price"] = Decimal(fields["price"])
    with app.test_request_context():
        return service.submit_order(sub, members[buyer], {**limit(members, buyer), **fields}, at=at)


def account(code):
    return TradeAccount.get(TradeAccount.code == code)


@pytest.mark.rule("S-2.1")
def test_with_or_without_ccp_in_kzt_or_usd(app, members, make_subscription):
    with_ccp = make_subscription(ccp=True, currency="KZT")
    without = make_subscription(ccp=False, currency="USD", settlement_org="other")
    assert with_ccp.ccp and with_ccp.currency == "KZT" and not without.ccp and without.currency == "USD"
    with pytest.raises(service.SubscriptionError, match="Валюта счета"):
        submit(app, without, members)


@pytest.mark.rule("S-4.1")
def test_orders_only_within_the_acceptance_period(app, members, make_subscription):
    sub = make_subscription()
    with pytest.raises(service.SubscriptionError, match="Заявки принимаются с"):
        submit(app, sub, members, at=sub.accept_from - datetime.timedelta(minutes=1))
    assert submit(app, sub, members).number == 1
    assert submit(app, sub, members).number == 2


@pytest.mark.rule("S-4.1")
@pytest.mark.rule("S-2.3")
def test_private_placement_minimum_99999_refused(app, members, make_subscription):
    sub = make_subscription(private=True)
    with pytest.raises(service.SubscriptionError, match="100 000 тенге"):
        submit(app, sub, members, price="99999", quantity=1)
    assert submit(app, sub, members, price="100000", quantity=1).status == "active"
    with pytest.raises(service.SubscriptionError, match="квалифицированных"):
        submit(
            app,
            sub,
            members,
            price="200000",
            quantity=1,
            for_client=True,
            investor_name="Иванов",
            investor_id="800101300123",
            qualified=False,
        )


@pytest.mark.rule("S-2.3")
@pytest.mark.rule("S-9.2")
def test_the_51st_investor_is_refused_in_a_private_placement(app, members, make_subscription):
    sub = make_subscription(private=True)
    TradeAccount.update(balance=Decimal("10000000000")).where(TradeAccount.code == "BUY1-KZT").execute()
    for n in range(50):
        submit(
            app,
            sub,
            members,
            price="100000",
            quantity=1,
            for_client=True,
            investor_name=f"Инвестор {n}",
            investor_id=f"{800000000000 + n}",
            qualified=True,
        )
    # another order of an investor already counted is fine
    submit(
        app,
        sub,
        members,
        price="100000",
        quantity=2,
        for_client=True,
        investor_name="Инвестор 0",
        investor_id="800000000000",
        qualified=True,
    )
    with pytest.raises(service.SubscriptionError, match="не более 50 инвесторов"):
        submit(
            app,
            sub,
            members,
            price="100000",
            quantity=1,
            for_client=True,
            investor_name="Пятьдесят первый",
            investor_id="800000000999",
            qualified=True,
        )


@pytest.mark.rule("S-4.4")
@pytest.mark.rule("S-5.1")
@pytest.mark.rule("S-5.2")
def test_with_ccp_the_amount_is_blocked_at_submission_and_released_on_cancel(app, members, make_subscription):
    sub = make_subscription(ccp=True, collateral_mode="submission")
    before = account("BUY1-KZT").blocked
    order = submit(app, sub, members, price="1000", quantity=10)
    assert order.secured and order.blocked == Decimal("10000.00")
    assert account("BUY1-KZT").blocked == before + Decimal("10000.00")
    with app.test_request_context():
        service.cancel_order(order, members["buyer1"])
    assert account("BUY1-KZT").blocked == before
    assert Order.get_by_id(order.id).status == "cancelled"


@pytest.mark.rule("S-4.4")
def test_without_ccp_nothing_is_blocked(app, members, make_subscription):
    sub = make_subscription(ccp=False, settlement_org="other")
    order = submit(app, sub, members)
    assert not order.secured and account("BUY1-KZT").blocked == 0


@pytest.mark.rule("S-5.2")
def test_unsecured_orders_allowed_before_the_check_cancelled_at_it_refused_after(app, members, make_subscription):
    now = utcnow()
    sub = make_subscription(ccp=True, collateral_mode="at_time", collateral_at=now + datetime.timedelta(hours=1))
    TradeAccount.update(balance=Decimal("5000")).where(TradeAccount.code == "BUY2-KZT").execute()
    rich = submit(app, sub, members, price="1000", quantity=10)  # 10,000 on a 500,000,000 account
    poor = submit(app, sub, members, buyer="buyer2", price="1000", quantity=10)  # 10,000 on 5,000
    assert not rich.secured and not poor.secured  # before the check time: accepted unsecured
    with app.test_request_context():
        result = activation.collateral_check(sub, at=sub.collateral_at)
    assert result == {"secured": 1, "cancelled": 1}
    assert Order.get_by_id(rich.id).secured and Order.get_by_id(poor.id).status == "unsecured"
    after = sub.collateral_at + datetime.timedelta(minutes=1)
    with pytest.raises(service.SubscriptionError, match="Недостаточно денег"):
        submit(app, sub, members, buyer="buyer2", price="1000", quantity=10, at=after)
    assert submit(app, sub, members, price="1000", quantity=1, at=after).secured


@pytest.mark.rule("S-5.2")
def test_the_check_secures_in_book_order_while_the_money_lasts(app, members, make_subscription):
    """One pass over the book: an account covers its orders in the order they came, each order's own amount
    blocked, the rest cancelled; the account's blocked total is exactly the sum of the secured orders."""
    now = utcnow()
    sub = make_subscription(ccp=True, collateral_mode="at_time", collateral_at=now + datetime.timedelta(hours=1))
    TradeAccount.update(balance=Decimal("25000.50")).where(TradeAccount.code == "BUY2-KZT").execute()
    first = submit(app, sub, members, buyer="buyer2", price="1000.25", quantity=10)  # 10,002.50
    second = submit(app, sub, members, buyer="buyer2", price="1500", quantity=10)  # 15,000: 25,002.50 > 25,000.50
    third = submit(app, sub, members, buyer="buyer2", price="1499.80", quantity=10)  # 14,998.00: exactly what is left
    with app.test_request_context():
        assert activation.collateral_check(sub, at=sub.collateral_at) == {"secured": 2, "cancelled": 1}
        assert activation.collateral_check(sub, at=sub.collateral_at) == {"secured": 0, "cancelled": 0}  # once only
    taken = second.version
    first, second, third = (Order.get_by_id(o.id) for o in (first, second, third))
    assert (first.secured, first.blocked) == (True, Decimal("10002.50"))
    assert second.status == "unsecured" and not second.secured and second.version == taken + 1
    assert (third.secured, third.blocked) == (True, Decimal("14998.00"))
    assert account("BUY2-KZT").blocked == Decimal("25000.50")
    assert AuditEvent.select().where(AuditEvent.action == "subscription.collateral_check").get().data == {
        "secured": 2,
        "cancelled": 1,
    }


@pytest.mark.rule("S-5.2")
@pytest.mark.rule("S-4.1")
def test_a_batch_of_orders_is_taken_as_the_same_orders_one_by_one(app, members, make_subscription):
    """A member's back office sends several orders at once: each is checked, numbered and secured as a single
    order is, a refused one is refused alone with the single order's message, a client_ref already taken
    (earlier, or earlier in the same batch) returns its first order; one audit event per new order."""
    sub = make_subscription(ccp=True)
    TradeAccount.update(balance=Decimal("25000")).where(TradeAccount.code == "BUY2-KZT").execute()
    with app.test_request_context():  # 1,000 blocked
        first = service.submit_order(sub, members["buyer2"], limit(members, "buyer2", quantity=1), client_ref="A")
    items = [
        (limit(members, "buyer2", price=Decimal("1000"), quantity=10), "B"),  # 10,000
        (limit(members, "buyer2", price=Decimal("1000"), quantity=20), "C"),  # 20,000: only 14,000 left
        (limit(members, "buyer2", price=Decimal("0"), quantity=1), None),  # no price
        (limit(members, "buyer2", price=Decimal("1000"), quantity=14), None),  # 14,000: exactly what is left
        (limit(members, "buyer2", price=Decimal("5"), quantity=1), "A"),  # a retry of the first order
        (limit(members, "buyer2", price=Decimal("5"), quantity=1), "B"),  # a retry within the batch
    ]
    with app.test_request_context():
        results = service.submit_orders(sub, members["buyer2"], items)
    b, short, no_price, d, retry_a, retry_b = results
    assert (b.number, d.number) == (2, 3) and b.id and d.id
    assert isinstance(short, service.SubscriptionError) and "Недостаточно денег на счете BUY2-KZT" in short.message
    assert isinstance(no_price, service.SubscriptionError) and no_price.field == "price"
    assert retry_a.id == first.id and retry_b is b
    assert [(o.number, o.secured, o.blocked) for o in Order.select().order_by(Order.number)] == [
        (1, True, Decimal("1000.00")),
        (2, True, Decimal("10000.00")),
        (3, True, Decimal("14000.00")),
    ]
    assert account("BUY2-KZT").blocked == Decimal("25000.00")
    events = AuditEvent.select().where(AuditEvent.action == "order.submit").order_by(AuditEvent.id)
    assert [e.data["order"] for e in events] == [1, 2, 3]
    assert {e.actor_id for e in events} == {members["buyer2"].id}


@pytest.mark.rule("S-2.3")
def test_a_batch_counts_its_own_investors_in_a_private_placement(app, members, make_subscription, monkeypatch):
    sub = make_subscription(private=True)
    monkeypatch.setattr(rules, "PRIVATE_MAX_INVESTORS", 2)
    one = {"for_client": True, "qualified": True, "investor_name": "Инвестор", "consent": True}
    items = [
        (limit(members, "buyer1", price=Decimal("100000"), quantity=1, **one, investor_id=iid), None)
        for iid in ("850101300001", "850101300002", "850101300003")
    ]
    with app.test_request_context():
        results = service.submit_orders(sub, members["buyer1"], items)
    assert [type(r).__name__ for r in results] == ["Order", "Order", "SubscriptionError"]
    assert "не более 50" in results[2].message or results[2].field == "investor_id"


def test_two_orders_never_spend_the_same_money(app, members, make_subscription):
    sub = make_subscription(ccp=True)
    TradeAccount.update(balance=Decimal("15000")).where(TradeAccount.code == "BUY2-KZT").execute()
    submit(app, sub, members, buyer="buyer2", price="1000", quantity=10)
    with pytest.raises(service.SubscriptionError, match="Недостаточно денег"):
        submit(app, sub, members, buyer="buyer2", price="1000", quantity=10)
    assert account("BUY2-KZT").blocked == Decimal("10000.00")


@pytest.mark.rule("S-4.3")
def test_buyer_amends_and_the_block_follows(app, members, make_subscription):
    sub = make_subscription(ccp=True)
    order = submit(app, sub, members, price="1000", quantity=10)
    with app.test_request_context():
        amended = service.amend_order(order, members["buyer1"], {"quantity": 25}, version=order.version)
        with pytest.raises(service.SubscriptionError, match="другом окне"):
            service.amend_order(order, members["buyer1"], {"quantity": 30}, version=order.version)
    assert amended.quantity == 25 and amended.blocked == Decimal("25000.00")
    assert account("BUY1-KZT").blocked == Decimal("25000.00")


@pytest.mark.rule("S-4.3")
def test_seller_removes_an_order_and_others_cannot(app, members, make_subscription):
    sub = make_subscription()
    order = submit(app, sub, members)
    with app.test_request_context():
        with pytest.raises(service.SubscriptionError, match="только продавец"):
            service.remove_order(order, members["buyer2"], "нет", at=sub.activation_at)
        service.remove_order(order, members["seller"], "Не соответствует условиям", at=sub.activation_at)
    assert Order.get_by_id(order.id).status == "removed"
    assert Notification.select().where(Notification.user == members["buyer1"]).exists()


@pytest.mark.rule("S-4.2")
def test_the_control_user_refuses_orders_on_accounts_it_controls(app, client, auth, members, make_subscription):
    sub = make_subscription(activation_at=utcnow() - datetime.timedelta(minutes=1))  # S-4.2: after activation
    order = submit(app, sub, members, buyer="buyer2")  # BUY2-KZT is controlled by CTRL
    assert order.confirmed is None
    auth.login("control@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "Не подтверждать" in page
    client.post(f"/subscriptions/{sub.id}/orders/{order.id}/refuse", data={"reason": "Нет подтверждения клиента"})
    assert Order.get_by_id(order.id).status == "refused"
    late = submit(app, sub, members, buyer="buyer2")
    with app.test_request_context(), pytest.raises(service.SubscriptionError, match="Срок подтверждения"):
        from core.accounts.models import User as Person

        service.refuse_order(
            late,
            Person.get(Person.email == "control@demo.kz"),
            "поздно",
            at=sub.accept_to + datetime.timedelta(hours=1),
        )
    other = submit(app, sub, members)  # BUY1-KZT: nobody controls it
    with app.test_request_context(), pytest.raises(service.SubscriptionError, match="контролирующий"):
        service.refuse_order(other, User.get(User.email == "control@demo.kz"), "нет")


@pytest.mark.rule("S-4.5")
def test_fair_value_and_market_quantities_on_a_worked_book(app, members, make_subscription):
    sub = make_subscription(market_orders=True)  # a period longer than one day
    submit(app, sub, members, price="1000", quantity=100)
    submit(app, sub, members, price="1100", quantity=300)
    submit(app, sub, members, buyer="buyer2", price="900", quantity=100)
    by_quantity = submit(app, sub, members, kind="market", price=None, quantity=50, basis="quantity")
    by_money = submit(
        app, sub, members, kind="market", price=None, quantity=None, basis="money", money=Decimal("250000")
    )
    with app.test_request_context():
        activation.activate(sub, at=sub.activation_at)
    sub = Subscription.get_by_id(sub.id)
    # VWAP = (1000*100 + 1100*300 + 900*100) / 500 = 520000 / 500 = 1040
    assert sub.fair_value == Decimal("1040.0000") and sub.state == "activated"
    assert Order.get_by_id(by_quantity.id).quantity == 50
    assert Order.get_by_id(by_money.id).quantity == 240  # 250000 / 1040 = 240.38 -> 240


@pytest.mark.rule("S-4.5")
def test_fair_value_falls_back_to_book_value_and_nominal(app):
    assert rules.fair_value([], Decimal("900")) == Decimal("900")
    assert rules.fair_value([], None) is None
    assert rules.fair_value([(Decimal("101.5"), 10), (Decimal("100"), 30)], Decimal("100")) == Decimal("100.3750")


@pytest.mark.rule("S-4.5")
def test_one_day_period_uses_the_sellers_price(app, members, make_subscription):
    now = utcnow()
    sub = make_subscription(
        accept_from=now - datetime.timedelta(minutes=10),
        accept_to=now + datetime.timedelta(minutes=20),
        activation_at=now + datetime.timedelta(minutes=40),
        market_orders=True,
    )
    if rules.local(sub.accept_from).date() != rules.local(sub.accept_to).date():
        pytest.skip("the test's one-day period crosses midnight in Almaty")
    submit(app, sub, members, price="1000", quantity=100)
    market = submit(app, sub, members, kind="market", price=None, quantity=None, basis="money", money=Decimal("120000"))
    with app.test_request_context():
        activation.set_seller_price(sub, members["seller"], Decimal("1200"))
        activation.activate(Subscription.get_by_id(sub.id), at=sub.activation_at)
    assert Order.get_by_id(market.id).quantity == 100


@pytest.mark.rule("S-4.6")
def test_the_seller_sees_all_orders_and_a_buyer_only_its_own(app, client, auth, members, make_subscription):
    sub = make_subscription()
    submit(app, sub, members, price="1001")
    submit(app, sub, members, buyer="buyer2", price="1002")
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "1 001" in page and "1 002" in page
    auth.logout()
    auth.login("buyer2@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "1 002" in page and "1 001" not in page


@pytest.mark.rule("S-4.7")
def test_no_orders_declares_the_subscription_failed_and_publishes_it(app, client, members, make_subscription):
    sub = make_subscription()
    with app.test_request_context():
        # activation inside the period with no order yet: more may come, the period goes on
        activation.activate(sub, at=sub.activation_at)
        assert Subscription.get_by_id(sub.id).state == "activated"
        assert (
            activation.close_period(Subscription.get_by_id(sub.id), at=sub.accept_to - datetime.timedelta(seconds=1))
            is False
        )
        # the period ends with none: failed (S-4.7)
        assert activation.close_period(Subscription.get_by_id(sub.id), at=sub.accept_to) is True
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "failed" and "ни одной заявки" in sub.failed_reason
    page = client.get(f"/announcements/{sub.number}").get_data(as_text=True)
    assert "Признана несостоявшейся" in page


@pytest.mark.rule("S-6")
def test_the_cd_checks_orders_against_criteria_and_is_told_of_cancellations(
    app, client, auth, members, demo, make_subscription
):
    sub = make_subscription(criteria_check=True, criteria="Только резиденты РК")
    failing = submit(app, sub, members)
    passing = submit(app, sub, members, price="1100")
    auth.login("csd@demo.kz")
    client.post(f"/subscriptions/{sub.id}/orders/{failing.id}/criteria-reject", data={"reason": "Нерезидент"})
    client.post(f"/subscriptions/{sub.id}/orders/{passing.id}/criteria-ok")
    assert Order.get_by_id(failing.id).status == "rejected" and Order.get_by_id(passing.id).criteria_ok
    with app.test_request_context():
        service.cancel_order(Order.get_by_id(passing.id), members["buyer1"])
    note = (
        Notification.select().where(Notification.user == demo["csd@demo.kz"]).order_by(Notification.id.desc()).first()
    )
    assert "проверенную центральным депозитарием" in note.message
    with app.test_request_context():
        assert failing.id not in {o.id for o in service.accepted_orders(sub)}


@pytest.mark.rule("S-7")
def test_investor_data_consent_by_submitting_and_omnibus_later(app, members, make_subscription):
    sub = make_subscription(investor_data=True, investor_items='["12.1", "12.2"]')
    with pytest.raises(service.SubscriptionError, match="согласие инвестора"):
        submit(app, sub, members, for_client=True, investor_name="Иванов", investor_id="800101300123")
    ok = submit(app, sub, members, for_client=True, investor_name="Иванов", investor_id="800101300123", consent=True)
    assert ok.investor_id == "800101300123"
    omnibus = submit(app, sub, members, for_client=True, omnibus=True, consent=True)
    assert omnibus.omnibus and omnibus.investor_id == ""


def test_order_pages_work_for_a_buyer(app, client, auth, members, make_subscription):
    sub = make_subscription()
    auth.login("buyer1@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "Подать заявку" in page
    acc = members["acc1"]
    bad = client.post(
        f"/subscriptions/{sub.id}/orders", data={"account": str(acc.id), "kind": "limit", "quantity": "10"}
    )
    assert bad.status_code == 422 and "Укажите цену больше нуля." in bad.get_data(as_text=True)
    ok = client.post(
        f"/subscriptions/{sub.id}/orders",
        data={"account": str(acc.id), "kind": "limit", "price": "1000", "quantity": "10"},
        follow_redirects=True,
    )
    assert "Заявка № 1 принята." in ok.get_data(as_text=True)
    order = Order.get()
    client.post(f"/subscriptions/{sub.id}/orders/{order.id}/cancel")
    assert Order.get_by_id(order.id).status == "cancelled"


def test_another_member_cannot_touch_an_order(app, client, auth, members, make_subscription):
    sub = make_subscription()
    order = submit(app, sub, members)
    auth.login("buyer2@demo.kz")
    assert client.post(f"/subscriptions/{sub.id}/orders/{order.id}/cancel").status_code == 404
    assert Order.get_by_id(order.id).status == "active"
