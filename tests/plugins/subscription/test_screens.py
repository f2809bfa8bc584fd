"""Screens that say what happened (issue #17, part 2), checked on the pages people read."""

import datetime
import re
from decimal import Decimal

import pytest

from core.db import utcnow
from core.notifications.models import Notification
from plugins.subscription import rules, service
from plugins.subscription.models import Order, Register, Subscription, TradeAccount
from plugins.subscription.registers import RegisterJob
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
        "Недостаточно денег у покупателя BUY2 для расчетов по его сделкам (2): к оплате всего 20 000.00, денег на "
        "счетах 15 000.00, не хватает 5 000.00. Откажите в расчетах по всем сделкам покупателя."
    )
    # the buyer sees its own deals, not the others' totals
    auth.logout()
    auth.login("buyer2@demo.kz")
    assert "Итоги по участникам" not in client.get(f"/subscriptions/{sub.id}/settlement").get_data(as_text=True)
