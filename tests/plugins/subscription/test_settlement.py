"""Deals, clearing and settlement (S-10), settlement by another organisation (S-11, form S-A3) and the
penalties for failed deals without CCP (S-12)."""

import datetime
import shutil
import subprocess
from decimal import Decimal

import pytest
from flask import render_template
from flask_login import login_user

from core.db import utcnow
from core.notifications.models import Notification
from core.workdays import add_working_days
from plugins.subscription import rules
from plugins.subscription.models import (
    Deal,
    DealFailure,
    NetPosition,
    Order,
    Penalty,
    Results,
    Subscription,
    TradeAccount,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import deal_number, deals_of, today
from plugins.subscription.settlement.cd import refuse_buyer, refuse_deal, securities_missing, settle_buyer
from plugins.subscription.settlement.certificates import issue_certificate
from plugins.subscription.settlement.deals import _hints, form_deals, tick
from plugins.subscription.settlement.penalties import (
    claim_penalty,
    penalty_steps,
    record_notice,
    record_pass_on,
    record_payment,
    refer_dispute,
)
from plugins.subscription.settlement.results import public_results, results_due, submit_results

D = datetime.date
NAURYZ_FRIDAY = D(2026, 3, 20)  # the working day before Nauryz (21-25 March 2026)


def _at(day, hour=11, minute=0):
    """An Almaty moment as the stored UTC."""
    return rules.utc(day, datetime.time(hour, minute))


def _fresh(sub):
    return Subscription.get_by_id(sub.id)


def _deals(sub):
    return list(Deal.select().where(Deal.subscription == sub).order_by(Deal.id))


def _messages(user):
    return [n.message for n in Notification.select().where(Notification.user == user)]


def _account(code):
    return TradeAccount.get(TradeAccount.code == code)


# --- S-10.3: deals and the registration orders to the CD -------------------------------------------------


@pytest.mark.rule("S-10.3")
def test_deals_are_formed_one_per_filled_order_on_the_deal_date_and_sent_to_the_cd(
    app, make_subscription, place, people
):
    sub = make_subscription(ccp=False)
    sub, orders = place(
        sub,
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1010", 5, "1000", 5), ("buyer2", "990", 20, None, 0)],
    )
    with app.test_request_context():
        with pytest.raises(SubscriptionError, match="в дату заключения сделок"):
            form_deals(sub, people["trading"], at=sub.deal_at - datetime.timedelta(days=1))
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
    assert [(d.order_id, d.buyer_id, d.seller_id, d.price, d.quantity, d.volume) for d in deals] == [
        (orders[0].id, people["buyer1"].organisation_id, sub.seller_id, Decimal("1000"), 10, Decimal("10000.00")),
        (orders[1].id, people["buyer1"].organisation_id, sub.seller_id, Decimal("1000"), 5, Decimal("5000.00")),
    ]
    assert _fresh(sub).state == "deals"
    assert deal_number(deals[0], sub) == f"{sub.number}-001"
    assert any("Приказы на регистрацию сделок" in m for m in _messages(people["csd"]))
    with app.test_request_context(), pytest.raises(SubscriptionError):
        form_deals(_fresh(sub), people["trading"], at=sub.deal_at)  # once only


@pytest.mark.rule("S-10.3")
def test_the_clock_forms_deals_at_the_deal_time(app, make_subscription, place):
    sub, _orders = place(make_subscription(), [("buyer1", "1000", 10, None, 10)])
    with app.app_context():  # a task has no request
        assert tick(at=sub.deal_at - datetime.timedelta(minutes=1)) == {"deals": 0}
        assert tick(at=sub.deal_at) == {"deals": 1}
    assert _fresh(sub).state == "deals" and len(_deals(sub)) == 1


@pytest.mark.rule("S-10.3")
def test_the_cd_sees_the_deals_to_register_and_others_do_not(app, client, auth, make_subscription, place, people):
    sub, _orders = place(make_subscription(), [("buyer1", "1000", 10, None, 10)])
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
    auth.login("csd@demo.kz")
    page = client.get("/settlement/cd")
    assert page.status_code == 200
    assert sub.number in page.text
    auth.logout()
    auth.login("buyer1@demo.kz")
    assert client.get("/settlement/cd").status_code == 403
    auth.logout()
    auth.login("broker@demo.kz")  # a member with no order in it
    assert client.get(f"/subscriptions/{sub.id}/settlement").status_code == 404


@pytest.mark.rule("S-10.3")
def test_the_trading_department_forms_deals_with_the_button(app, client, auth, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(deal_at=utcnow() - datetime.timedelta(hours=1)), [("buyer1", "1000", 10, None, 10)]
    )
    auth.login("buyer1@demo.kz")
    assert client.post(f"/subscriptions/{sub.id}/settlement/deals").status_code == 403
    auth.logout()
    auth.login("trading@exchange.demo")
    page = client.get(f"/subscriptions/{sub.id}/settlement")
    assert "Сформировать сделки" in page.text
    response = client.post(f"/subscriptions/{sub.id}/settlement/deals", follow_redirects=True)
    assert "Сформировано сделок: 1" in response.text
    assert _fresh(sub).state == "deals"


# --- S-10.4 / S-10.5: net and gross ---------------------------------------------------------------------


@pytest.mark.rule("S-10.4")
def test_with_ccp_claims_and_obligations_are_netted_per_participant(
    app, client, auth, make_subscription, place, people
):
    sub, _orders = place(
        make_subscription(ccp=True),
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1010", 5, None, 5), ("buyer2", "990", 20, None, 20)],
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
    positions = {
        p.participant_id: (p.money, p.securities) for p in NetPosition.select().where(NetPosition.subscription == sub)
    }
    b1, b2 = people["buyer1"].organisation_id, people["buyer2"].organisation_id
    # 10 x 1000 + 5 x 1010 = 15 050 for buyer 1; 20 x 990 = 19 800 for buyer 2; the seller 34 850 for 35.
    assert positions == {
        b1: (Decimal("-15050.00"), 15),
        b2: (Decimal("-19800.00"), 20),
        sub.seller_id: (Decimal("34850.00"), -35),
    }
    assert sum(m for m, _s in positions.values()) == 0
    assert sum(s for _m, s in positions.values()) == 0
    auth.login("csd@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/settlement")
    assert "Нетто-позиции участников клиринга" in page.text
    assert "34 850.00" in page.text


@pytest.mark.rule("S-10.5")
def test_without_ccp_each_deal_settles_on_its_own(app, client, auth, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(ccp=False), [("buyer1", "1000", 10, None, 10), ("buyer1", "1000", 3, None, 3)]
    )
    before = _account("BUY1-KZT").balance
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
    assert NetPosition.select().where(NetPosition.subscription == sub).count() == 0
    auth.login("csd@demo.kz")
    assert "Гросс-расчеты" in client.get(f"/subscriptions/{sub.id}/settlement").text
    with app.test_request_context():
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
    assert before - _account("BUY1-KZT").balance == Decimal("13000.00")
    assert {d.status for d in _deals(sub)} == {"settled"}


# --- S-10.1 / S-10.2: securities and money --------------------------------------------------------------------


@pytest.mark.rule("S-10.2")
def test_with_ccp_settlement_pays_out_of_the_blocked_collateral(app, make_subscription, place, people):
    before = _account("BUY1-KZT")
    sub, orders = place(
        make_subscription(ccp=True),
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1010", 5, "1000", 5), ("buyer1", "1000", 4, None, 0)],
    )
    blocked = _account("BUY1-KZT").blocked - before.blocked
    assert blocked == Decimal("10000") + Decimal("5050") + Decimal("4000")  # S-5.2: blocked at submission
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
    after = _account("BUY1-KZT")
    assert before.balance - after.balance == Decimal("15000.00")  # the deals' volume: 10 000 + 5 x 1 000
    assert after.blocked == before.blocked  # the rest of each block released, the unfilled order's too
    assert [Order.get_by_id(o.id).blocked for o in orders] == [0, 0, 0]
    assert _fresh(sub).state == "settled"


@pytest.mark.rule("S-10.2")
def test_without_ccp_short_money_settles_nothing(app, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(ccp=False), [("buyer2", "1000", 10, None, 10), ("buyer2", "1000", 10, None, 10)]
    )
    TradeAccount.update(balance=Decimal("15000")).where(TradeAccount.code == "BUY2-KZT").execute()
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="Откажите в расчетах"):
            settle_buyer(_fresh(sub), people["buyer2"].organisation_id, people["csd"])
    assert _account("BUY2-KZT").balance == Decimal("15000.00")  # the first deal's payment rolled back
    assert {d.status for d in _deals(sub)} == {"formed"}


@pytest.mark.rule("S-10.1")
def test_securities_not_provided_fail_the_open_deals_by_the_sellers_fault(app, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(ccp=False), [("buyer1", "1000", 10, None, 10), ("buyer2", "1000", 10, None, 10)]
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
        failed = securities_missing(_fresh(sub), people["csd"], "нет бумаг на субсчете")
    assert [d.buyer_id for d in failed] == [people["buyer2"].organisation_id]
    assert {d.buyer_id: d.status for d in _deals(sub)} == {
        people["buyer1"].organisation_id: "settled",
        people["buyer2"].organisation_id: "failed",
    }
    failure = DealFailure.get(DealFailure.deal == failed[0].id)
    assert failure.ground == "securities" and failure.guilty_id == sub.seller_id
    assert _fresh(sub).state == "settled"


# --- S-10.6: the CD refuses all of a buyer's deals --------------------------------------------------------


@pytest.mark.rule("S-10.6")
def test_refusing_one_deal_of_a_buyer_refuses_all_of_its_deals(app, client, auth, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(ccp=False),
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1000", 5, None, 5), ("buyer2", "1000", 7, None, 7)],
    )
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="центральный депозитарий"):
            refuse_deal(deals[0], people["trading"], "money")
        refused = refuse_deal(deals[0], people["csd"], "money", "нет денег на счете")
    assert sorted(d.id for d in refused) == sorted(d.id for d in deals[:2])
    statuses = {d.id: (d.status, d.refusal) for d in _deals(sub)}
    assert statuses[deals[0].id][0] == statuses[deals[1].id][0] == "refused"
    assert "Недостаточно денег" in statuses[deals[1].id][1]
    assert statuses[deals[2].id][0] == "formed"  # the other buyer's deal is untouched
    assert _fresh(sub).state == "deals"
    # the grounds are the seed's; refusing again is refused
    with app.test_request_context():
        with pytest.raises(SubscriptionError):
            refuse_deal(deals[1], people["csd"], "money")
        with pytest.raises(SubscriptionError):
            refuse_buyer(_fresh(sub), people["buyer2"].organisation_id, people["csd"], "weather")
    # the CD refuses buyer 2 through the page, on the settlement-date ground
    auth.login("csd@demo.kz")
    response = client.post(
        f"/subscriptions/{sub.id}/settlement/buyers/{people['buyer2'].organisation_id}/refuse",
        data={"ground": "date", "note": ""},
    )
    assert response.status_code == 302
    assert Deal.get_by_id(deals[2].id).status == "refused"
    assert _fresh(sub).state == "settled"  # nothing left to settle


@pytest.mark.rule("S-10.6")
def test_the_cd_sees_which_grounds_apply(app, client, auth, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=False), [("buyer2", "1000", 10, None, 10)])
    TradeAccount.update(balance=Decimal("100")).where(TradeAccount.code == "BUY2-KZT").execute()
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        hints = _hints(_fresh(sub), list(deals_of(sub)), at=sub.settlement_at)
    assert hints == ["money", "consent"]  # the date matches the settlement date; no CD consent on record
    assert deals
    auth.login("csd@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/settlement")
    assert "Отказать в расчетах по всем сделкам покупателя" in page.text
    assert "Возможное основание отказа" in page.text


@pytest.mark.rule("S-10.6")
@pytest.mark.rule("S-12.1")
def test_with_ccp_the_cd_does_not_refuse_and_defaults_follow_the_clearing_rules(
    app, client, auth, make_subscription, place, people
):
    sub, _orders = place(make_subscription(ccp=True), [("buyer1", "1000", 10, None, 10)])
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="клиринговой деятельности"):
            refuse_deal(deals[0], people["csd"], "money")
        with pytest.raises(SubscriptionError, match="клиринговой деятельности"):
            securities_missing(_fresh(sub), people["csd"])
    Deal.update(status="failed").where(Deal.id == deals[0].id).execute()
    with app.test_request_context(), pytest.raises(SubscriptionError, match="клиринговой деятельности"):
        claim_penalty(Deal.get_by_id(deals[0].id), people["seller"])
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/settlement")
    assert "процедурами урегулирования дефолтов" in page.text
    assert "Отказать в расчетах" not in page.text


# --- S-10.7: certificates and results ------------------------------------------------------------------------


@pytest.mark.rule("S-10.7")
def test_settlement_issues_a_pdf_certificate_per_deal_and_publishes_the_results(
    app, client, auth, make_subscription, place, people
):
    sub, _orders = place(
        make_subscription(ccp=True), [("buyer1", "1000", 10, None, 10), ("buyer2", "1000", 20, None, 15)]
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
        assert _fresh(sub).state == "deals"
        settle_buyer(_fresh(sub), people["buyer2"].organisation_id, people["csd"])
    sub = _fresh(sub)
    assert sub.state == "settled" and sub.results_published_at is not None
    deals = _deals(sub)
    assert all(d.certificate_id for d in deals)
    number = deal_number(deals[0], sub)
    with app.app_context():
        data = deals[0].certificate.read()
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert number in text and sub.isin in text and "Биржевое свидетельство" in text
    results = Results.get(Results.subscription == sub)
    assert (results.price, results.satisfied_exchange) == (Decimal("1000"), Decimal("25000.00"))
    assert results.accepted_exchange == Decimal("30000.00")
    # the seller and the deal's buyer download it; the other buyer does not see it
    auth.login("buyer1@demo.kz")
    response = client.get(f"/subscriptions/{sub.id}/deals/{deals[0].id}/certificate")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert client.get(f"/subscriptions/{sub.id}/deals/{deals[1].id}/certificate").status_code == 404
    auth.logout()
    auth.login("seller@demo.kz")
    assert client.get(f"/subscriptions/{sub.id}/deals/{deals[1].id}/certificate").status_code == 200
    assert any("биржевые свидетельства выданы" in m for m in _messages(people["buyer2"]))
    # published on the public announcement page
    auth.logout()
    public = client.get(f"/announcements/{sub.number}")
    assert public.status_code == 200
    assert "Итоги подписки" in public.text and "25 000.00" in public.text


@pytest.mark.rule("S-10.7")
@pytest.mark.rule("S-2.3")
def test_the_results_of_a_private_placement_are_not_published(app, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=True, private=True), [("buyer1", "1000", 100, None, 100)])
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
        sub = _fresh(sub)
        assert sub.state == "settled" and sub.results_published_at is None
        assert Results.get_or_none(Results.subscription == sub) is not None  # kept, not shown
        assert public_results(sub) is None
        assert "Итоги подписки" not in render_template("subscription/_results_public.html", sub=sub)
        assert _deals(sub)[0].certificate_id  # the parties still get their certificates


# --- S-11: settlement by another organisation ----------------------------------------------------------------


def _other(make_subscription, **overrides):
    return make_subscription(ccp=False, settlement_org="other", settlement_org_name="АО «Регистратор»", **overrides)


@pytest.mark.rule("S-11")
def test_with_another_organisation_buyers_learn_how_their_orders_were_filled(app, make_subscription, place, people):
    sub, _orders = place(
        _other(make_subscription),
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1000", 10, None, 4), ("buyer2", "1000", 10, None, 0)],
    )
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="свидетельства не выдаются"):
            issue_certificate(deals[0], _fresh(sub))
        with pytest.raises(SubscriptionError, match="иная организация"):
            settle_buyer(_fresh(sub), people["buyer1"].organisation_id, people["csd"])
    assert len(deals) == 2 and _fresh(sub).state == "deals"
    buyer1 = " ".join(_messages(people["buyer1"]))
    assert "удовлетворена полностью" in buyer1 and "удовлетворена частично" in buyer1
    assert "не удовлетворена" in " ".join(_messages(people["buyer2"]))
    assert not any("Приказы на регистрацию" in m for m in _messages(people["csd"]))  # S-11.1
    with app.test_request_context(), pytest.raises(SubscriptionError, match="без участия Биржи"):
        claim_penalty(deals[0], people["buyer1"])  # S-11.2


def _results_form(**overrides):
    data = {
        "settlement_date": "",
        "price": "1000",
        "accepted_total": "30000",
        "accepted_exchange": "30000",
        "satisfied_total": "14000",
        "satisfied_exchange": "14000",
    }
    data.update(overrides)
    return data


@pytest.mark.rule("S-11")
@pytest.mark.rule("S-A3")
def test_the_seller_sends_the_results_form_and_the_exchange_publishes_them(
    app, client, auth, make_subscription, place, people
):
    settled_on = today() - datetime.timedelta(days=1)
    sub, _orders = place(
        _other(make_subscription, deal_at=_at(settled_on, 9), settlement_at=_at(settled_on, 15)),
        [("buyer1", "1000", 10, None, 10), ("buyer1", "1000", 10, None, 4), ("buyer2", "1000", 10, None, 0)],
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        assert results_due(_fresh(sub)) == add_working_days(settled_on, 1)
    auth.login("buyer1@demo.kz")
    assert client.post(f"/subscriptions/{sub.id}/results", data=_results_form()).status_code == 403
    auth.logout()
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/results")
    assert page.status_code == 200 and "Направить итоги" in page.text
    fragment = client.get(f"/subscriptions/{sub.id}/results", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="results"' in fragment.text
    # through the Exchange more than the total; a date before the deals; one-market totals that differ
    bad = client.post(
        f"/subscriptions/{sub.id}/results",
        data=_results_form(settlement_date=settled_on.isoformat(), satisfied_exchange="15000"),
    )
    assert bad.status_code == 422 and "не может превышать общий" in bad.text
    early = client.post(
        f"/subscriptions/{sub.id}/results",
        data=_results_form(settlement_date=(settled_on - datetime.timedelta(days=3)).isoformat()),
    )
    assert early.status_code == 422 and "раньше заключения сделок" in early.text
    uneven = client.post(
        f"/subscriptions/{sub.id}/results",
        data=_results_form(settlement_date=settled_on.isoformat(), accepted_total="40000"),
    )
    assert uneven.status_code == 422 and "общий объем равен объему через Биржу" in uneven.text
    assert _fresh(sub).state == "deals"
    done = client.post(f"/subscriptions/{sub.id}/results", data=_results_form(settlement_date=settled_on.isoformat()))
    assert done.status_code == 302
    sub = _fresh(sub)
    assert sub.state == "settled" and sub.results_published_at is not None
    results = Results.get(Results.subscription == sub)
    assert (results.settlement_date, results.satisfied_exchange, results.submitted_by_id) == (
        settled_on,
        Decimal("14000.00"),
        people["seller"].id,
    )
    auth.logout()
    assert "14 000.00" in client.get(f"/announcements/{sub.number}").text


@pytest.mark.rule("S-11")
@pytest.mark.rule("S-A3")
def test_abroad_totals_may_exceed_and_a_private_placement_is_not_published(app, make_subscription, place, people):
    settled_on = today()
    sub, _orders = place(
        _other(
            make_subscription, abroad=True, private=True, deal_at=_at(settled_on, 0), settlement_at=_at(settled_on, 1)
        ),
        [("buyer1", "1000", 100, None, 100)],
    )
    values = {
        "settlement_date": settled_on,
        "price": Decimal("1000"),
        "accepted_total": Decimal("500000"),
        "accepted_exchange": Decimal("100000"),
        "satisfied_total": Decimal("300000"),
        "satisfied_exchange": Decimal("100000"),
    }
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError):
            submit_results(_fresh(sub), people["seller"], values | {"satisfied_exchange": Decimal("200000")})
        with pytest.raises(SubscriptionError, match="представляет продавец"):
            submit_results(_fresh(sub), people["buyer1"], values)
        submit_results(_fresh(sub), people["seller"], values)
        sub = _fresh(sub)
        assert sub.state == "settled" and sub.results_published_at is None
        assert public_results(sub) is None


# --- S-12: penalties without CCP -------------------------------------------------------------------------------


@pytest.fixture
def failed_on_friday(app, make_subscription, place, people):
    """Buyer 1's deal of Friday 20 March 2026, refused for short money the same day (without CCP)."""
    sub, _orders = place(
        make_subscription(
            ccp=False, deal_at=_at(NAURYZ_FRIDAY, 11), settlement_at=_at(NAURYZ_FRIDAY, 15), price=Decimal("1234.567")
        ),
        [("buyer1", "1234.567", 10, None, 10), ("buyer2", "1000", 10, None, 10)],
    )
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        refuse_deal(deals[0], people["csd"], "money", at=_at(NAURYZ_FRIDAY, 16))
    return _fresh(sub), Deal.get_by_id(deals[0].id), Deal.get_by_id(deals[1].id)


@pytest.mark.rule("S-12.2")
def test_the_injured_party_claims_0_1_percent_within_five_working_days(app, failed_on_friday, people):
    sub, deal, _other_deal = failed_on_friday
    assert deal.volume == Decimal("12345.67")
    failure = DealFailure.get(DealFailure.deal == deal)
    # Nauryz 21-25 March: the five working days after Friday 20 March are 26, 27, 30, 31 March and 1 April
    assert failure.declared_on == NAURYZ_FRIDAY and failure.claim_until == D(2026, 4, 1)
    with app.test_request_context():
        with pytest.raises(SubscriptionError, match="вашей организации"):
            claim_penalty(deal, people["buyer1"], on=D(2026, 3, 26))  # the guilty one claims nothing
        with pytest.raises(SubscriptionError, match="требований об уплате неустойки нет"):
            claim_penalty(deal, people["seller"], on=D(2026, 4, 2))  # no notice in time = no claim
        assert Penalty.select().count() == 0
        penalty = claim_penalty(deal, people["seller"], on=D(2026, 4, 1))
    assert penalty.amount == Decimal("12.35")  # 0.1% of 12 345.67
    assert (penalty.claimant_id, penalty.guilty_id) == (sub.seller_id, people["buyer1"].organisation_id)
    assert any("12.35" in m for m in _messages(people["trading"]))
    with app.test_request_context(), pytest.raises(SubscriptionError, match="уже заявлено"):
        claim_penalty(deal, people["seller"], on=D(2026, 4, 1))


@pytest.mark.rule("S-12.2")
def test_only_an_unexecuted_deal_carries_a_penalty(app, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=False), [("buyer1", "1000", 10, None, 10)])
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        with pytest.raises(SubscriptionError, match="неисполненной сделке"):
            claim_penalty(deals[0], people["seller"])
        with pytest.raises(SubscriptionError, match="сторона сделки"):
            claim_penalty(deals[0], people["buyer2"])


@pytest.mark.rule("S-12.3")
@pytest.mark.rule("S-12.4")
@pytest.mark.rule("S-12.5")
def test_the_penalty_deadlines_count_working_days_across_nauryz(app, failed_on_friday, people):
    _sub, deal, _other_deal = failed_on_friday
    with app.test_request_context():
        penalty = claim_penalty(deal, people["seller"], on=NAURYZ_FRIDAY)
        # S-12.3: the 2nd working day after a claim of Friday 20 March is Friday 27 March
        assert penalty.notice_due == D(2026, 3, 27)
        steps = penalty_steps(penalty, D(2026, 3, 30))
        assert [s["state"] for s in steps] == ["overdue", "waiting", "waiting"]
        with pytest.raises(SubscriptionError, match="департамент торговли"):
            record_notice(penalty, people["seller"], on=D(2026, 3, 27))
        with pytest.raises(SubscriptionError):
            record_payment(penalty, people["trading"], on=D(2026, 3, 27))  # not before the notice
        penalty = record_notice(penalty, people["trading"], on=D(2026, 3, 27))
        # S-12.4: the guilty party pays by the 5th working day after the notice: 30, 31 March, 1, 2, 3 April
        assert penalty.payment_due == D(2026, 4, 3)
        assert any("не позднее 03.04.2026" in m for m in _messages(people["buyer1"]))
        penalty = record_payment(penalty, people["trading"], on=D(2026, 4, 3))
        # S-12.5: passed on within 2 working days of receipt: Monday 6 and Tuesday 7 April
        assert penalty.pass_on_due == D(2026, 4, 7)
        assert [s["state"] for s in penalty_steps(penalty, D(2026, 4, 8))] == ["done", "done", "overdue"]
        penalty = record_pass_on(penalty, people["trading"], on=D(2026, 4, 8))
        assert [s["state"] for s in penalty_steps(penalty, D(2026, 4, 8))] == ["done", "done", "late"]
    assert any("перечислена вашей организации" in m for m in _messages(people["seller"]))


@pytest.mark.rule("S-12.4")
def test_a_late_payment_is_flagged(app, failed_on_friday, people):
    _sub, deal, _other_deal = failed_on_friday
    with app.test_request_context():
        penalty = claim_penalty(deal, people["seller"], on=D(2026, 3, 26))
        assert penalty.notice_due == D(2026, 3, 30)
        penalty = record_notice(penalty, people["trading"], on=D(2026, 3, 31))  # a day late
        assert penalty.payment_due == D(2026, 4, 7)
        steps = penalty_steps(penalty, D(2026, 4, 8))
    assert [s["state"] for s in steps] == ["late", "overdue", "waiting"]


@pytest.mark.rule("S-12.6")
def test_disputes_go_to_the_commission_within_five_working_days_of_the_deal_date(app, failed_on_friday, people):
    _sub, deal, _other_deal = failed_on_friday
    with app.test_request_context():
        penalty = claim_penalty(deal, people["seller"], on=D(2026, 3, 26))
        assert penalty.dispute_until == D(2026, 4, 1)
        with pytest.raises(SubscriptionError, match="до 01.04.2026"):
            refer_dispute(penalty, people["buyer1"], on=D(2026, 4, 2))
        with pytest.raises(SubscriptionError, match="сторона сделки"):
            refer_dispute(penalty, people["buyer2"], on=D(2026, 4, 1))
        failure = refer_dispute(penalty, people["buyer1"], on=D(2026, 4, 1))
    assert failure.disputed_on == D(2026, 4, 1) and failure.disputed_by_id == people["buyer1"].organisation_id
    assert any("комиссию по спорам" in m for m in _messages(people["trading"]))


@pytest.mark.rule("S-12.3")
def test_the_penalty_register_page_three_ways(app, client, auth, failed_on_friday, people):
    _sub, deal, _other_deal = failed_on_friday
    with app.test_request_context():
        penalty = claim_penalty(deal, people["seller"], on=D(2026, 3, 26))
    auth.login("trading@exchange.demo")
    page = client.get("/settlement/penalties")
    assert page.status_code == 200 and deal_number(deal) in page.text
    assert "просрочено" in page.text  # 30 March passed long ago
    assert page.headers.get("Vary") and "HX-Request" in page.headers["Vary"]
    fragment = client.get("/settlement/penalties?overdue=1", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="penalty-list"' in fragment.text
    posted = client.post(f"/settlement/penalties/{penalty.id}/notice", data={"on": "2026-03-30"})
    assert posted.status_code == 302
    assert Penalty.get_by_id(penalty.id).payment_due == D(2026, 4, 6)
    auth.logout()
    auth.login("buyer2@demo.kz")  # not a party: sees nothing of it
    assert deal_number(deal) not in client.get("/settlement/penalties").text
    assert client.post(f"/settlement/penalties/{penalty.id}/paid", data={"on": "2026-04-01"}).status_code == 403
    auth.logout()
    auth.login("buyer1@demo.kz")  # the guilty party sees its claim and the payment due
    assert "06.04.2026" in client.get("/settlement/penalties").text


@pytest.mark.rule("S-12.2")
def test_the_injured_party_claims_from_the_settlement_page(app, client, auth, make_subscription, place, people):
    sub, _orders = place(make_subscription(ccp=False), [("buyer1", "1000", 10, None, 10)])
    with app.test_request_context():
        deals = form_deals(sub, people["trading"], at=sub.deal_at)
        refuse_deal(deals[0], people["csd"], "money")
    auth.login("buyer1@demo.kz")
    assert "Заявить требование" not in client.get(f"/subscriptions/{sub.id}/settlement").text  # the guilty party
    auth.logout()
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/settlement")
    assert "Заявить требование о неустойке 0,1%" in page.text
    response = client.post(f"/subscriptions/{sub.id}/deals/{deals[0].id}/penalty", follow_redirects=True)
    assert "10.00" in response.text
    assert Penalty.get(Penalty.deal == deals[0].id).amount == Decimal("10.00")


# --- the page: full, fragment, plain POST ----------------------------------------------------------------------


@pytest.mark.rule("S-10.6")
def test_the_settlement_page_full_fragment_and_plain_post(app, client, auth, make_subscription, place, people):
    sub, _orders = place(
        make_subscription(ccp=False), [("buyer1", "1000", 10, None, 10), ("buyer2", "1000", 10, None, 10)]
    )
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
    auth.login("csd@demo.kz")
    full = client.get(f"/subscriptions/{sub.id}/settlement")
    assert full.status_code == 200 and "<html" in full.text and "Провести расчеты" in full.text
    assert "HX-Request" in full.headers["Vary"]
    fragment = client.get(f"/subscriptions/{sub.id}/settlement?status=formed", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="deal-list">')
    posted = client.post(f"/subscriptions/{sub.id}/settlement/buyers/{people['buyer1'].organisation_id}/settle")
    assert posted.status_code == 302
    assert client.post(
        f"/subscriptions/{sub.id}/settlement/buyers/{people['buyer1'].organisation_id}/settle", csrf=False
    ).status_code in (302, 400)
    settled = client.get(f"/subscriptions/{sub.id}/settlement?status=settled", headers={"HX-Request": "true"})
    assert "Биржевое свидетельство" in settled.text and people["buyer2"].organisation.code not in settled.text
    auth.logout()
    auth.login("buyer2@demo.kz")  # a buyer sees its own deals only
    own = client.get(f"/subscriptions/{sub.id}/settlement")
    assert own.status_code == 200 and "Мои сделки" in own.text
    assert people["buyer1"].organisation.code + " —" not in own.text


@pytest.mark.rule("S-10.3")
def test_the_subscription_page_section(app, client, auth, make_subscription, place, people):
    sub, _orders = place(make_subscription(), [("buyer1", "1000", 10, None, 10)])
    auth.login("trading@exchange.demo")
    page = client.get(f"/subscriptions/{sub.id}")
    assert page.status_code == 200 and "Сформировать сделки" in page.text
    auth.logout()
    with app.test_request_context():
        login_user(people["trading"])
        html = render_template("subscription/_settlement_section.html", sub=_fresh(sub))
        assert "Сформировать сделки" in html
    with app.test_request_context():
        login_user(people["buyer2"])  # no order in it
        assert render_template("subscription/_settlement_section.html", sub=_fresh(sub)).strip() == ""
    with app.test_request_context():
        form_deals(sub, people["trading"], at=sub.deal_at)
        login_user(people["csd"])
        html = render_template("subscription/_settlement_section.html", sub=_fresh(sub))
        assert "Приказы на регистрацию сделок" in html and "Заключена: 1" in html
