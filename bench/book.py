"""Scenario 2, a subscription book of 200,000 orders from 500 buyers, through every step the Exchange takes: intake
through the JSON API (32 clients against gunicorn) and through the order service in-process, the collateral check,
activation with the fair value, the accepted register as XLSX and as XML, the upload and check of a satisfied
register of the same size, and the deals with their netting. Each step runs in a process of its own, so its peak
memory is the kernel's figure for that step alone.

Floors, measured in the same run: the same order rows written with one ``insert_many`` per thousand (what the
database takes to store the book), and the same register's columns written as plain CSV (what it takes to read
the book and write it out)."""

import csv
import datetime
import json
import random
import secrets
import time
from decimal import Decimal

from bench import harness, pages, report
from bench.load import order_body, percentile

FULL_BOOK = 200_000
API_ORDERS_PER_SECOND = 1000
SERVICE_ORDERS_PER_SECOND = 10_000
API_P95 = 50.0  # ms
STEP_SECONDS = 5.0  # for 200,000 orders
XLSX_SECONDS = 6.0  # issue #20 (was 8 s)
MEMORY_MB = 400.0
PRICE = 1000.0
SEED = 404
API_BATCH = 50  # orders in one request to /orders/batch
SERVICE_BATCH = 100  # orders in one service.submit_orders call
SINGLE_SAMPLE = 5000  # orders taken one call each, for the per-order figure


# --- steps, each in a child process (bench.child) ---------------------------------------------------------------


def _sub():
    from plugins.subscription.models import Subscription

    return Subscription.get(Subscription.isin == "KZ1C00BENCH5")


def baseline() -> dict:
    """The app built and connected, nothing done: the memory every step starts from."""
    return {"seconds": 0.0}


def setup(buyers: int) -> dict:
    """The placement (registered, accepting orders now, collateral checked at a set time, market orders allowed,
    investor data asked for), and its buyers: stock members, each with a trader, a trade-clearing account and an
    API token."""
    from core import clock
    from core.accounts.models import Organisation, OrganisationRole, User
    from core.accounts.validators import make_xin
    from core.auth.passwords import hash_password
    from core.db import db, utcnow
    from core.demo import DEMO_PASSWORD
    from plugins.subscription import api
    from plugins.subscription.models import ApiToken, Subscription, TradeAccount

    rng = random.Random(SEED)
    now = utcnow().replace(microsecond=0)
    seller = Organisation.get(Organisation.code == "SELL")
    seller_user = User.get(User.email == "seller@demo.kz")
    issuer = Organisation.get(Organisation.code == "DEMO")
    password = hash_password(DEMO_PASSWORD)
    tokens = []
    with db.atomic():
        accept_to = now + datetime.timedelta(hours=8)
        almaty_day = clock.date_of(accept_to)
        fields = dict(
            seller=seller,
            filed_by=seller_user,
            state="registered",
            issuer_name="АО «Demo Issuer»",
            issuer=issuer,
            security_kind="equity",
            isin="KZ1C00BENCH5",
            quantity=50_000_000,
            price=Decimal("1000"),
            book_value=Decimal("900"),
            seller_account_type="субсчет в ЦД",
            seller_account="SELL-0001",
            accept_from=now - datetime.timedelta(days=2),
            accept_to=accept_to,
            collateral_mode="at_time",
            collateral_at=accept_to + datetime.timedelta(minutes=10),
            activation_at=accept_to + datetime.timedelta(minutes=30),
            ccp=True,
            currency="KZT",
            market_orders=True,
            investor_data=True,
            investor_items=json.dumps(["12.1", "12.2", "12.3", "12.4", "12.5"]),
            accepted_register_on=almaty_day,
            satisfied_register_on=almaty_day + datetime.timedelta(days=1),
            settlement_org="cd",
            deal_at=now + datetime.timedelta(days=3),
            settlement_at=now + datetime.timedelta(days=3, hours=2),
            filed_at=now - datetime.timedelta(days=9),
            registered_at=now - datetime.timedelta(days=6),
            announced_at=now - datetime.timedelta(days=6),
        )
        # A number of its own: `is2in demo` (run by the harness) registers the demo's subscriptions from 0001 on.
        sub = Subscription.create(number=f"SUB-{now.year}-9001", **fields)
        floor = Subscription.create(**{**fields, "isin": "KZ1C00FLOOR6", "state": "draft"})
        for n in range(1, buyers + 1):
            code = f"BYR{n:04d}"
            org = Organisation.create(
                code=code,
                legal_form="АО",
                name_ru=f"Брокер {n}",
                name_kk=f"Брокер {n}",
                name_en=f"Broker {n}",
                bin=_bin(n),
            )
            OrganisationRole.create(organisation=org, role="member")
            user = User.create(
                organisation=org,
                email=f"trader@{code.lower()}.kz",
                first_name="Трейдер",
                last_name=f"Брокера {n}",
                position="Трейдер",
                phone="+7 727 000 00 00",
                iin=make_xin(f"8501013{n:04d}") if _valid(f"8501013{n:04d}") else None,
                is_org_admin=True,
                password_hash=password,
                password_changed_at=now,
            )
            # a few buyers have too little money for all their orders: the collateral check cancels some
            balance = Decimal("200000000") if rng.random() < 0.03 else Decimal("5000000000")
            account = TradeAccount.create(organisation=org, code=f"{code}-KZT", currency="KZT", balance=balance)
            token = f"{api.TOKEN_PREFIX}bench_{code}_{secrets.token_urlsafe(16)}"
            ApiToken.create(organisation=org, user=user, name="бэк-офис", token_hash=api.digest(token))
            tokens.append({"token": token, "account": account.code})
    return {"subscription": sub.id, "number": sub.number, "floor": floor.id, "tokens": tokens, "price": PRICE}


def _valid(first11: str) -> bool:
    from core.accounts.validators import control_digit

    return control_digit(first11) is not None


def _bin(n: int) -> str:
    from core.accounts.validators import control_digit

    seq = 700000 + n * 3
    while True:
        first11 = f"12034{seq:06d}"
        check = control_digit(first11)
        if check is not None:
            return first11 + str(check)
        seq += 1


def _fields(body: dict, account) -> dict:
    """An order as the page's form hands it to the service (``OrderForm.order_fields``)."""
    kind, basis = body["kind"], body.get("basis", "quantity")
    data = {
        "kind": kind,
        "basis": basis,
        "price": Decimal(body["price"]) if "price" in body else None,
        "yield_rate": None,
        "quantity": body.get("quantity"),
        "money": Decimal(body["money"]) if "money" in body else None,
        "for_client": body.get("for_client", False),
        "investor_name": body.get("investor_name", ""),
        "investor_id": body.get("investor_id", ""),
        "investor_resident": True,
        "investor_contacts": body.get("investor_contacts", ""),
        "investor_other": "",
        "qualified": False,
        "omnibus": False,
        "consent": body.get("consent", False),
        "account": account,
    }
    if kind == "limit":
        data["basis"], data["money"] = "quantity", None
    elif basis == "money":
        data["quantity"] = None
    return data


def service_intake(total: int | None = None, batch: int = 1, count: int | None = None, at_least: int = 1) -> dict:
    """Orders through the order service until the book holds ``total``: one ``service.submit_order`` call
    per order as the order page submits it (``batch`` 1), or ``service.submit_orders`` with ``batch``
    orders of one trader at a time, as a member's back office sends its book. Their submission times run
    on through the rest of the acceptance period. Only the service's own work is timed: the orders are
    made up outside the clock."""
    from core.accounts.models import Organisation, User
    from core.db import utcnow
    from plugins.subscription import service
    from plugins.subscription.models import Order, TradeAccount

    sub = _sub()
    have = Order.select().where(Order.subscription == sub).count()
    count = max(at_least, total - have) if count is None else count
    traders = list(
        User.select(User, Organisation)
        .join(Organisation, on=(User.organisation == Organisation.id))
        .where(Organisation.code.startswith("BYR"))
        .order_by(Organisation.code)
    )
    accounts = {a.organisation_id: a for a in TradeAccount.select().where(TradeAccount.code.startswith("BYR"))}
    rng = random.Random(SEED + 1)
    start = utcnow()
    step = (sub.accept_to - datetime.timedelta(minutes=1) - start) / max(1, count)
    latencies, made, refused = [], 0, 0
    while made < count:
        user = rng.choice(traders)
        account = accounts[user.organisation_id]
        size = min(batch, count - made)
        items = [(_fields(order_body(rng, account.code, PRICE), account), None) for _ in range(size)]
        at = start + step * made
        t0 = time.perf_counter()
        if batch == 1:
            service.submit_order(sub, user, items[0][0], at=at)
        else:
            refused += sum(isinstance(r, Exception) for r in service.submit_orders(sub, user, items, at=at))
        latencies.append(time.perf_counter() - t0)
        made += size
    seconds = sum(latencies)
    latencies.sort()
    return {
        "orders": count,
        "batch": batch,
        "refused": refused,
        "book": have + count,
        "seconds": round(seconds, 3),
        "orders_per_second": round(count / seconds, 1) if seconds else None,
        "p50_ms": _ms(percentile(latencies, 0.5)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
    }


def _ms(value):
    return None if value is None else round(value * 1000, 2)


def floor_insert() -> dict:
    """The floor of intake: the book's own rows written again with ``insert_many``, a thousand a statement, in one
    transaction (into a second placement, removed afterwards; only the inserts are timed)."""
    from core.db import db
    from plugins.subscription.models import Order, Subscription

    sub = _sub()
    floor = Subscription.get(Subscription.isin == "KZ1C00FLOOR6")
    fields = [f for f in Order._meta.sorted_fields if f.name != "id"]
    position = fields.index(Order.subscription)
    seconds, rows_written, last = 0.0, 0, 0
    with db.atomic():
        while True:
            batch = list(
                Order.select(Order.id, *fields)
                .where((Order.subscription == sub) & (Order.id > last))
                .order_by(Order.id)
                .limit(10_000)
                .tuples()
            )
            if not batch:
                break
            last = batch[-1][0]
            rows = []
            for row in batch:
                values = list(row[1:])
                values[position] = floor.id
                rows.append(values)
            t0 = time.perf_counter()
            for start in range(0, len(rows), 1000):
                Order.insert_many(rows[start : start + 1000], fields=fields).execute()
            seconds += time.perf_counter() - t0
            rows_written += len(rows)
    Order.delete().where(Order.subscription == floor).execute()
    return {
        "rows": rows_written,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows_written / seconds, 1) if seconds else None,
    }


def collateral() -> dict:
    from plugins.subscription import activation

    sub = _sub()
    began = time.perf_counter()
    outcome = activation.collateral_check(sub, at=sub.collateral_at)
    return {"seconds": round(time.perf_counter() - began, 3), **outcome}


def activation() -> dict:
    from plugins.subscription import activation

    sub = _sub()
    began = time.perf_counter()
    sub = activation.activate(sub, at=sub.activation_at)
    seconds = time.perf_counter() - began
    if sub.state != "activated":
        raise RuntimeError(f"activation left the subscription {sub.state}")
    return {"seconds": round(seconds, 3), "fair_value": str(sub.fair_value)}


def register(fmt: str, kind: str = "accepted") -> dict:
    """The background job that writes a register (the accepted one, or the Exchange's proposal of the satisfied
    one), run here as the worker runs it."""
    from core.accounts.models import User
    from plugins.subscription.models import RegisterJob
    from plugins.subscription.registers.jobs import build_register

    sub = _sub()
    params = {"method": "prorata", "cutoff": None, "threshold": 0} if kind == "proposal" else {}
    job = RegisterJob.create(
        subscription=sub,
        kind=kind,
        format=fmt,
        params=json.dumps(params),
        requested_by=User.get(User.email == "seller@demo.kz") if kind == "proposal" else None,
    )
    began = time.perf_counter()
    build_register(job.id)
    seconds = time.perf_counter() - began
    job = RegisterJob.get_by_id(job.id)
    if job.status != "done":
        raise RuntimeError(f"the {kind} register job ended {job.status}: {job.message}")
    return {"seconds": round(seconds, 3), "rows": job.done, "bytes": job.file.size, "job": job.id}


def csv_floor(path: str) -> dict:
    """The floor of the registers: the same accepted orders' columns read in keyset batches and written as plain
    CSV, with no formatting, no workbook and no XML."""
    from peewee import JOIN

    from core.accounts.models import Organisation, User
    from plugins.subscription import service
    from plugins.subscription.models import Order

    sub = _sub()
    columns = (
        Order.number,
        Order.submitted_at,
        Order.kind,
        Order.price,
        Order.quantity,
        Order.money,
        Order.for_client,
        Order.investor_name,
        Order.investor_id,
        Order.investor_contacts,
        Organisation.name_ru,
        Organisation.bin,
        User.last_name,
        User.phone,
        User.email,
    )
    began = time.perf_counter()
    rows = last = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        while True:
            batch = list(
                service.accepted_orders(sub)
                .select(*columns)
                .join(Organisation, on=(Order.buyer == Organisation.id))
                .switch(Order)
                .join(User, JOIN.LEFT_OUTER, on=(Order.entered_by == User.id))
                .where(Order.number > last)
                .limit(2000)
                .tuples()
            )
            if not batch:
                break
            last = batch[-1][0]
            writer.writerows(batch)
            rows += len(batch)
    return {"seconds": round(time.perf_counter() - began, 3), "rows": rows}


def satisfied(job: int) -> dict:
    """The seller sends the proposal back as its satisfied register (XML): taken (``receive_satisfied``), then
    checked against the book and accepted (``check_satisfied_register``), as the worker does."""
    from core.accounts.models import User
    from plugins.subscription.models import RegisterJob
    from plugins.subscription.registers.receive import check_satisfied_register, receive_satisfied

    sub = _sub()
    seller = User.get(User.email == "seller@demo.kz")
    data = RegisterJob.get_by_id(job).file.read()
    began = time.perf_counter()
    received = receive_satisfied(sub, seller, data, "satisfied-register.xml")
    uploaded = time.perf_counter() - began
    size = len(data)
    del data  # as after the upload request: the body is gone once stored, and the check reads the stored file
    check_satisfied_register(received.id)
    seconds = time.perf_counter() - began
    checked = RegisterJob.get_by_id(received.id)
    register = checked.register
    if register is None or register.status != "accepted":
        raise RuntimeError(f"the satisfied register was not accepted: {checked.status} {checked.report[:3]}")
    return {
        "seconds": round(seconds, 3),
        "upload_seconds": round(uploaded, 3),
        "rows": checked.total // 2,
        "bytes": size,
    }


def lxml_floor(job: int) -> dict:
    """The tighter floor of the satisfied register: lxml's own streaming parse of the very file the step checks
    (each ``Order`` cleared once read, as the reader does), then the same parse validating register-v1.xsd. What
    the step takes beyond it is Python's share: reading the cells, matching the book, storing the fills."""
    from lxml import etree

    from plugins.subscription.models import RegisterJob
    from plugins.subscription.registers.columns import xml_name
    from plugins.subscription.registers.reader import schema as register_schema

    path = str(RegisterJob.get_by_id(job).file.path)
    order = xml_name("Order")
    times = {}
    rows = 0
    for name, schema in (("parse", None), ("validate", register_schema())):
        began = time.perf_counter()
        rows = 0
        for _event, elem in etree.iterparse(
            path, events=("end",), tag=order, schema=schema, resolve_entities=False, no_network=True, load_dtd=False
        ):
            rows += 1
            elem.clear()
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]
        times[name] = round(time.perf_counter() - began, 3)
    return {"seconds": times["validate"], "parse_seconds": times["parse"], "rows": rows}


def deals() -> dict:
    from core.accounts.models import User
    from plugins.subscription.models import NetPosition
    from plugins.subscription.settlement.deals import form_deals

    sub = _sub()
    trader = User.get(User.email == "trading@exchange.demo")
    began = time.perf_counter()
    formed = form_deals(sub, trader, at=sub.deal_at)
    seconds = time.perf_counter() - began
    positions = NetPosition.select().where(NetPosition.subscription == sub).count()
    return {"seconds": round(seconds, 3), "deals": len(formed), "positions": positions}


# --- the scenario, in the bench process -------------------------------------------------------------------------


REGISTER_STEPS = (
    ("xlsx", "Accepted register, XLSX", XLSX_SECONDS, "csv"),
    ("xml", "Accepted register, XML", STEP_SECONDS, "csv"),
    ("satisfied", "Satisfied register (XML): upload and check", STEP_SECONDS, "lxml"),
)


def register_steps(env: harness.Environment, settings: harness.Settings, step) -> tuple[dict, dict, dict]:
    """The registers of an activated book: the accepted one as XLSX and XML, the proposal sent back as the
    satisfied register; and their floors, the plain CSV of the same rows and lxml's own pass over the same file.
    Returns the steps, the floors and the proposal's step."""
    steps = {"xlsx": step("register", {"fmt": "xlsx"}), "xml": step("register", {"fmt": "xml"})}
    csv_path = str(settings.workdir / "register-floor.csv")
    csv_made = harness.run_step(env, "book:csv_floor", {"path": csv_path})
    proposal = harness.run_step(env, "book:register", {"fmt": "xml", "kind": "proposal"})
    lxml = harness.run_step(env, "book:lxml_floor", {"job": proposal["job"]})
    steps["satisfied"] = step("satisfied", {"job": proposal["job"]})
    floors = {
        "csv": {
            "label": f"plain CSV of the same register ({report.number(csv_made['rows'])} rows)",
            "measured": report.seconds(csv_made["seconds"]),
            **csv_made,
        },
        "lxml": {
            "label": f"lxml's streaming parse of the same satisfied register ({report.number(lxml['rows'])} rows, "
            f"{report.number(proposal['bytes'] / 1e6)} MB), then with register-v1.xsd",
            "measured": f"{report.seconds(lxml['parse_seconds'])}; validating {report.seconds(lxml['seconds'])}",
            **lxml,
        },
    }
    return steps, floors, proposal


def step_figures(steps: dict, floors: dict, rows, scale: float) -> list:
    """One figure per timed step: its time and memory against the targets (scaled to the book), its ratio to its
    floor; a register's ratio to the CSV floor is in its row when its floor is another."""
    figures = []
    for name, label, limit, floor_name in rows:
        m = steps[name]
        if m.get("stopped_after"):
            measured = f"stopped after {m['stopped_after']} s (BENCH_STEP_TIMEOUT)"
        else:
            measured = f"{report.seconds(m['seconds'])}; peak {m['peak_mb']} MB"
            if floor_name != "csv" and "csv" in floors and name in {r[0] for r in REGISTER_STEPS}:
                m["csv_ratio"] = report.ratio(m["seconds"], floors["csv"]["seconds"])
                measured += f"; CSV ×{m['csv_ratio']:.2f}" if m["csv_ratio"] else ""
        figures.append(
            report.figure(
                name,
                label,
                m,
                measured,
                targets=[
                    report.target("time", m["seconds"], "<=", round(limit * scale, 3), " s"),
                    report.target("memory", m["peak_mb"], "<=", MEMORY_MB, " MB"),
                ],
                floor=floor_name,
                ratio=report.ratio(m["seconds"], floors[floor_name]["seconds"]),
            )
        )
    return figures


def run(env: harness.Environment, settings: harness.Settings) -> dict:
    size = settings.orders
    scale = size / FULL_BOOK
    made = harness.run_step(env, "book:setup", {"buyers": settings.buyers})
    base = harness.run_step(env, "book:baseline")

    # The JSON API first (the opening rush): one order a request, then back offices' batches; then the order
    # service, one order a call for a sample and in batches for the rest of the book.
    phase = {
        "name": "orders",
        "requests": [{"method": "POST", "path": f"/api/v1/subscriptions/{made['number']}/orders"}],
        "tokens": made["tokens"],
        "price": made["price"],
        "expect": [201],
        "max_requests": max(1, size // 4),
    }
    api_batch = min(API_BATCH, max(1, size // 100))  # a tiny book (the smoke test) still sees several requests
    batch_phase = {
        **phase,
        "name": "batches",
        "requests": [{"method": "POST", "path": f"/api/v1/subscriptions/{made['number']}/orders/batch"}],
        "expect": [200],
        "batch": api_batch,
        "max_requests": max(1, size // 4 // api_batch),
    }
    with harness.Server(env, workers=2, log_name="book-server") as server:
        plan = {
            "base": server.base,
            "clients": settings.clients,
            "seconds": settings.seconds,
            "warmup": settings.warm,
            "phases": [{"name": "floor", "requests": [{"path": "/healthz"}], "expect": [200]}, phase, batch_phase],
        }
        loads = harness.run_load(env, plan, "book")
        http_floor, api, api_batches = loads["floor"], loads["orders"], loads["batches"]
        api["server_worker_peak_mb"] = server.workers_peak_mb()
    single = harness.run_step(env, "book:service_intake", {"count": min(SINGLE_SAMPLE, size // 10 or 1)})
    intake = harness.run_step(
        env, "book:service_intake", {"total": size, "batch": SERVICE_BATCH, "at_least": SERVICE_BATCH}, timeout=7200
    )
    floor = harness.run_step(env, "book:floor_insert")

    def step(name, params=None):
        # A step still running at BENCH_STEP_TIMEOUT is stopped and reported as a miss; its transaction rolls
        # back, so the steps after it still have their book.
        try:
            return harness.run_step(env, f"book:{name}", params, timeout=settings.step_timeout)
        except harness.StepTimeout as exc:
            return {"seconds": None, "peak_mb": None, "stopped_after": round(exc.seconds)}

    steps = {"collateral": step("collateral"), "activation": step("activation")}
    made_registers, register_floors, proposal = register_steps(env, settings, step)
    steps.update(made_registers)
    steps["deals"] = step("deals")

    insert_rate = floor["rows_per_second"]
    floors = {
        "insert": {
            "label": f"`insert_many` of the same {report.number(floor['rows'])} order rows",
            "measured": f"{report.number(insert_rate)} rows/s ({report.seconds(floor['seconds'])})",
            **floor,
        },
        **register_floors,
    }
    figures = []
    http_rate = http_floor.get("rps")
    floors["http"] = {
        "label": f"`/healthz` on the same server ({settings.clients} clients): no database, no template",
        "measured": f"{report.number(http_rate)} req/s; p95 {report.ms(http_floor['p95_ms'])} ms",
        **http_floor,
    }

    def api_figure(name, label, measured, rate, unit, targets):
        figures.append(
            report.figure(
                name,
                label,
                {**measured, "orders_per_second": rate},
                f"{report.number(rate)} orders/s; p50 {report.ms(measured['p50_ms'])} / p95 "
                f"{report.ms(measured['p95_ms'])} / p99 {report.ms(measured['p99_ms'])} ms {unit}",
                targets=[
                    report.target("orders/s", rate, ">=", API_ORDERS_PER_SECOND),
                    report.target("p95", measured["p95_ms"], "<=", API_P95, " ms"),
                    *targets,
                ],
                floor="http",
                ratio=report.ratio(rate, http_rate),
            )
        )

    worker_peak = api["server_worker_peak_mb"]
    api_figure(
        "api_intake",
        f"Intake through the JSON API, one order a request ({settings.clients} clients, gunicorn ×2)",
        api,
        round(api["statuses"].get("201", 0) / api["seconds"], 1) if api["seconds"] else None,
        f"an order; worker peak {worker_peak} MB",
        [report.target("memory", worker_peak, "<=", MEMORY_MB, " MB")],
    )
    api_figure(
        "api_batches",
        f"Intake through the JSON API, {api_batch} orders a request (`/orders/batch`, {settings.clients} clients)",
        api_batches,
        round(api_batches.get("orders_taken", 0) / api_batches["seconds"], 1) if api_batches["seconds"] else None,
        "a request",
        [],
    )
    figures.append(
        report.figure(
            "service_single",
            "Intake through the order service, one order a call (in-process)",
            single,
            f"{report.number(single['orders_per_second'])} orders/s; p95 {report.ms(single['p95_ms'])} ms per order",
            targets=[report.target("orders/s", single["orders_per_second"], ">=", SERVICE_ORDERS_PER_SECOND)],
            floor="insert",
            ratio=report.ratio(single["orders_per_second"], insert_rate),
        )
    )
    figures.append(
        report.figure(
            "service_intake",
            f"Intake through the order service, {SERVICE_BATCH} orders a call ({report.number(intake['orders'])} "
            "orders, in-process)",
            intake,
            f"{report.number(intake['orders_per_second'])} orders/s; p95 {report.ms(intake['p95_ms'])} ms a call; "
            f"peak {intake['peak_mb']} MB",
            targets=[
                report.target("orders/s", intake["orders_per_second"], ">=", SERVICE_ORDERS_PER_SECOND),
                report.target("memory", intake["peak_mb"], "<=", MEMORY_MB, " MB"),
            ],
            floor="insert",
            ratio=report.ratio(intake["orders_per_second"], insert_rate),
        )
    )
    book_steps = (
        ("collateral", "Collateral check over the whole book", STEP_SECONDS, "insert"),
        ("activation", "Activation with the fair value", STEP_SECONDS, "insert"),
        *REGISTER_STEPS,
        ("deals", "Deals and netting", STEP_SECONDS, "insert"),
    )
    figures += step_figures(steps, floors, book_steps, scale)
    notes = [
        f"Book: {report.number(intake['book'])} orders from {settings.buyers} buyers "
        f"({report.number(api['statuses'].get('201', 0))} one a request and "
        f"{report.number(api_batches.get('orders_taken', 0))} in batches through the API, "
        f"{report.number(single['orders'])} one a call and the rest in batches through the service).",
        "Ratios: API rates over the HTTP floor's requests/s; service rates over the insert floor's rows/s; step "
        "times over the floor's seconds (insert floor for database steps, CSV floor for written registers, lxml's "
        "own parse and validation of the same file for the satisfied register; its CSV ratio is in its row).",
        f"Memory is each step's process peak (ru_maxrss); the app alone, built and connected, holds "
        f"{base['peak_mb']} MB.",
        pages.limits(settings.clients, http_rate).replace("on every page", "from the API"),
        "One order a call costs a transaction of its own (the subscription's row, the last number, the audit "
        "chain's last link, a commit): about a dozen statements, whatever the order. A batch pays those once, "
        "which is what the batch figures show.",
        f"The satisfied register's proposal (XML, pro rata) took {report.seconds(proposal['seconds'])}; "
        f"the upload itself {report.seconds(steps['satisfied'].get('upload_seconds'))}.",
    ]
    if size != FULL_BOOK:
        notes.insert(
            0,
            f"BENCH_ORDERS={size}: a book of {report.number(size)} orders, not the issue's 200 000; the step time "
            f"targets are scaled to it (×{scale:g}).",
        )
    return {
        "title": "2. Subscription book",
        "floors": floors,
        "figures": figures,
        "notes": notes,
        "baseline_mb": base["peak_mb"],
        "proposal": proposal,
    }
