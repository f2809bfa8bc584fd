"""Issue #20: the subscriptions' list and a subscription's orders read each row's organisations with the rows (the
seller of each subscription, the buyer and account of each order): the queries do not grow with the rows."""

from decimal import Decimal

from plugins.subscription import service
from tests.core.test_page_costs import Statements


def test_the_subscriptions_list_costs_the_same_queries_for_one_row_or_many(client, auth, make_subscription, members):
    make_subscription()
    auth.login("trading@exchange.demo")
    client.get("/subscriptions")
    with Statements() as one:
        html = client.get("/subscriptions").get_data(as_text=True)
    seller = members["seller"].organisation.code
    assert html.count(f"<td>{seller}</td>") == 1
    for _ in range(4):
        make_subscription()
    with Statements() as five:
        html = client.get("/subscriptions").get_data(as_text=True)
    assert html.count(f"<td>{seller}</td>") == 5
    assert len(five.sql) == len(one.sql), five.sql


def test_a_subscriptions_orders_cost_the_same_queries_for_one_order_or_many(
    app, client, auth, make_subscription, members
):
    sub = make_subscription()

    def order(who, account):
        with app.test_request_context():
            service.submit_order(
                sub, members[who], {"kind": "limit", "price": Decimal("1000"), "quantity": 10, "account": account}
            )

    order("buyer1", members["acc1"])
    auth.login("trading@exchange.demo")
    url = f"/subscriptions/{sub.id}"
    client.get(url)
    with Statements() as one:
        html = client.get(url).get_data(as_text=True)
    first, second = members["buyer1"].organisation.code, members["buyer2"].organisation.code
    assert f"<td>{first}</td>" in html or f"<td>{first}<br>" in html
    for n in range(4):
        order("buyer2" if n % 2 else "buyer1", members["acc2" if n % 2 else "acc1"])
    with Statements() as five:
        html = client.get(url).get_data(as_text=True)
    assert html.count(f"<td>{first}") == 3 and html.count(f"<td>{second}") == 2
    assert len(five.sql) == len(one.sql), five.sql
