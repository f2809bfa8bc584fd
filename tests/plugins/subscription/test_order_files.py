"""Orders from a CSV or XLSX file (issue #17): the batch API's rules and messages, row by row; a file with a
refused row takes nothing unless the member chooses to take the valid rows."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from core.audit.models import AuditEvent
from plugins.subscription.models import Order, Subscription, TradeAccount

HEADER = "client_ref;account;kind;basis;price;quantity;money;for_client;investor_name;investor_id"


def csv_file(*rows, header=HEADER) -> bytes:
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")


def xlsx_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client, sub, data, name="orders.csv", take_valid=False):
    form = {"file": (io.BytesIO(data), name)}
    if take_valid:
        form["take_valid"] = "y"
    return client.post(f"/subscriptions/{sub.id}/orders/file", data=form, content_type="multipart/form-data")


def orders(sub):
    return list(Order.select().where(Order.subscription == sub).order_by(Order.number))


@pytest.fixture
def buyer(client, auth, members):
    auth.login("buyer1@demo.kz")
    return client


@pytest.mark.rule("S-4.1")
@pytest.mark.rule("S-5.2")
def test_a_clean_csv_is_taken_whole_and_blocks_each_orders_amount(app, buyer, members, make_subscription):
    """CCP, collateral at submission: 10 x 1000 + 5 x 1100 + the market order's 50 000 = 65 500 blocked."""
    sub = make_subscription(market_orders=True)
    before = TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked
    data = csv_file(
        "A-1;BUY1-KZT;limit;;1000;10;;;;",
        "A-2;BUY1-KZT;limit;;1100;5;;нет;;",
        "A-3;BUY1-KZT;market;money;;;50000;да;Иванов Иван;800101300123",
    )
    response = send(buyer, sub, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Подано заявок: 3; отклонено строк: 0." in page
    taken = orders(sub)
    assert [(o.client_ref, o.kind, o.price, o.quantity, o.money) for o in taken] == [
        ("A-1", "limit", Decimal("1000"), 10, None),
        ("A-2", "limit", Decimal("1100"), 5, None),
        ("A-3", "market", None, None, Decimal("50000")),
    ]
    assert taken[2].for_client and taken[2].investor_id == "800101300123"
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked - before == Decimal("65500")
    event = AuditEvent.select().where(AuditEvent.action == "order.file").get()
    assert (event.data["rows"], event.data["taken"], event.data["refused"]) == (3, 3, 0)
    # the same file again: every client_ref was taken before, nothing new
    page = send(buyer, sub, data).get_data(as_text=True)
    assert "Подано заявок: 0; отклонено строк: 0." in page and "подана ранее: заявка № 1" in page
    assert len(orders(sub)) == 3


@pytest.mark.rule("S-4.1")
def test_a_file_with_a_refused_row_takes_nothing_unless_the_member_chooses(app, buyer, members, make_subscription):
    sub = make_subscription(market_orders=False)
    before = TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked
    data = csv_file(
        "B-1;BUY1-KZT;limit;;1000;10;;;;",
        "B-2;BUY1-KZT;market;quantity;;5;;;;",  # the application admits no market orders
        "B-3;BUY2-KZT;limit;;1000;3;;;;",  # another member's account
        "B-4;BUY1-KZT;limit;;1000;0;;;;",  # quantity zero
        "B-5;BUY1-KZT;limit;;1000;7;;может быть;;",  # not yes or no
    )
    response = send(buyer, sub, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Заявки не поданы: строк с ошибками — 4 из 5." in page
    # the same words as the page and the API give, row by row (the header is row 1)
    assert "Условия подписки не допускают рыночные заявки." in page
    assert "Выберите торгово-клиринговый счет своей организации." in page
    assert "Количество должно быть больше нуля." in page
    assert "Ожидается «да» или «нет»." in page
    assert orders(sub) == [] and TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked == before
    assert not AuditEvent.select().where(AuditEvent.action.in_(("order.file", "order.submit"))).exists()
    # the member chooses to take the valid rows
    response = send(buyer, sub, data, take_valid=True)
    assert response.status_code == 200
    assert "Подано заявок: 1; отклонено строк: 4." in response.get_data(as_text=True)
    assert [(o.client_ref, o.quantity) for o in orders(sub)] == [("B-1", 10)]
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked - before == Decimal("10000")


@pytest.mark.rule("S-5.2")
def test_the_money_runs_out_in_the_files_order(app, buyer, members, make_subscription):
    """BUY1-KZT holds 25 000: rows of 10 000, 20 000 and 15 000 — the second does not fit after the first,
    the third does (15 000 = what is left)."""
    TradeAccount.update(balance=Decimal("25000"), blocked=0).where(TradeAccount.code == "BUY1-KZT").execute()
    sub = make_subscription()
    data = xlsx_file(
        [
            ["client_ref", "account", "kind", "price", "quantity"],
            ["C-1", "BUY1-KZT", "limit", 1000, 10],
            ["C-2", "BUY1-KZT", "limit", 1000, 20],
            ["C-3", "BUY1-KZT", "limit", 1000, 15],
        ]
    )
    page = send(buyer, sub, data, name="orders.xlsx").get_data(as_text=True)
    assert "строк с ошибками — 1 из 3" in page
    assert "Недостаточно денег на счете BUY1-KZT для обеспечения заявки: нужно 20 000.00." in page
    assert orders(sub) == []
    send(buyer, sub, data, name="orders.xlsx", take_valid=True)
    assert [(o.client_ref, o.blocked) for o in orders(sub)] == [("C-1", Decimal("10000")), ("C-3", Decimal("15000"))]
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked == Decimal("25000")


@pytest.mark.rule("S-4.1")
def test_files_that_are_not_order_lists_are_refused_whole(app, buyer, members, make_subscription):
    sub = make_subscription()
    cases = [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Файл не похож на CSV или XLSX."),
        ("счет;цена\nBUY1;1".encode("cp1251"), "сохраните его в ней"),
        (csv_file("x;y", header="account;colour"), "Неизвестный столбец «colour» в строке 1"),
        (csv_file(header=HEADER), "В файле нет заявок."),
        (b"PK\x03\x04garbage", "архив XLSX не читается"),
    ]
    for data, message in cases:
        response = send(buyer, sub, data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    assert orders(sub) == []


def test_only_members_of_other_organisations_use_it_and_only_during_the_period(
    app, client, auth, members, make_subscription
):
    import datetime

    from core.db import utcnow

    sub = make_subscription()
    auth.login("seller@demo.kz")
    assert client.get(f"/subscriptions/{sub.id}/orders/file").status_code == 403  # not to its own placement
    auth.logout()
    auth.login("buyer1@demo.kz")
    assert (
        client.get(f"/subscriptions/{sub.id}/orders/file/template.csv")
        .get_data(as_text=True)
        .startswith("\ufeffclient_ref;account;kind")
    )
    Subscription.update(accept_to=utcnow() - datetime.timedelta(minutes=1)).where(Subscription.id == sub.id).execute()
    page = send(client, sub, csv_file("D-1;BUY1-KZT;limit;;1000;10;;;;")).get_data(as_text=True)
    assert "Заявки принимаются с" in page and orders(sub) == []
