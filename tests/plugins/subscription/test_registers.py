"""The registers of accepted and satisfied orders (S-8, S-9, form S-A2), read back with independent readers:
openpyxl for XLSX, lxml against the published XSD for XML."""

import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
from lxml import etree
from openpyxl import load_workbook

from core.audit.models import AuditEvent
from core.db import utcnow
from core.notifications.models import Notification
from plugins.subscription import rules, service
from plugins.subscription.models import CallOff, Fill, Order, Register, RegisterJob, Subscription, TradeAccount
from plugins.subscription.registers.calloff import call_off_refusal, enforce_deadlines
from plugins.subscription.registers.receive import due_end, upload_refusal
from tests.plugins.subscription.conftest import end_period

NS = {"r": "urn:kase:is2in:subscription:register:1"}
ALL_ITEMS = '["12.1", "12.2", "12.3", "12.4", "12.5", "12.6"]'


# --- helpers ---------------------------------------------------------------------------------------------


def submit(app, sub, members, buyer="buyer1", **fields):
    data = {"kind": "limit", "price": Decimal("1000"), "quantity": 10, "account": members["acc1"]}
    if buyer != "buyer1":
        data["account"] = members["acc2"]
    data.update(fields)
    with app.test_request_context():
        return service.submit_order(Subscription.get_by_id(sub.id), members[buyer], data)


def activate(app, sub):
    end_period(sub)
    with app.test_request_context():
        service.activate(Subscription.get_by_id(sub.id), at=utcnow())
    return Subscription.get_by_id(sub.id)


def deadlines(app, at=None):
    with app.app_context():
        return enforce_deadlines(at)


def produced(app, sub):
    """Activate and let the periodic job produce the accepted register (the task runs at once in tests)."""
    activate(app, sub)
    deadlines(app)
    return Subscription.get_by_id(sub.id)


def stored(app, sub, kind="accepted", fmt="xlsx"):
    register = (
        Register.select()
        .where((Register.subscription == sub) & (Register.kind == kind) & (Register.format == fmt))
        .order_by(Register.id.desc())
        .first()
    )
    with app.app_context():
        return register, register.file.path.read_bytes()


def sheet(data):
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    width = max(len(r) for r in rows)
    return [r + [None] * (width - len(r)) for r in rows]


def split(rows):
    """The header rows, the column positions by their S-A2 number, the data rows and the TOTAL row."""
    at = next(i for i, row in enumerate(rows) if row[0] == "A")
    pos = {str(v): i for i, v in enumerate(rows[at]) if v is not None}
    body = [r for r in rows[at + 1 :] if any(v is not None for v in r)]
    return rows[:at], pos, body[:-1], body[-1]


def edit_xlsx(data, changes: dict, extra: list[dict] = (), drop: set = ()):
    """Set cells by order number and S-A2 column; add rows before TOTAL; remove rows by order number."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "A")
    pos = {str(c.value): c.column for c in ws[header] if c.value is not None}
    total_row = next(r for r in range(header + 1, ws.max_row + 1) if str(ws.cell(r, 1).value).startswith("ИТОГО"))
    for r in range(header + 1, total_row):
        number = ws.cell(r, pos["1"]).value
        for column, value in changes.get(number, {}).items():
            ws.cell(r, pos[column]).value = value
    for number in drop:
        for r in range(header + 1, total_row):
            if ws.cell(r, pos["1"]).value == number:
                ws.delete_rows(r)
                total_row -= 1
                break
    for row in extra:
        ws.insert_rows(total_row)
        for column, value in row.items():
            ws.cell(total_row, pos[column]).value = value
        total_row += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, sub, data, name="register.xlsx"):
    return client.post(
        f"/subscriptions/{sub.id}/registers/satisfied",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def last_check(sub):
    return (
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check"))
        .order_by(RegisterJob.id.desc())
        .first()
    )


def messages(job):
    return [e["message"] for e in job.report]


def xsd(client):
    response = client.get("/subscriptions/schema/register-v1.xsd")
    assert response.status_code == 200
    return etree.XMLSchema(etree.fromstring(response.data))


@pytest.fixture
def book(app, members, make_subscription, demo):
    """An equity subscription asking for every item of investor data, with orders of every fate: accepted
    limit orders (for a client and the member's own), a market order by money, and orders that S-8.2 excludes."""
    sub = make_subscription(investor_data=True, investor_items=ALL_ITEMS, criteria_check=True)
    Subscription.update(issuer=demo["issuer@demo.kz"].organisation).where(Subscription.id == sub.id).execute()
    client_order = submit(
        app,
        sub,
        members,
        price=Decimal("1000"),
        quantity=10,
        for_client=True,
        investor_name="Иванов Иван Иванович",
        investor_id="800101300123",
        investor_resident=True,
        investor_contacts="+7 701 111 22 33",
        investor_other="субсчет 12345",
        consent=True,
    )
    own = submit(app, sub, members, "buyer2", price=Decimal("1100"), quantity=5)
    market = submit(app, sub, members, kind="market", basis="money", money=Decimal("50000"), price=None, quantity=None)
    cancelled = submit(app, sub, members, quantity=3)
    refused = submit(app, sub, members, "buyer2", quantity=4)
    rejected = submit(app, sub, members, quantity=6)
    removed = submit(app, sub, members, quantity=7)
    with app.test_request_context():
        service.cancel_order(cancelled, members["buyer1"])
        # S-4.2 and S-4.3: the control user's refusal and the seller's removal come after activation
        service.refuse_order(refused, demo["control@demo.kz"], "нет подтверждения", at=sub.activation_at)
        service.confirm_order(own, demo["control@demo.kz"])
        service.criteria_result(rejected, demo["csd@demo.kz"], False, "не соответствует критериям")
        service.remove_order(removed, members["seller"], "по решению продавца", at=sub.activation_at)
    return {
        "sub": sub,
        "client": client_order,
        "own": own,
        "market": market,
        "excluded": [cancelled, refused, rejected, removed],
    }


# --- the accepted register (S-8, S-A2) -------------------------------------------------------------------


@pytest.mark.rule("S-8.1")
@pytest.mark.rule("S-8.2")
@pytest.mark.rule("S-A2")
def test_accepted_register_xlsx_has_every_column_and_the_total_row(app, book, members):
    sub = produced(app, book["sub"])
    assert sub.state == "accepted_register"
    note = Notification.select().where(Notification.user == members["seller"]).order_by(Notification.id.desc()).get()
    assert "Сформирован реестр принятых заявок" in note.message
    _register, data = stored(app, sub, fmt="xlsx")
    head, pos, rows, total = split(sheet(data))
    assert head[0][0] == "Реестр принятых заявок"
    # S-A2: the head says what column 6 holds for a market order by money volume (the book admits them)
    assert head[3][0] == (
        "Рыночная заявка на объем в деньгах: в графе 6 — объем заявки в деньгах; в графе 5 — количество, "
        "рассчитанное при активации по цене 1 033.3333 (целых ценных бумаг); продавец указывает количество "
        "к удовлетворению, объем удовлетворения (графа 10) не может превышать объем заявки (графа 6)."
    )
    assert "Параметры принятой заявки" in head[4] and "Параметры удовлетворенной заявки" in head[4]
    # equity: no yield columns (4 and 8)
    assert list(pos) == ["A", "1", "2", "3", "5", "6", "7", "9", "10", "11", "12", "13", "14", "15", "16", "17"]
    # S-8.2: cancelled, refused by the control user, failed the criteria, removed by the seller: all left out
    assert [r[pos["1"]] for r in rows] == [book["client"].number, book["own"].number, book["market"].number]
    fair = Subscription.get_by_id(sub.id).fair_value
    assert fair == Decimal("1033.3333")  # (1000*10 + 1100*5) / 15

    client_row, own_row, market_row = rows
    assert client_row[pos["A"]] == 1 and own_row[pos["A"]] == 2 and market_row[pos["A"]] == 3
    submitted = Order.get_by_id(book["client"].id).submitted_at
    assert client_row[pos["2"]] == rules.local(submitted).replace(microsecond=0)
    assert (client_row[pos["3"]], client_row[pos["5"]], client_row[pos["6"]]) == (1000, 10, 10000)
    assert [client_row[pos[c]] for c in ("7", "9", "10")] == [None, None, None]  # empty in the accepted register
    assert client_row[pos["11"]] == "Иванов Иван Иванович"
    assert client_row[pos["12"]] == "+7 701 111 22 33"
    assert client_row[pos["13"]] == "резидент РК"
    assert client_row[pos["14"]] == "800101300123"
    assert client_row[pos["15"]] == "субсчет 12345"
    buyer1 = members["buyer1"].organisation
    assert client_row[pos["16"]] == f"{buyer1.legal_form} «{buyer1.name_ru}»"
    assert "buyer1@demo.kz" in client_row[pos["17"]]
    # the member's own order: the member is the investor
    buyer2 = members["buyer2"].organisation
    assert own_row[pos["14"]] == buyer2.bin and own_row[pos["16"]] == f"{buyer2.legal_form} «{buyer2.name_ru}»"
    # a market order by money: the quantity set on activation, the volume is the order's money
    assert market_row[pos["3"]] == pytest.approx(float(fair))
    assert market_row[pos["5"]] == 48 and market_row[pos["6"]] == 50000
    # TOTAL: sums in 5 and 6, "X" where the form crosses out, empty satisfied sums
    assert total[pos["A"]] == "ИТОГО:"
    assert total[pos["1"]] is None
    assert total[pos["5"]] == 10 + 5 + 48 and total[pos["6"]] == 10000 + 5500 + 50000
    assert [total[pos[c]] for c in ("2", "3", "7")] == ["X", "X", "X"]
    assert [total[pos[c]] for c in ("9", "10")] == [None, None]
    assert all(total[pos[str(c)]] == "X" for c in range(11, 18))


@pytest.mark.rule("S-A2")
def test_columns_11_to_17_only_when_the_application_asks_for_investor_data(app, members, make_subscription):
    sub = make_subscription()
    submit(app, sub, members, for_client=True, investor_name="Петров", investor_id="800101300123")
    sub = produced(app, sub)
    _register, data = stored(app, sub)
    _head, pos, rows, _total = split(sheet(data))
    assert all(rows[0][pos[str(c)]] is None for c in range(11, 18))


@pytest.mark.rule("S-8.3")
@pytest.mark.rule("S-A2")
def test_accepted_register_xml_of_a_bond_is_valid_against_the_published_xsd(
    app, client, auth, members, make_subscription
):
    sub = make_subscription(
        security_kind="debt",
        quantity=None,
        total_nominal=Decimal("1000000"),
        nominal=Decimal("1000"),
        price=Decimal("1000"),
        ccp=False,
        market_orders=False,
    )
    by_yield = submit(app, sub, members, price=None, yield_rate=Decimal("12.5"), quantity=100)
    both = submit(app, sub, members, "buyer2", price=Decimal("990"), yield_rate=Decimal("13"), quantity=50)
    sub = produced(app, sub)
    schema = xsd(client)  # public: no sign-in
    auth.login("seller@demo.kz")
    register, _data = stored(app, sub, fmt="xml")
    response = client.get(f"/subscriptions/{sub.id}/registers/{register.id}/download")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private")
    doc = etree.fromstring(response.data)
    schema.assertValid(doc)
    assert doc.get("kind") == "accepted"
    assert doc.findtext("r:Subscription/r:SecurityKind", namespaces=NS) == "debt"
    assert doc.findtext("r:Subscription/r:Offered", namespaces=NS) == "1000"
    orders = doc.findall("r:Orders/r:Order", NS)
    assert [o.get("row") for o in orders] == ["1", "2"]
    first, second = orders
    assert first.findtext("r:Number", namespaces=NS) == str(by_yield.number)
    assert first.findtext("r:Submitted", namespaces=NS).endswith("+05:00")
    # debt: yield given (column 4); a yield-only order is priced by the application's parameters
    assert first.findtext("r:Accepted/r:Yield", namespaces=NS) == "12.5000"
    assert first.findtext("r:Accepted/r:Price", namespaces=NS) == "1000.0000"
    assert first.findtext("r:Accepted/r:Volume", namespaces=NS) == "100000.00"
    assert second.findtext("r:Number", namespaces=NS) == str(both.number)
    assert second.findtext("r:Accepted/r:Price", namespaces=NS) == "990.0000"
    assert second.findtext("r:Accepted/r:Yield", namespaces=NS) == "13.0000"
    assert first.find("r:Satisfied", NS) is None
    assert doc.findtext("r:Total/r:Orders", namespaces=NS) == "2"
    assert doc.findtext("r:Total/r:Quantity", namespaces=NS) == "150"
    assert doc.findtext("r:Total/r:Volume", namespaces=NS) == "149500.00"
    # the XLSX of a bond carries both yield columns
    _register, data = stored(app, sub, fmt="xlsx")
    _head, pos, rows, _total = split(sheet(data))
    assert "4" in pos and "8" in pos and rows[0][pos["4"]] == 12.5


@pytest.mark.rule("S-8.4")
@pytest.mark.rule("S-8.3")
def test_registers_are_confidential_and_every_download_is_logged(app, client, auth, book):
    sub = produced(app, book["sub"])
    register, _data = stored(app, sub)
    page = f"/subscriptions/{sub.id}/registers"
    download = f"{page}/{register.id}/download"
    assert client.get(download).status_code == 302  # to the sign-in page
    for email in ("buyer1@demo.kz", "buyer2@demo.kz", "csd@demo.kz", "board@exchange.demo"):
        auth.login(email)
        assert client.get(page).status_code == 404, email
        assert client.get(download).status_code == 404, email
        auth.logout()
    assert not AuditEvent.select().where(AuditEvent.action == "subscription.register_download").exists()
    for email in ("seller@demo.kz", "issuer@demo.kz", "trading@exchange.demo"):
        auth.login(email)
        assert client.get(page).status_code == 200, email
        response = client.get(download)
        assert response.status_code == 200 and response.data == _data, email
        auth.logout()
    events = list(AuditEvent.select().where(AuditEvent.action == "subscription.register_download"))
    assert len(events) == 3
    assert all(e.data["kind"] == "accepted" and e.actor_id for e in events)


@pytest.mark.rule("S-8.1")
def test_the_progress_widget_polls_until_done(app, client, auth, book):
    sub = activate(app, book["sub"])
    job = RegisterJob.create(subscription=sub, kind="accepted", format="xml", total=10, done=4)
    auth.login("trading@exchange.demo")
    fragment = client.get(f"/subscriptions/{sub.id}/registers/jobs/{job.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'hx-trigger="every 2s"' in body and 'hx-target="this"' in body and "<progress" in body
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.get(f"/subscriptions/{sub.id}/registers/jobs/{job.id}")
    assert "<html" in full.get_data(as_text=True)
    job.delete_instance()
    # a plain POST produces it; with TASKS_IMMEDIATE it is done by the time the page loads
    response = client.post(f"/subscriptions/{sub.id}/registers/accepted")
    assert response.status_code == 302
    jobs = list(RegisterJob.select().where(RegisterJob.subscription == sub))
    assert {j.format for j in jobs} == {"xml", "xlsx"} and all(j.status == "done" for j in jobs)
    done = client.get(f"/subscriptions/{sub.id}/registers/jobs/{jobs[0].id}", headers={"HX-Request": "true"})
    body = done.get_data(as_text=True)
    assert "every 2s" not in body and f"/registers/jobs/{jobs[0].id}/download" in body
    assert Subscription.get_by_id(sub.id).state == "accepted_register"


@pytest.mark.rule("S-8.1")
def test_the_detail_page_links_the_registers_for_those_entitled(app, client, auth, book):
    sub = produced(app, book["sub"])
    auth.login("seller@demo.kz")
    assert f"/subscriptions/{sub.id}/registers" in client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    auth.logout()
    auth.login("buyer1@demo.kz")
    assert f"/subscriptions/{sub.id}/registers" not in client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)


# --- the satisfied register (S-9) ----------------------------------------------------------------------------


@pytest.mark.rule("S-9.1")
@pytest.mark.rule("S-9.4")
@pytest.mark.rule("S-9.5")
def test_satisfied_register_with_mismatches_is_reported_by_row_then_fixed_and_accepted(
    app, client, auth, book, members
):
    sub = produced(app, book["sub"])
    _register, accepted = stored(app, sub)
    c, o, m = book["client"].number, book["own"].number, book["market"].number
    cancelled = book["excluded"][0].number
    wrong = edit_xlsx(
        accepted,
        {
            c: {"7": 1000, "9": 12, "10": 12000},  # more than the order's 10
            o: {"7": 1200, "9": 5, "10": 6000, "5": 6},  # above the buyer's limit of 1100; column 5 changed
            m: {"7": 1000, "9": 48, "10": 48000},
        },
        extra=[{"A": 4, "1": cancelled, "3": 1000, "5": 3, "6": 3000, "7": 1000, "9": 3, "10": 3000}],
    )
    auth.login("seller@demo.kz")
    response = upload(client, sub, wrong)
    assert response.status_code == 302
    job = last_check(sub)
    assert job.status == "done" and job.register.status == "rejected"
    report = job.report
    text = " ".join(messages(job))
    assert "Количество к удовлетворению (12) больше количества в заявке (10)" in text
    assert "Цена удовлетворения 1200.0000 выше цены лимитированной заявки (1100.0000)" in text
    assert "графа 5 (количество) — в реестре принятых заявок 5, в файле 6" in text
    assert f"Заявка № {cancelled} исключена из реестра принятых заявок (отменена покупателем)" in text
    rows = {(e["order"], e["column"]) for e in report}
    assert {(c, "9"), (o, "7"), (o, "5"), (cancelled, "1")} <= rows
    assert all(e["row"] for e in report)  # every mismatch points at its row in the sheet
    # nothing changed: state, fills
    assert Subscription.get_by_id(sub.id).state == "accepted_register" and Fill.select().count() == 0
    # S-9.5: the seller is told
    note = Notification.select().where(Notification.user == members["seller"]).order_by(Notification.id.desc()).get()
    assert "не принят" in note.message
    page = client.get(f"/subscriptions/{sub.id}/registers").get_data(as_text=True)
    assert "Несоответствия" in page and "больше количества в заявке" in page
    # the subscription page says it too, with the mismatches themselves (issue #17)
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert f"не принят (несоответствий: {len(report)})" in page
    assert f"Заявка № {c}, графа 9: Количество к удовлетворению (12) больше количества в заявке (10)" in page

    fixed = edit_xlsx(
        accepted,
        {
            c: {"7": 1000, "9": 10, "10": 10000},
            o: {"7": 1000, "9": 5},  # a better price for the buyer; the volume left for the Exchange to compute
            m: {"7": 1000, "9": 50, "10": 50000},  # a market order by money: more pieces, not more money
        },
    )
    upload(client, sub, fixed)
    job = last_check(sub)
    assert job.register.status == "accepted", messages(job)
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "satisfied_register"
    fills = {f.order.number: f for f in Fill.select()}
    assert {n: (f.quantity, f.price, f.volume) for n, f in fills.items()} == {
        c: (10, Decimal("1000"), Decimal("10000")),
        o: (5, Decimal("1000"), Decimal("5000")),
        m: (50, Decimal("1000"), Decimal("50000")),
    }
    event = AuditEvent.select().where(AuditEvent.action == "subscription.satisfied_register").get()
    assert event.data["consent_to_deals"] is True and "согласие продавца" in event.data["note"]
    page = client.get(f"/subscriptions/{sub.id}/registers").get_data(as_text=True)
    assert "означает согласие продавца на заключение сделок" in page
    assert "не принят (несоответствий" not in client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)

    # a correction before the deal replaces the fills, in one go
    upload(client, sub, edit_xlsx(accepted, {c: {"7": 1000, "9": 4}}))
    assert last_check(sub).register.status == "accepted"
    assert [(f.order.number, f.quantity) for f in Fill.select()] == [(c, 4)]


@pytest.mark.rule("S-9.5")
@pytest.mark.rule("S-A2")
def test_money_volume_total_above_offer_and_missing_orders(app, client, auth, book):
    sub = produced(app, book["sub"])
    _register, accepted = stored(app, sub)
    c, m = book["client"].number, book["market"].number
    Subscription.update(quantity=50).where(Subscription.id == sub.id).execute()
    wrong = edit_xlsx(
        accepted,
        {c: {"7": 1000, "9": 10}, m: {"7": 1000, "9": 51, "10": 51000}},
        drop={book["own"].number},
    )
    auth.login("seller@demo.kz")
    upload(client, sub, wrong)
    text = " ".join(messages(last_check(sub)))
    assert "больше объема рыночной заявки в деньгах (50000.00)" in text
    assert "Всего к удовлетворению 61 ценных бумаг — больше предложенного количества (50)" in text
    assert f"Заявка № {book['own'].number} из реестра принятых заявок отсутствует в файле" in text


@pytest.mark.rule("S-9.2")
def test_the_51st_investor_is_refused_in_a_private_placement(app, client, auth, members, make_subscription):
    # Orders came in as a public placement, then S-7.2 disclosed the investors behind them: the satisfied
    # register is where the limit of 50 is finally held (S-9.2).
    sub = make_subscription(quantity=100000, market_orders=False)
    TradeAccount.update(balance=Decimal("100000000000")).where(TradeAccount.code == "BUY1-KZT").execute()
    for n in range(51):
        submit(
            app,
            sub,
            members,
            quantity=1,
            for_client=True,
            investor_name=f"Инвестор {n}",
            investor_id=f"{800000000000 + n}",
        )
    Subscription.update(private=True).where(Subscription.id == sub.id).execute()
    sub = produced(app, sub)
    schema = xsd(client)
    _register, accepted = stored(app, sub, fmt="xml")
    doc = etree.fromstring(accepted)

    def satisfy(count):
        tree = etree.fromstring(accepted)
        tree.set("kind", "satisfied")
        for order in tree.findall("r:Orders/r:Order", NS)[:count]:
            satisfied = etree.Element(f"{{{NS['r']}}}Satisfied")
            for name, value in (("Price", "1000"), ("Quantity", "1"), ("Volume", "1000.00")):
                etree.SubElement(satisfied, f"{{{NS['r']}}}{name}").text = value
            order.find("r:Accepted", NS).addnext(satisfied)
        schema.assertValid(tree)
        return etree.tostring(tree, xml_declaration=True, encoding="utf-8")

    assert len(doc.findall("r:Orders/r:Order", NS)) == 51
    auth.login("seller@demo.kz")
    upload(client, sub, satisfy(51), "register.xml")
    job = last_check(sub)
    assert job.register.status == "rejected"
    (error,) = job.report
    assert error["row"] == 51 and "51-й инвестор" in error["message"] and "не более 50 инвесторов" in error["message"]
    assert Fill.select().count() == 0
    upload(client, sub, satisfy(50), "register.xml")
    assert last_check(sub).register.status == "accepted"
    assert Fill.select().count() == 50


@pytest.mark.rule("S-9.5")
def test_hostile_and_corrupt_files_are_refused_and_change_nothing(app, client, auth, book):
    sub = produced(app, book["sub"])
    auth.login("seller@demo.kz")

    def refused(data, name, expected):
        before = Register.select().where(Register.kind == "satisfied").count()
        response = upload(client, sub, data, name)
        assert response.status_code == 302, name
        job = last_check(sub)
        assert job.status in ("done", "rejected") and (job.register is None or job.register.status == "rejected")
        assert any(expected in m for m in messages(job)), (name, messages(job))
        assert Subscription.get_by_id(sub.id).state == "accepted_register" and Fill.select().count() == 0
        return before

    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Register xmlns="urn:kase:is2in:subscription:register:1" kind="satisfied">&lol3;</Register>"""
    refused(bomb, "bomb.xml", "DOCTYPE")
    external = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Register xmlns="urn:kase:is2in:subscription:register:1" kind="satisfied">&xxe;</Register>"""
    refused(external, "xxe.xml", "DOCTYPE")
    refused(
        b'<?xml version="1.0"?><Register xmlns="urn:kase:is2in:subscription:register:1"><Orders>',
        "cut.xml",
        "XML не читается",
    )
    refused(b'<?xml version="1.0"?><Other/>', "other.xml", "корневой элемент должен быть Register")

    # a zip bomb dressed as XLSX: refused before anything is inflated
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    refused(zipped.getvalue(), "bomb.xlsx", "архивные «бомбы»")
    app.config["MAX_CONTENT_LENGTH"] = 512 * 1024  # 25 x 512 KB = 12.5 MB unpacked at most
    refused(zipped.getvalue(), "bomb.xlsx", "при распаковке занимает 20 МБ")
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024

    # not a register at all, whatever the name says
    refused(b"%PDF-1.4 not a register", "register.xlsx", "не является реестром в формате XLSX или XML")
    refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "register.xls", "Формат XLS")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "not xml at all")
    refused(broken.getvalue(), "broken.xlsx", "XLSX не читается")
    # the size limit of the app applies to uploads
    app.config["MAX_CONTENT_LENGTH"] = 1024
    assert upload(client, sub, b"<?xml version='1.0'?>" + b" " * 4096, "big.xml").status_code == 413


@pytest.mark.rule("S-9.5")
def test_text_in_number_cells_and_wrong_columns(app, client, auth, book):
    sub = produced(app, book["sub"])
    _register, accepted = stored(app, sub)
    c, o = book["client"].number, book["own"].number
    auth.login("seller@demo.kz")
    upload(client, sub, edit_xlsx(accepted, {c: {"7": 1000, "9": "десять"}, o: {"7": "1 000,5", "9": 2.5}}))
    job = last_check(sub)
    assert job.register.status == "rejected"
    by_order = {(e["order"] or e["row"], e["column"]): e["message"] for e in job.report}
    texts = " ".join(messages(job))
    assert "В графе 9 вместо числа текст «десять»." in texts
    assert "В графе 9 должно быть целое число, а не «2.5»." in texts
    assert "В графе 7" not in texts  # "1 000,5" is a number written as text: read, not refused
    assert len(by_order) == 2
    # the row that numbers the columns is gone, or a column is missing
    wb = load_workbook(io.BytesIO(accepted))
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "A")
    ws.cell(header, 1).value = "№"
    out = io.BytesIO()
    wb.save(out)
    upload(client, sub, out.getvalue())
    assert "Не найдена строка с номерами граф" in " ".join(messages(last_check(sub)))
    ws.cell(header, 1).value = "A"
    column_9 = next(c.column for c in ws[header] if c.value == 9)
    ws.cell(header, column_9).value = None
    out = io.BytesIO()
    wb.save(out)
    upload(client, sub, out.getvalue())
    assert "В реестре нет графы 9 (количество)." in messages(last_check(sub))
    assert Subscription.get_by_id(sub.id).state == "accepted_register" and Fill.select().count() == 0


@pytest.mark.rule("S-9.5")
def test_a_bond_fill_may_not_give_the_buyer_less_yield_than_it_asked(app, client, auth, members, make_subscription):
    sub = make_subscription(
        security_kind="debt",
        quantity=None,
        total_nominal=Decimal("1000000"),
        nominal=Decimal("1000"),
        price=Decimal("1000"),
        ccp=False,
        market_orders=False,
    )
    order = submit(app, sub, members, price=None, yield_rate=Decimal("12.5"), quantity=100)
    sub = produced(app, sub)
    _register, accepted = stored(app, sub)
    auth.login("seller@demo.kz")
    upload(client, sub, edit_xlsx(accepted, {order.number: {"7": 1000, "8": 12, "9": 100}}))
    assert "ниже доходности, указанной в заявке (12.5000)" in " ".join(messages(last_check(sub)))
    upload(client, sub, edit_xlsx(accepted, {order.number: {"7": 1000, "8": 13, "9": 100}}))
    assert last_check(sub).register.status == "accepted"
    fill = Fill.get()
    assert (fill.yield_rate, fill.quantity, fill.volume) == (Decimal("13"), 100, Decimal("100000"))


@pytest.mark.rule("S-9.1")
def test_proposal_by_largest_remainder_never_exceeds_the_offer_and_is_accepted_as_is(
    app, client, auth, members, make_subscription
):
    sub = make_subscription(quantity=10, market_orders=False)
    orders = [
        submit(app, sub, members, quantity=q, price=Decimal(p)) for q, p in ((7, "1000"), (7, "1010"), (7, "990"))
    ]
    sub = produced(app, sub)
    auth.login("seller@demo.kz")
    response = client.post(f"/subscriptions/{sub.id}/registers/proposal", data={"method": "prorata", "format": "xlsx"})
    assert response.status_code == 302
    job = RegisterJob.select().where(RegisterJob.kind == "proposal").get()
    assert job.status == "done"
    data = client.get(f"/subscriptions/{sub.id}/registers/jobs/{job.id}/download").data
    head, pos, rows, total = split(sheet(data))
    assert "предложение" in head[0][0]
    given = [r[pos["9"]] for r in rows]
    assert sum(given) == 10 and sorted(given) == [3, 3, 4]  # 7/21 of 10 each; one more to the earliest remainder
    assert total[pos["9"]] == 10
    upload(client, sub, data)
    assert last_check(sub).register.status == "accepted", messages(last_check(sub))
    assert sum(f.quantity for f in Fill.select()) == 10

    # the cut-off price fills only orders at or above it, at the cut-off price, as XML in the same format
    client.post(
        f"/subscriptions/{sub.id}/registers/proposal", data={"method": "cutoff", "cutoff": "1000", "format": "xml"}
    )
    job = RegisterJob.select().where(RegisterJob.kind == "proposal").order_by(RegisterJob.id.desc()).get()
    doc = etree.fromstring(client.get(f"/subscriptions/{sub.id}/registers/jobs/{job.id}/download").data)
    xsd(client).assertValid(doc)
    filled = {
        int(o.findtext("r:Number", namespaces=NS)): (
            o.findtext("r:Satisfied/r:Quantity", namespaces=NS),
            o.findtext("r:Satisfied/r:Price", namespaces=NS),
        )
        for o in doc.findall("r:Orders/r:Order", NS)
    }
    assert filled[orders[2].number][0] == "0"
    assert {filled[orders[0].number][0], filled[orders[1].number][0]} == {"5"}
    assert filled[orders[1].number][1] == "1000.0000"
    # the form explains a missing parameter (422), and only the seller may ask
    bad = client.post(f"/subscriptions/{sub.id}/registers/proposal", data={"method": "cutoff", "format": "xml"})
    assert bad.status_code == 422 and "Укажите цену (доходность) отсечения." in bad.get_data(as_text=True)
    auth.logout()
    auth.login("trading@exchange.demo")
    assert client.post(f"/subscriptions/{sub.id}/registers/proposal", data={"method": "prorata"}).status_code == 403


# --- calling off and the deadlines (S-9.3, S-9.6) --------------------------------------------------------------


@pytest.mark.rule("S-9.3")
def test_the_seller_calls_the_subscription_off_in_writing_with_the_reason(app, client, auth, book, demo):
    sub = produced(app, book["sub"])
    blocked_before = TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked
    assert blocked_before > 0
    auth.login("buyer1@demo.kz")
    assert client.post(f"/subscriptions/{sub.id}/registers/call-off", data={"reason": "x"}).status_code == 404
    auth.logout()
    auth.login("seller@demo.kz")
    missing = client.post(f"/subscriptions/{sub.id}/registers/call-off", data={"reason": ""})
    assert missing.status_code == 422 and "Укажите причину отказа" in missing.get_data(as_text=True)
    not_pdf = client.post(
        f"/subscriptions/{sub.id}/registers/call-off",
        data={"reason": "Рыночные условия", "letter": (io.BytesIO(b"hello"), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422 and "в формате PDF" in not_pdf.get_data(as_text=True)
    response = client.post(
        f"/subscriptions/{sub.id}/registers/call-off",
        data={"reason": "Неблагоприятные рыночные условия", "letter": (io.BytesIO(b"%PDF-1.4 letter"), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "called_off" and "Неблагоприятные рыночные условия" in sub.failed_reason
    record = CallOff.get()
    assert record.reason == "Неблагоприятные рыночные условия" and record.letter is not None
    event = AuditEvent.select().where(AuditEvent.action == "subscription.call_off").get()
    assert event.data["reason"] == "Неблагоприятные рыночные условия" and event.data["letter"] == record.letter_id
    for email in ("csd@demo.kz", "buyer1@demo.kz", "buyer2@demo.kz"):
        note = Notification.select().where(Notification.user == demo[email]).order_by(Notification.id.desc()).get()
        assert "отказался от проведения подписки" in note.message, email
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked == 0  # nothing will settle
    page = client.get(f"/subscriptions/{sub.id}/registers").get_data(as_text=True)
    assert "Неблагоприятные рыночные условия" in page
    assert client.get(f"/subscriptions/{sub.id}/registers/call-off/letter").data == b"%PDF-1.4 letter"
    assert upload(client, sub, b"<?xml version='1.0'?><x/>", "r.xml").status_code == 422


@pytest.mark.rule("S-9.3")
@pytest.mark.rule("S-9.6")
def test_after_the_due_date_only_corrections_and_none_after_the_deal(app, client, auth, book):
    sub = produced(app, book["sub"])
    late = due_end(sub) + datetime.timedelta(minutes=1)
    seller = book["client"].subscription.seller
    with app.test_request_context():
        user = service.users_of([seller])[0]
        assert "нужно было представить не позднее" in upload_refusal(sub, user, at=late)
        assert upload_refusal(sub, user, at=late - datetime.timedelta(minutes=2)) is None
        assert "не позднее срока представления" in call_off_refusal(sub, user, at=late)
    RegisterJob.create(subscription=sub, kind="check", format="xml", status="rejected", requested_by=user)
    with app.test_request_context():
        assert upload_refusal(sub, user, at=late) is None  # a correction
        assert "до заключения сделок" in upload_refusal(sub, user, at=sub.deal_at)


@pytest.mark.rule("S-9.6")
def test_no_satisfied_register_by_the_deal_declares_the_subscription_failed(app, book, demo):
    sub = produced(app, book["sub"])
    RegisterJob.create(subscription=sub, kind="check", format="xml", status="rejected")  # refused, never corrected
    assert deadlines(app, at=sub.deal_at - datetime.timedelta(minutes=1))["failed"] == 0
    assert Subscription.get_by_id(sub.id).state == "accepted_register"
    assert deadlines(app, at=sub.deal_at)["failed"] == 1
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "failed" and "не принят до заключения сделок" in sub.failed_reason
    event = AuditEvent.select().where(AuditEvent.action == "subscription.failed").get()
    assert event.data["rule"] == "S-9.6"
    for email in ("seller@demo.kz", "csd@demo.kz", "buyer1@demo.kz"):
        assert (
            Notification.select()
            .where((Notification.user == demo[email]) & Notification.message.contains("несостоявшейся"))
            .exists()
        ), email
    assert TradeAccount.get(TradeAccount.code == "BUY1-KZT").blocked == 0


@pytest.mark.rule("S-9.3")
@pytest.mark.rule("S-9.6")
def test_nothing_sent_by_the_due_date_fails_too(app, book):
    sub = produced(app, book["sub"])
    assert deadlines(app, at=due_end(sub))["failed"] == 1
    assert "не представлен в срок" in Subscription.get_by_id(sub.id).failed_reason


@pytest.mark.rule("S-9.4")
def test_an_accepted_register_stays_accepted_past_the_deadline(app, client, auth, book):
    sub = produced(app, book["sub"])
    _register, accepted = stored(app, sub)
    auth.login("seller@demo.kz")
    upload(client, sub, edit_xlsx(accepted, {book["client"].number: {"7": 1000, "9": 1}}))
    assert Subscription.get_by_id(sub.id).state == "satisfied_register"
    assert deadlines(app, at=sub.deal_at + datetime.timedelta(hours=1))["failed"] == 0
    assert Subscription.get_by_id(sub.id).state == "satisfied_register"
    report = json.loads(Register.select().where(Register.kind == "satisfied").get().errors)
    assert report == []
