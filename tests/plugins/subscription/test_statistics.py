"""The statistics of the published results (issue #17, part 3), every figure computed by hand.

Equity, 500 offered, CCP. Orders: #1 BUY1 own, limit 1100 x 400; #2 BUY2 for an individual (IIN), limit
1000 x 300; #3 BUY1 for a legal entity (BIN, fifth digit 4), limit 900 x 200; #4 BUY2 own, market for
100 000. Fair value (S-4.5) = (440 000 + 300 000 + 180 000) / 900 = 1022.2222; #4 gets floor(100 000 /
1022.2222) = 97. Fills: #1 300 @ 1100 = 330 000, #2 150 @ 1000 = 150 000, #4 50 @ 1000 = 50 000; #3 none."""

from decimal import Decimal

import pytest

from plugins.subscription import activation, service, statistics
from plugins.subscription.models import Fill, Subscription
from plugins.subscription.settlement.cd import settle_buyer
from plugins.subscription.settlement.deals import form_deals


@pytest.fixture
def published(app, members, make_subscription, people):
    def make(private=False):
        sub = make_subscription(quantity=500, market_orders=True, private=private)
        specs = [
            ("buyer1", {"kind": "limit", "price": Decimal("1100"), "quantity": 400}),
            (
                "buyer2",
                {
                    "kind": "limit",
                    "price": Decimal("1000"),
                    "quantity": 300,
                    "for_client": True,
                    "investor_name": "Иванов Иван",
                    "investor_id": "800101300123",
                    "qualified": True,
                },
            ),
            (
                "buyer1",
                {
                    "kind": "limit",
                    "price": Decimal("900"),
                    "quantity": 200,
                    "for_client": True,
                    "investor_name": "ТОО «Инвест»",
                    "investor_id": "990440001235",
                    "qualified": True,
                },
            ),
            ("buyer2", {"kind": "market", "basis": "money", "money": Decimal("100000")}),
        ]
        with app.test_request_context():
            orders = []
            for who, fields in specs:
                if private and fields["kind"] == "market":
                    continue
                account = members["acc1" if who == "buyer1" else "acc2"]
                orders.append(
                    service.submit_order(Subscription.get_by_id(sub.id), members[who], {**fields, "account": account})
                )
            activation.activate(Subscription.get_by_id(sub.id), at=sub.activation_at)
            for order, (quantity, price) in zip(
                orders, [(300, "1100"), (150, "1000"), (0, None), (50, "1000")], strict=False
            ):
                if quantity:
                    Fill.create(
                        subscription=sub,
                        order=order,
                        price=Decimal(price),
                        quantity=quantity,
                        volume=Decimal(price) * quantity,
                    )
            Subscription.update(state="satisfied_register").where(Subscription.id == sub.id).execute()
            form_deals(Subscription.get_by_id(sub.id), people["trading"], at=sub.deal_at)
            for who in ("buyer1", "buyer2"):
                settle_buyer(Subscription.get_by_id(sub.id), people[who].organisation_id, people["csd"])
        return Subscription.get_by_id(sub.id)

    return make


def test_the_figures_by_investor_type_and_kind(app, published):
    sub = published()
    assert sub.state == "settled" and sub.fair_value == Decimal("1022.2222")
    with app.test_request_context():
        stats = statistics.compute(sub)
    assert (stats.offered, stats.total.quantity, stats.bid_to_cover) == (500, 997, Decimal("1.99"))  # 997 / 500
    assert (stats.total.participants, stats.investors, stats.total.orders) == (2, 4, 4)
    assert (stats.min_price, stats.max_price, stats.average_price) == (
        Decimal("900"),
        Decimal("1100"),
        Decimal("1022.2222"),
    )
    figures = {
        key: (line.participants, line.orders, line.volume, line.filled_orders, line.filled_volume)
        for key, line in {**stats.by_type, **stats.by_kind}.items()
    }
    assert figures == {
        "own": (2, 2, Decimal("540000"), 2, Decimal("380000")),  # #1 440 000 + #4 100 000; 330 000 + 50 000
        "individual": (1, 1, Decimal("300000"), 1, Decimal("150000")),
        "legal": (1, 1, Decimal("180000"), 0, Decimal("0")),
        "omnibus": (0, 0, Decimal("0"), 0, Decimal("0")),
        "limit": (2, 3, Decimal("920000"), 2, Decimal("480000")),
        "market": (1, 1, Decimal("100000"), 1, Decimal("50000")),
    }
    assert (stats.total.filled_orders, stats.total.filled_quantity, stats.total.filled_volume) == (
        3,
        500,
        Decimal("530000"),
    )


def test_shown_with_the_published_results_and_downloadable_as_csv(app, client, published):
    sub = published()
    page = client.get(f"/announcements/{sub.number}").get_data(as_text=True)
    assert "Статистика подписки" in page and "Клиенты — юридические лица" in page and "1.99" in page
    response = client.get(f"/announcements/{sub.number}/statistics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert "Спрос к предложению (bid-to-cover);1.99" in lines
    assert "Средневзвешенная цена;1022.2222" in lines
    assert "Всего;2;4;997;1020000.00;3;500;530000.00" in lines
    assert "Клиенты — физические лица;1;1;300;300000.00;1;150;150000.00" in lines


def test_nothing_before_publication_or_for_a_private_placement(app, client, published, make_subscription):
    private = published(private=True)
    assert private.results_published_at is None or not private.public
    assert client.get(f"/announcements/{private.number}/statistics.csv").status_code == 404
    open_ = make_subscription()
    Subscription.update(announced_at=open_.created_at).where(Subscription.id == open_.id).execute()
    assert client.get(f"/announcements/{open_.number}/statistics.csv").status_code == 404
    assert "Статистика подписки" not in client.get(f"/announcements/{open_.number}").get_data(as_text=True)
