"""Screens that say what happened (issue #17, part 2), checked on the pages people read."""

import datetime
import re
from decimal import Decimal

import pytest

from core.db import utcnow
from core.notifications.models import Notification
from plugins.subscription import rules, service
from plugins.subscription.models import Order, Register, RegisterJob, Subscription, TradeAccount
from tests.plugins.subscription.test_acceptance_period import CHECK, MON, TUE, at, calendar, order  # noqa: F401
from tests.plugins.subscription.test_registers import book, produced, stored, upload  # noqa: F401


def text(html: str) -> str:
    """The page's words, without its tags; table cells end with " |"."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.sub(r"</t[dh]>", " | ", html)))


@pytest.mark.rule("S-5.2")
def test_an_order_the_check_cancels_says_when_and_why_and_the_buyer_is_told(app, client, auth, demo, members, calendar):  # noqa: F811
    """BUY2-KZT holds 25 000.50. #1 10 x 1000.25 = 10 002.50 is secured at the 15:00 check, leaving
    14 998.00; #2 10 x 1500 = 15 000.00 is more than that and is cancelled; #3 10 x 1499.80 = 14 998.00 fits."""
    TradeAccount.update(balance=Decimal("25000.50"), blocked=0).where(TradeAccount.code == "BUY2-KZT").execute()
    sub = calendar(collateral_mode="at_time", collateral_at=CHECK)
    first = order(app, sub, members, buyer="buyer2", price=Decimal("1000.25"), when=at(MON, 11))
    second = order(app, sub, members, buyer="buyer2", price=Decimal("1500"), when=at(MON, 12))
    third = order(app, sub, members, buyer="buyer2", price=Decimal("1499.80"), when=at(TUE, 9))
    with app.test_request_context():
        assert service.collateral_check(Subscription.get_by_id(sub.id), at=CHECK) == {"secured": 2, "cancelled": 1}
    cancelled = Order.get_by_id(second.id)
    assert (cancelled.free_at_check, cancelled.needed_at_check) == (Decimal("14998.00"), Decimal("15000.00"))
    assert Order.get_by_id(first.id).secured and Order.get_by_id(third.id).secured

    auth.login("buyer2@demo.kz")
    page = text(client.get(f"/subscriptions/{sub.id}").get_data(as_text=True))
    assert "Отменена: не обеспечена на 15.12.2026 15:00" in page
    assert "Свободно на счете BUY2-KZT: 14 998.00, нужно: 15 000.00" in page
    assert ">unsecured<" not in page
    note = (
        Notification.select().where(Notification.user == demo["buyer2@demo.kz"]).order_by(Notification.id.desc()).get()
    )
    assert note.message == (
        "Заявки отменены: не обеспечены на 15.12.2026 15:00 (проверка обеспечения, п. 2 ст. 5): "
        f"№ {second.number} (счет BUY2-KZT: нужно 15 000.00, свободно 14 998.00)."
    )
    # the other buyer had nothing cancelled and is told nothing about it
    assert (
        not Notification.select()
        .where((Notification.user == demo["buyer1@demo.kz"]) & Notification.message.contains("не обеспечены"))
        .exists()
    )


@pytest.mark.rule("S-9.6")
@pytest.mark.rule("S-9.5")
def test_a_correction_sent_after_the_deal_time_is_refused_with_a_message(app, client, auth, book):  # noqa: F811
    sub = produced(app, book["sub"])
    _register, accepted = stored(app, sub)
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/registers").get_data(as_text=True)
    assert "Представить реестр удовлетворенных заявок" in page  # the seller opened the page in time...
    deal = utcnow() - datetime.timedelta(minutes=1)
    Subscription.update(deal_at=deal).where(Subscription.id == sub.id).execute()  # ...and sends after the deal
    response = upload(client, sub, accepted)
    assert response.status_code == 422
    words = text(response.get_data(as_text=True))
    assert f"Исправления принимаются до заключения сделок ({rules.local(deal):%d.%m.%Y %H:%M})." in words
    assert Register.select().where((Register.subscription == sub) & (Register.kind == "satisfied")).count() == 0
    assert RegisterJob.select().where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check")).count() == 0


@pytest.mark.rule("S-10.6")
@pytest.mark.rule("S-10.5")
def test_the_cd_sees_each_participants_totals_and_a_short_buyers_whole_shortfall(
    app, client, auth, make_subscription, place, people
):
    """Without CCP: BUY2 has two deals of 10 x 1000 = 10 000 each, 20 000 due in all, and 15 000 on its
    account: short by 5 000 (not 'one deal of 10 000'). The seller receives 20 000 and delivers 20."""
    from plugins.subscription import settlement

    sub, _orders = place(
        make_subscription(ccp=False), [("buyer2", "1000", 10, None, 10), ("buyer2", "1000", 10, None, 10)]
    )
    TradeAccount.update(balance=Decimal("15000"), blocked=0).where(TradeAccount.code == "BUY2-KZT").execute()
    with app.test_request_context():
        settlement.form_deals(sub, people["trading"], at=sub.deal_at)
    auth.login("csd@demo.kz")
    words = text(client.get(f"/subscriptions/{sub.id}/settlement").get_data(as_text=True))
    assert "Итоги по участникам" in words
    seller = people["seller"].organisation
    assert f"{seller.code} — {seller.display_name} продавец | 20 000.00 | -20 |" in words
    assert "BUY2 — АО «Demo Buyer Two» | -20 000.00 | 20 |" in words
    assert (
        "Покупателю не хватает денег для расчетов по всем его сделкам: к оплате всего 20 000.00, денег "
        "15 000.00, не хватает 5 000.00." in words
    )
    with app.test_request_context(), pytest.raises(service.SubscriptionError) as refused:
        settlement.settle_buyer(Subscription.get_by_id(sub.id), people["buyer2"].organisation_id, people["csd"])
    assert refused.value.message == (
        "Недостаточно денег для расчетов по сделкам покупателя BUY2 (сделок: 2, к оплате всего 20 000.00): на счете "
        "BUY2-KZT к оплате 20 000.00, денег 15 000.00, не хватает 5 000.00; первая непокрытая — по сделке "
        f"{sub.number}-002. Откажите в расчетах по всем сделкам покупателя."
    )
    # the buyer sees its own deals, not the others' totals
    auth.logout()
    auth.login("buyer2@demo.kz")
    assert "Итоги по участникам" not in client.get(f"/subscriptions/{sub.id}/settlement").get_data(as_text=True)


# --- S-A1 and the order form: only the fields that apply, with or without JavaScript ----------------------


def shown(html: str) -> dict:
    """The conditional fields of a form: name -> shown."""
    return {m[1]: not m[2] for m in re.finditer(r'class="[^"]*when[^"]*" data-field="(\w+)"( hidden)?', html)}


def application(**overrides) -> dict:
    data = {
        "issuer_name": "АО «Demo Issuer»",
        "security_kind": "equity",
        "isin": "KZ1C00000876",
        "quantity": "1000",
        "seller_account_type": "субсчет",
        "seller_account": "SELL-001",
        "accept_from_date": "2027-03-01",
        "accept_to_date": "2027-03-02",
        "accept_from_time": "10:00",
        "accept_to_time": "16:00",
        "confirmation_minutes": "30",
        "activation_date": "2027-03-02",
        "activation_time": "15:30",
        "ccp": "1",
        "collateral_mode": "submission",
        "currency": "KZT",
        "accepted_register_on": "2027-03-03",
        "satisfied_register_on": "2027-03-04",
        "settlement_org": "cd",
        "deal_date": "2027-03-05",
        "deal_time": "11:00",
        "settlement_date": "2027-03-05",
        "settlement_time": "15:00",
    }
    data.update(overrides)
    return data


@pytest.mark.rule("S-A1")
def test_the_application_shows_only_the_conditions_that_apply_without_javascript(app, client, auth, members):
    auth.login("seller@demo.kz")
    html = client.get("/subscriptions/new").get_data(as_text=True)
    # equity with CCP, collateral at submission, nothing ticked: item 7 without its date, no bond fields
    assert shown(html) == {
        "quantity": True,
        "total_nominal": False,
        "nominal": False,
        "book_value": False,
        "collateral_mode": True,
        "collateral_at": False,
        "criteria": False,
        "investor_items": False,
        "settlement_org_name": False,
    }
    # no JavaScript: the "show the fields" button posts the form; nothing is saved, the page answers whole
    before = Subscription.select().count()
    response = client.post(
        "/subscriptions/new",
        data=application(
            refresh="1", security_kind="debt", ccp="0", criteria_check="y", investor_data="y", settlement_org="other"
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and Subscription.select().count() == before
    assert shown(html) == {
        "quantity": False,
        "total_nominal": True,
        "nominal": True,
        "book_value": False,
        "collateral_mode": False,  # item 7 only with CCP (S-A1 footnote 8)
        "collateral_at": False,
        "criteria": True,
        "investor_items": True,
        "settlement_org_name": True,
    }
    # htmx asks for the fields alone
    response = client.post(
        "/subscriptions/new",
        data=application(refresh="1", collateral_mode="at_time", market_orders="y"),
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.strip().startswith('<div id="application-fields">')
    assert shown(html)["collateral_at"] and shown(html)["book_value"]


@pytest.mark.rule("S-A1")
def test_what_the_conditions_leave_hidden_is_not_saved(app, client, auth, members):
    """A seller who chose the check at a set time, then switched to no CCP, and typed criteria without
    ticking item 11: the application keeps none of it."""
    auth.login("seller@demo.kz")
    response = client.post(
        "/subscriptions/new",
        data=application(
            ccp="0",
            collateral_mode="at_time",
            collateral_date="2027-03-02",
            collateral_time="15:00",
            criteria="только резиденты",
            settlement_org_name="ТОО «Другая»",
            total_nominal="5000000",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sub = Subscription.select().order_by(Subscription.id.desc()).get()
    assert (sub.ccp, sub.collateral_mode, sub.collateral_at) == (False, "submission", None)
    assert (sub.criteria, sub.settlement_org_name, sub.total_nominal, sub.quantity) == ("", "", None, 1000)


@pytest.mark.rule("S-4.1")
@pytest.mark.rule("S-7.1")
def test_the_order_form_shows_market_and_investor_fields_only_when_chosen(
    app, client, auth, members, make_subscription
):
    sub = make_subscription(market_orders=True, investor_data=True)
    auth.login("buyer1@demo.kz")
    html = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert shown(html) == {"basis": False, "price": True, "quantity": True, "money": False, "investor": False}
    # htmx: a market order for money, for a client
    html = client.post(
        f"/subscriptions/{sub.id}/order-fields",
        data={"kind": "market", "basis": "money", "for_client": "y", "refresh": "1"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert shown(html) == {"basis": True, "price": False, "quantity": False, "money": True, "investor": True}
    assert "Подтверждаю согласие инвестора" in html  # S-7.1: the application asks for investor data
    # no JavaScript: the button posts the order form; the page comes back with the fields, no order taken
    response = client.post(
        f"/subscriptions/{sub.id}/orders", data={"kind": "market", "basis": "quantity", "refresh": "1"}
    )
    assert response.status_code == 200 and Order.select().where(Order.subscription == sub).count() == 0
    assert shown(response.get_data(as_text=True))["basis"] and not shown(response.get_data(as_text=True))["money"]
    # an own order: investor fields typed and then hidden are not taken
    response = client.post(
        f"/subscriptions/{sub.id}/orders",
        data={
            "account": str(members["acc1"].id),
            "kind": "limit",
            "price": "1000",
            "quantity": "10",
            "investor_name": "Иванов",
            "investor_id": "800101300123",
        },
    )
    assert response.status_code == 302
    taken = Order.get(Order.subscription == sub)
    assert (taken.for_client, taken.investor_name, taken.investor_id) == (False, "", "")


@pytest.mark.rule("S-A1")
def test_editing_a_draft_refreshes_the_fields_without_saving(app, client, auth, members, make_subscription):
    sub = make_subscription(state="draft")
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{sub.id}/edit").get_data(as_text=True)
    assert shown(html)["collateral_mode"] and not shown(html)["total_nominal"]
    response = client.post(
        f"/subscriptions/{sub.id}/edit", data=application(refresh="1", security_kind="debt", issuer_name="Другой")
    )
    assert response.status_code == 200 and shown(response.get_data(as_text=True))["total_nominal"]
    fresh = Subscription.get_by_id(sub.id)
    assert (fresh.security_kind, fresh.issuer_name, fresh.version) == ("equity", sub.issuer_name, sub.version)


@pytest.mark.rule("S-4.1")
def test_an_empty_order_names_the_account_the_price_and_the_quantity_at_once(
    app, client, auth, members, make_subscription
):
    """Issue 15: the order form said "Выберите счет.", then "Укажите цену больше нуля.", and never named the
    empty quantity. Sent empty, a limit order names all three in one answer, in the summary and at the fields;
    a window is asked for where the subscription has windows; nothing is taken."""
    sub = make_subscription()
    auth.login("buyer1@demo.kz")
    response = client.post(f"/subscriptions/{sub.id}/orders", data={"kind": "limit", "account": "", "price": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    for field, message in (
        ("account", "Выберите счет."),
        ("price", "Укажите цену больше нуля."),
        ("quantity", "Укажите количество больше нуля."),
    ):
        assert f'href="#{field}"' in summary and message in summary, field
        assert re.search(rf'id="{field}-error"[^>]*>.*?{re.escape(message)}', html, re.S), field
    assert html.count("данные не сохранены") == 1
    assert Order.select().where(Order.subscription == sub).count() == 0

    with app.test_request_context():
        seller = members["seller"]
        windowed = make_subscription(state="draft")
        service.add_window(windowed, seller, "Розничные", windowed.accept_from, windowed.accept_to)
        Subscription.update(state="registered", number="SUB-T-W").where(Subscription.id == windowed.id).execute()
    html = client.post(
        f"/subscriptions/{windowed.id}/orders", data={"kind": "limit", "account": str(members["acc1"].id)}
    ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "Выберите окно приема заявок." in summary and "Укажите цену больше нуля." in summary
