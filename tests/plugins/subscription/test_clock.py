"""The subscription clock on the Exchange's time (issue 13): the acceptance period that ends at Almaty's
midnight (19:00 UTC) is open at 18:59 UTC and closed from 19:01 UTC, whatever UTC's date says; the deal
day and the settlement "today" are Almaty dates."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from plugins.subscription import rules, service
from plugins.subscription.models import Order, Penalty
from plugins.subscription.settlement.base import today
from plugins.subscription.settlement.penalties import claim_penalty
from tests.conftest import almaty
from tests.plugins.subscription import test_settlement
from tests.plugins.subscription.test_orders import limit

failed_on_friday = test_settlement.failed_on_friday  # the fixture, shared

ALMATY_MIDNIGHT = datetime.datetime(2026, 12, 3, 19, 0)  # 04.12.2026 00:00 in Almaty


@pytest.mark.rule("S-4.5")
def test_orders_are_taken_until_almaty_midnight_and_refused_after(app, members, make_subscription, frozen_at):
    sub = make_subscription(
        accept_from=datetime.datetime(2026, 12, 3, 4, 0),  # 09:00 Almaty on 03.12
        accept_to=ALMATY_MIDNIGHT,
        activation_at=datetime.datetime(2026, 12, 4, 6, 0),
        accepted_register_on=datetime.date(2026, 12, 4),
        satisfied_register_on=datetime.date(2026, 12, 7),
        deal_at=datetime.datetime(2026, 12, 9, 5, 0),
        settlement_at=datetime.datetime(2026, 12, 9, 7, 0),
    )
    fields = {**limit(members, "buyer1"), "price": Decimal("1000"), "quantity": 10}
    with app.test_request_context():
        if frozen_at.utc < ALMATY_MIDNIGHT:  # 23:59 on 03.12 in Almaty: still open
            order = service.submit_order(sub, members["buyer1"], fields)
            assert Order.get_by_id(order.id).status != "cancelled"
        else:
            with pytest.raises(service.SubscriptionError) as refused:
                service.submit_order(sub, members["buyer1"], fields)
            # the period is named on the Exchange's clock: it ended at 00:00 on the 4th, not 19:00 on the 3rd
            assert refused.value.message == "Заявки принимаются с 03.12.2026 09:00 по 04.12.2026 00:00."
            assert Order.select().where(Order.subscription == sub.id).count() == 0


def test_the_deal_day_and_settlements_today_are_almaty_dates(app, frozen_at):
    deal_at = datetime.datetime(2026, 12, 3, 19, 30)  # 00:30 on 04.12 in Almaty, 03.12 by UTC
    with app.app_context():
        assert today(deal_at) == datetime.date(2026, 12, 4)
        assert today() == frozen_at.exchange_date == almaty(frozen_at.utc).date()
        assert rules.local(deal_at) == datetime.datetime(2026, 12, 4, 0, 30)
        assert rules.one_day(datetime.datetime(2026, 12, 3, 18, 0), deal_at) is False  # 23:00 and 00:30: two days


@pytest.mark.rule("S-12.2")
@pytest.mark.parametrize(
    "instant, in_time",
    [
        (datetime.datetime(2026, 4, 1, 18, 59), True),  # 23:59 on 1 April in Almaty: the last day to claim
        (datetime.datetime(2026, 4, 1, 19, 1), False),  # 00:01 on 2 April in Almaty, UTC still says 1 April
        (datetime.datetime(2026, 4, 1, 23, 59), False),
        (datetime.datetime(2026, 4, 2, 0, 1), False),
    ],
    ids=["18:59Z", "19:01Z", "23:59Z", "00:01Z"],
)
def test_a_penalty_is_claimed_until_almaty_midnight_of_the_fifth_working_day(
    app,
    failed_on_friday,
    people,
    instant,
    in_time,
):
    """Buyer 1's deal of Friday 20 March 2026 failed; over Nauryz the fifth working day is 1 April."""
    _sub, deal, _other = failed_on_friday
    with time_machine.travel(instant.replace(tzinfo=datetime.UTC), tick=False), app.test_request_context():
        if in_time:
            penalty = claim_penalty(deal, people["seller"])  # "today" not given: the Exchange's
            assert penalty.claimed_on == datetime.date(2026, 4, 1)
            assert penalty.notice_due == datetime.date(2026, 4, 3)  # 2nd working day after 1 April (S-12.3)
        else:
            with pytest.raises(service.SubscriptionError, match="истек 01.04.2026"):
                claim_penalty(deal, people["seller"])
            assert Penalty.select().count() == 0
