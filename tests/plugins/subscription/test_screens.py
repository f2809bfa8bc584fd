"""Screens that say what happened (issue #17, part 2), checked on the pages people read."""

import re
from decimal import Decimal

import pytest

from core.notifications.models import Notification
from plugins.subscription import service
from plugins.subscription.models import Order, Subscription, TradeAccount
from tests.plugins.subscription.test_acceptance_period import CHECK, MON, TUE, at, calendar, order  # noqa: F401


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
