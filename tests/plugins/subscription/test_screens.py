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
    """The page's words, without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


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
