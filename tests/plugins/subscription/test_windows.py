"""Separate acceptance windows in one subscription (issue #17, part 3): each with its own times inside the
acceptance period and its own minimum order; each window's demand shown apart.

Calendar (Almaty): acceptance Mon 14 Dec 2026 10:00 to Tue 15 Dec 16:00; "Розничные" Mon 10:00 to Tue 12:00,
minimum 100 000; "Институциональные" Tue 10:00 to 16:00, minimum 10 000 000."""

import io
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from plugins.subscription import service
from plugins.subscription.models import Order, Subscription, Window
from tests.plugins.subscription.test_acceptance_period import END, MON, START, TUE, at, calendar  # noqa: F401
from tests.plugins.subscription.test_api import LIMIT, call, orders_url, token  # noqa: F401


@pytest.fixture
def windowed(app, members, calendar):  # noqa: F811
    sub = calendar(state="draft")
    with app.test_request_context():
        retail = service.add_window(sub, members["seller"], "Розничные", START, at(TUE, 12), Decimal("100000"))
        big = service.add_window(sub, members["seller"], "Институциональные", at(TUE, 10), END, Decimal("10000000"))
    Subscription.update(state="registered", number="SUB-T-W").where(Subscription.id == sub.id).execute()
    return Subscription.get_by_id(sub.id), retail, big


def submit(app, sub, members, when, **fields):
    data = {"kind": "limit", "price": Decimal("1000"), "quantity": 100, "account": members["acc1"], **fields}
    with app.test_request_context():
        return service.submit_order(Subscription.get_by_id(sub.id), members["buyer1"], data, at=when)


def test_the_seller_sets_windows_inside_the_period_while_the_application_is_editable(app, members, calendar):  # noqa: F811
    sub = calendar(state="draft")
    with app.test_request_context():
        with pytest.raises(service.SubscriptionError, match="внутри периода приема заявок: с 14.12.2026 10:00"):
            service.add_window(sub, members["seller"], "Рано", at(MON, 9), at(MON, 12))
        with pytest.raises(service.SubscriptionError, match="позже его начала"):
            service.add_window(sub, members["seller"], "Наоборот", at(TUE, 12), at(TUE, 11))
        with pytest.raises(service.SubscriptionError, match="задает продавец"):
            service.add_window(sub, members["buyer1"], "Чужое", START, END)
        service.add_window(sub, members["seller"], "Розничные", START, END)
        with pytest.raises(service.SubscriptionError, match="уже есть"):
            service.add_window(sub, members["seller"], "Розничные", START, END)
        Subscription.update(state="registered").where(Subscription.id == sub.id).execute()
        with pytest.raises(service.SubscriptionError, match="действие недоступно"):
            service.add_window(Subscription.get_by_id(sub.id), members["seller"], "Поздно", START, END)
    assert [w.name for w in Window.select().where(Window.subscription == sub)] == ["Розничные"]
    assert AuditEvent.select().where(AuditEvent.action == "subscription.window_add").count() == 1


def test_an_order_names_its_window_comes_in_its_time_and_reaches_its_minimum(app, members, windowed):
    sub, retail, big = windowed
    with pytest.raises(service.SubscriptionError, match="Выберите окно приема заявок"):
        submit(app, sub, members, at(MON, 11))
    with pytest.raises(service.SubscriptionError) as late:
        submit(app, sub, members, at(TUE, 13), window=retail.id)
    assert late.value.message == "Заявки в окно «Розничные» принимаются с 14.12.2026 10:00 по 15.12.2026 12:00."
    with pytest.raises(service.SubscriptionError) as small:
        submit(app, sub, members, at(MON, 11), window=retail.id, quantity=99)  # 99 x 1000 = 99 000 < 100 000
    assert small.value.message == "Минимальный размер заявки в окне «Розничные» — 100 000.00."
    first = submit(app, sub, members, at(MON, 11), window=retail.id)  # 100 x 1000 = 100 000: the minimum itself
    second = submit(app, sub, members, at(TUE, 11), window=big.id, quantity=10000)  # 10 000 000
    assert (first.window_id, second.window_id) == (retail.id, big.id)
    with app.test_request_context():
        # an amendment keeps the window and its rules
        with pytest.raises(service.SubscriptionError, match="Минимальный размер заявки в окне «Институциональные»"):
            service.amend_order(second, members["buyer1"], {"quantity": 9999}, second.version, at=at(TUE, 14))
        kept = service.amend_order(first, members["buyer1"], {"quantity": 150}, first.version, at=at(TUE, 11))
    assert kept.window_id == retail.id and kept.quantity == 150


def test_each_windows_demand_is_shown_apart_and_orders_carry_their_window(app, client, auth, members, windowed):
    sub, retail, big = windowed
    submit(app, sub, members, at(MON, 11), window=retail.id)
    submit(app, sub, members, at(MON, 12), window=retail.id, quantity=300, price=Decimal("1100"))
    submit(app, sub, members, at(TUE, 11), window=big.id, quantity=10000)
    auth.login("seller@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}/book").get_data(as_text=True)
    assert "Спрос по окнам приема заявок" in page
    from tests.plugins.subscription.test_screens import text

    words = text(page)
    # retail: 100 x 1000 + 300 x 1100 = 430 000 in 400 securities; institutional: 10 000 x 1000
    assert "Розничные | 14.12.2026 10:00 — 15.12.2026 12:00 | 1 | 2 | 400 | 430 000.00 |" in words
    assert "Институциональные | 15.12.2026 10:00 — 15.12.2026 16:00 | 1 | 1 | 10 000 | 10 000 000.00 |" in words
    words = text(client.get(f"/subscriptions/{sub.id}").get_data(as_text=True))
    assert "Окна приема заявок" in words and "Розничные | 14.12.2026 10:00 — 15.12.2026 12:00 | 100 000.00 |" in words


def test_the_page_and_the_file_name_the_window(app, client, auth, members, make_subscription):
    from core.db import utcnow

    sub = make_subscription(state="draft")
    with app.test_request_context():
        window = service.add_window(sub, members["seller"], "Розничные", sub.accept_from, sub.accept_to)
    Subscription.update(state="registered").where(Subscription.id == sub.id).execute()
    assert sub.accept_from <= utcnow() <= sub.accept_to
    auth.login("buyer1@demo.kz")
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "Окно приема заявок" in page and "Розничные (" in page
    response = client.post(
        f"/subscriptions/{sub.id}/orders",
        data={"account": str(members["acc1"].id), "kind": "limit", "price": "1000", "quantity": "10"},
    )
    assert response.status_code == 422 and "Выберите окно приема заявок." in response.get_data(as_text=True)
    client.post(
        f"/subscriptions/{sub.id}/orders",
        data={
            "account": str(members["acc1"].id),
            "kind": "limit",
            "price": "1000",
            "quantity": "10",
            "window": str(window.id),
        },
    )
    data = "account;kind;price;quantity;window\nBUY1-KZT;limit;1000;5;розничные\nBUY1-KZT;limit;1000;5;Ночные\n"
    response = client.post(
        f"/subscriptions/{sub.id}/orders/file",
        data={"file": (io.BytesIO(data.encode()), "o.csv"), "take_valid": "y"},
        content_type="multipart/form-data",
    )
    assert "Нет окна приема заявок «Ночные»." in response.get_data(as_text=True)
    assert [
        (o.quantity, o.window_id) for o in Order.select().where(Order.subscription == sub).order_by(Order.number)
    ] == [
        (10, window.id),
        (5, window.id),
    ]


def test_the_api_names_the_window_by_its_name(app, members, make_subscription, call, token):  # noqa: F811
    sub = make_subscription(state="draft")
    with app.test_request_context():
        service.add_window(sub, members["seller"], "Розничные", sub.accept_from, sub.accept_to, Decimal("5000"))
    Subscription.update(state="registered", number="SUB-T-API", announced_at=sub.created_at).where(
        Subscription.id == sub.id
    ).execute()
    sub = Subscription.get_by_id(sub.id)
    raw = token()
    refused = call("POST", orders_url(sub), raw, LIMIT)
    assert refused.status_code == 422 and refused.json["field"] == "window"
    unknown = call("POST", orders_url(sub), raw, {**LIMIT, "window": "Ночные"})
    assert unknown.status_code == 422 and unknown.json["error"] == "Нет окна приема заявок «Ночные»."
    small = call("POST", orders_url(sub), raw, {**LIMIT, "window": "розничные", "quantity": 4})  # 4 000 < 5 000
    assert (
        small.status_code == 422 and "Минимальный размер заявки в окне «Розничные» — 5 000.00." == small.json["error"]
    )
    taken = call("POST", orders_url(sub), raw, {**LIMIT, "window": "Розничные"})
    assert taken.status_code == 201 and taken.json["window"] == "Розничные"
    amended = call(
        "PATCH", orders_url(sub, taken.json["number"]), raw, {"quantity": 6, "version": taken.json["version"]}
    )
    assert amended.status_code == 200 and amended.json["window"] == "Розничные" and amended.json["quantity"] == 6
    batch = call("POST", orders_url(sub) + "/batch", raw, {"orders": [{**LIMIT, "window": "Розничные"}, LIMIT]})
    assert [r["status"] for r in batch.json["results"]] == [201, 422]


def test_the_accepted_register_states_each_windows_orders_apart(app, members, windowed):
    """Retail: 100 x 1000 and 300 x 1100 (430 000 in 400); institutional: 10 000 x 1000."""
    from tests.plugins.subscription.test_registers import produced, sheet, stored

    sub, retail, big = windowed
    submit(app, sub, members, at(MON, 11), window=retail.id)
    submit(app, sub, members, at(MON, 12), window=retail.id, quantity=300, price=Decimal("1100"))
    submit(app, sub, members, at(TUE, 11), window=big.id, quantity=10000)
    sub = produced(app, sub)
    _register, data = stored(app, sub)
    head = [row[0] for row in sheet(data)[:8]]
    assert "Окно «Розничные» (14.12.2026 10:00 — 15.12.2026 12:00): заявок 2, количество 400, объем 430 000.00." in head
    assert (
        "Окно «Институциональные» (15.12.2026 10:00 — 15.12.2026 16:00): заявок 1, количество 10000, объем "
        "10 000 000.00." in head
    )

    # the XML says the same in comments, and stays valid against the published schema
    from lxml import etree

    _register, xml = stored(app, sub, fmt="xml")
    comments = [c.text.strip() for c in etree.fromstring(xml).iter(etree.Comment)]
    assert any(c.startswith("Окно «Розничные» (14.12.2026 10:00 — 15.12.2026 12:00): заявок 2") for c in comments)
    assert any(c.startswith("Рыночная заявка на объем в деньгах: в графе 6") for c in comments)
