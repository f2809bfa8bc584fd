"""The seller's live book (S-4.6): demand curve, bid-to-cover, fair value (S-4.5), demand by investor type,
the htmx refresh, and the allocation helper (S-9.1, S-9.2)."""

import random
import re
from decimal import Decimal

import pytest
from lxml import etree

from plugins.subscription import activation, book, rules, service
from plugins.subscription.models import Order, Subscription, TradeAccount

SVG = "{http://www.w3.org/2000/svg}"


def submit(app, sub, user, account, **fields):
    for key in ("price", "yield_rate", "money"):
        if isinstance(fields.get(key), str):
            fields[key] = Decimal(fields[key])
    with app.test_request_context():
        return service.submit_order(sub, user, {"kind": "limit", "account": account, **fields})


@pytest.fixture
def worked(app, members, make_subscription):
    """1 000 shares offered at a book value of 900; five orders from two members, two of them for clients."""
    sub = make_subscription(quantity=1000, book_value=Decimal("900"))
    b1, b2, acc1, acc2 = members["buyer1"], members["buyer2"], members["acc1"], members["acc2"]
    submit(app, sub, b1, acc1, price="1100", quantity=300)
    submit(
        app,
        sub,
        b1,
        acc1,
        price="1050",
        quantity=200,
        for_client=True,
        investor_name="Инвестор А",
        investor_id="800101300123",
        qualified=True,
    )
    submit(app, sub, b2, acc2, price="1000", quantity=400)
    submit(
        app,
        sub,
        b2,
        acc2,
        price="950",
        quantity=500,
        for_client=True,
        investor_name="Investor B",
        investor_id="990101300456",
        investor_resident=False,
    )
    submit(app, sub, b1, acc1, kind="market", basis="quantity", quantity=100)
    return Subscription.get_by_id(sub.id)


def svg_of(html: str):
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no SVG in the page"
    return etree.fromstring(match.group(0).encode())  # raises unless well-formed XML


# --- figures -------------------------------------------------------------------------------------------------


@pytest.mark.rule("S-4.5")
@pytest.mark.rule("S-4.6")
def test_worked_book_figures(app, worked):
    with app.test_request_context():
        figures = book.book_of(worked)
    # S-4.5: (1100*300 + 1050*200 + 1000*400 + 950*500) / 1400 = 1 415 000 / 1400
    assert figures.fair_value == Decimal("1010.7143")
    assert figures.market_price == figures.fair_value  # a two-day period: market orders at the fair value
    assert figures.offered == 1000
    assert figures.demand == 1500  # 100 at market + 1400 limit
    assert figures.bid_to_cover == Decimal("1.50")
    # highest price first: 100 (market), then 1100 -> 400, 1050 -> 600, 1000 -> 1000 covers the offer
    assert [(level[0], level[3]) for level in figures.levels] == [
        (Decimal("1100"), 400),
        (Decimal("1050"), 600),
        (Decimal("1000"), 1000),
        (Decimal("950"), 1500),
    ]
    assert figures.clearing == Decimal("1000")
    # S-4.6: the seller's figures count every member's orders
    assert figures.orders == 5 and figures.investors == 4  # BUY1, BUY2 and two clients
    by_label = {s.label: s for s in figures.slices}
    own, clients = by_label["Собственные заявки членов Биржи"], by_label["Заявки клиентов"]
    assert (own.orders, own.investors, own.quantity) == (3, 2, 800)
    assert own.volume == Decimal("831071.43")  # 330 000 + 400 000 + 100 x 1010.7143
    assert (clients.orders, clients.investors, clients.quantity, clients.volume) == (2, 2, 700, Decimal("685000.00"))
    assert by_label["Нерезиденты"].quantity == 500 and by_label["Резиденты"].quantity == 1000
    assert by_label["Квалифицированные инвесторы"].orders == 1
    assert figures.volume == Decimal("1516071.43")


@pytest.mark.rule("S-4.5")
def test_the_book_fair_value_is_what_activation_uses(app, worked):
    with app.test_request_context():
        expected = book.book_of(worked).fair_value
        activated = activation.activate(worked)
    assert Subscription.get_by_id(activated.id).fair_value == expected
    # after activation the market order has its quantity at that price
    market = Order.get((Order.subscription == worked.id) & (Order.kind == "market"))
    assert market.quantity == 100


@pytest.mark.rule("S-4.5")
def test_without_limit_orders_the_fair_value_is_the_agreed_book_value_or_nominal(app, members, make_subscription):
    equity = make_subscription(book_value=Decimal("900"))
    submit(app, equity, members["buyer1"], members["acc1"], kind="market", basis="quantity", quantity=10)
    debt = make_subscription(
        security_kind="debt",
        quantity=None,
        total_nominal=Decimal("1000000"),
        nominal=Decimal("1000"),
        ccp=False,
        settlement_org="other",
    )
    with app.test_request_context():
        assert book.book_of(equity).fair_value == Decimal("900")
        empty = book.book_of(debt)
    assert empty.fair_value == Decimal("1000") and empty.offered == 1000 and empty.demand == 0


def test_debt_book_runs_from_the_lowest_yield(app, members, make_subscription):
    sub = make_subscription(
        security_kind="debt",
        quantity=None,
        total_nominal=Decimal("1000000"),
        nominal=Decimal("1000"),
        ccp=False,
        settlement_org="other",
    )
    b1, acc1 = members["buyer1"], members["acc1"]
    submit(app, sub, b1, acc1, yield_rate="12.5", quantity=300)
    submit(app, sub, b1, acc1, yield_rate="12.0", quantity=500)
    submit(app, sub, b1, acc1, yield_rate="13.0", price="990", quantity=400)
    with app.test_request_context():
        figures = book.book_of(sub)
        proposal = book.propose(
            sub, figures.offered, "cutoff", cutoff=Decimal("12.5"), market_price=figures.market_price
        )
    assert [(level[0], level[3]) for level in figures.levels] == [
        (Decimal("12.0"), 500),
        (Decimal("12.5"), 800),
        (Decimal("13.0"), 1200),
    ]
    assert figures.clearing == Decimal("13.0") and figures.bid_to_cover == Decimal("1.20")  # 800 < 1000 <= 1200
    assert figures.fair_value == Decimal("990")  # only one order gave a price
    assert (proposal.filled_orders, proposal.quantity) == (2, 800)


# --- the page: who sees it, SVG, htmx -------------------------------------------------------------------------


@pytest.mark.rule("S-4.6")
@pytest.mark.parametrize(
    "who, status",
    [
        ("seller@demo.kz", 200),
        ("trading", 200),
        ("buyer1@demo.kz", 404),
        ("buyer2@demo.kz", 404),
        ("csd@demo.kz", 404),
        ("board", 403),
    ],
)
def test_only_the_seller_and_the_trading_department_see_the_book(client, auth, make, worked, who, status):
    email = who
    if "@" not in who:
        email = f"{who}@kase.kz"
        make.staff(who, email=email)
    auth.login(email)
    assert client.get(f"/subscriptions/{worked.id}/book").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, worked):
    response = client.get(f"/subscriptions/{worked.id}/book")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.rule("S-4.6")
def test_demand_curve_is_well_formed_svg_with_axes_offer_and_fair_value(client, auth, worked):
    auth.login("seller@demo.kz")
    response = client.get(f"/subscriptions/{worked.id}/book")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "style=" not in html and "<script>" not in html  # the CSP forbids inline styles and scripts
    svg = svg_of(html)
    assert svg.tag == f"{SVG}svg" and svg.get("viewBox")
    assert svg.find(f"{SVG}title").text == "Кривая спроса"
    curve = svg.find(f".//{SVG}path[@class='demand-curve']")
    # M + 2 points for market orders + 2 per price level + the drop to the axis
    assert curve.get("d").startswith("M") and curve.get("d").count(" L") == 2 + 2 * 4
    assert svg.find(f".//{SVG}line[@class='offer']") is not None
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Справедливая цена 1 010.71" in texts
    assert "Цена" in texts and "Совокупный спрос, штук" in texts
    assert len(svg.findall(f".//{SVG}g[@class='ticks']/{SVG}text")) >= 6  # ticks on both axes
    assert svg.find(f".//{SVG}circle[@class='clearing']") is not None
    for figure in ("1.50", "1 010.71", "1 516 071.43"):
        assert figure in html


def test_htmx_gets_the_self_refreshing_block_and_a_boosted_load_the_page(client, auth, worked):
    auth.login("seller@demo.kz")
    url = f"/subscriptions/{worked.id}/book"
    page = client.get(url)
    assert "<html" in page.get_data(as_text=True) and "Помощник распределения" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Помощник распределения" not in fragment
    assert fragment.lstrip().startswith('<div class="book-live"')
    assert 'hx-trigger="every 10s"' in fragment and 'hx-swap="outerHTML"' in fragment and 'hx-target="this"' in fragment
    assert f'hx-get="{url}"' in fragment
    svg_of(fragment)
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<html" in boosted


def test_a_closed_book_does_not_poll(app, client, auth, worked):
    from plugins.subscription.models import Subscription
    from tests.plugins.subscription.conftest import end_period

    with app.test_request_context():
        activation.activate(worked)
    auth.login("seller@demo.kz")
    # activation inside the period (S-4.3) does not close the book: orders still come, change and go
    assert 'hx-trigger="every 10s"' in client.get(f"/subscriptions/{worked.id}/book").get_data(as_text=True)
    end_period(Subscription.get_by_id(worked.id))
    html = client.get(f"/subscriptions/{worked.id}/book").get_data(as_text=True)
    assert "hx-trigger" not in html and "Кривая спроса" in html


def test_an_empty_book_says_so(client, auth, make_subscription):
    sub = make_subscription()
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{sub.id}/book").get_data(as_text=True)
    assert "Заявок пока нет." in html and "<svg" not in html


def test_the_subscription_page_links_the_seller_and_trading_to_the_book(client, auth, make, worked):
    url = f"/subscriptions/{worked.id}/book"
    make.staff("trading", email="trading@kase.kz")
    for email, shown in (("seller@demo.kz", True), ("trading@kase.kz", True), ("buyer1@demo.kz", False)):
        auth.login(email)
        assert (f'href="{url}"' in client.get(f"/subscriptions/{worked.id}").get_data(as_text=True)) is shown, email
        auth.logout()


# --- allocation (S-9) --------------------------------------------------------------------------------------------


@pytest.mark.rule("S-9.1")
def test_allocation_by_cut_off_price_fills_the_orders_at_or_above_it(app, client, auth, worked):
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{worked.id}/book?method=cutoff&cutoff=1000").get_data(as_text=True)
    # market 100 + 300 + 200 + 400 = 1000: four orders of three investors, at their own prices
    with app.test_request_context():
        proposal = book.propose(worked, 1000, "cutoff", cutoff=Decimal("1000"), market_price=Decimal("1010.7143"))
    assert (proposal.filled_orders, proposal.quantity, proposal.investors) == (4, 1000, 3)
    assert proposal.volume == Decimal("1041071.43") and proposal.left == 0
    assert "Предлагаемое распределение" in html and "1 041 071.43" in html
    svg = svg_of(html)
    assert "Отсечение 1 000.00" in [t.text for t in svg.iter(f"{SVG}text")]


@pytest.mark.rule("S-9.1")
@pytest.mark.rule("S-9.2")
@pytest.mark.parametrize(
    "query",
    ["method=prorata", "method=threshold&threshold=150", "method=cutoff&cutoff=900", "method=cutoff&cutoff=1100"],
)
def test_allocation_totals_never_exceed_the_offer(app, client, auth, worked, query):
    auth.login("seller@demo.kz")
    response = client.get(f"/subscriptions/{worked.id}/book?{query}")
    assert response.status_code == 200 and "Предлагаемое распределение" in response.get_data(as_text=True)
    args = dict(part.split("=") for part in query.split("&"))
    with app.test_request_context():
        proposal = book.propose(
            worked,
            1000,
            args["method"],
            cutoff=Decimal(args.get("cutoff", "0")),
            threshold=int(args.get("threshold", 0)),
            market_price=Decimal("1010.7143"),
        )
    assert proposal.quantity <= proposal.offered == 1000
    if args["method"] in ("prorata", "threshold"):
        assert proposal.quantity == 1000 and proposal.filled_orders == 5  # demand 1500 covers it
    if args.get("cutoff") == "1100":
        assert proposal.quantity == 400  # only the market order and the 1100 bid


@pytest.mark.rule("S-9.2")
def test_largest_remainder_never_exceeds_the_offer_on_random_books():
    generator = random.Random(2026)
    for _ in range(300):
        wants = [generator.randint(0, 5000) for _ in range(generator.randint(1, 40))]
        offered = generator.randint(0, 60000)
        orders = [{"price": Decimal(generator.randint(90, 110)), "quantity": w} for w in wants]
        for method, extra in (("prorata", {}), ("threshold", {"threshold": 700}), ("cutoff", {"cutoff": Decimal(100)})):
            given = rules.allocate(orders, offered, method, **extra)
            assert sum(given) <= offered
            assert all(0 <= g <= w for g, w in zip(given, wants, strict=True))
            eligible = sum(w for o, w in zip(orders, wants, strict=True) if method != "cutoff" or o["price"] >= 100)
            assert sum(given) == min(offered, eligible)


@pytest.mark.rule("S-9.2")
def test_a_private_placement_proposal_over_50_investors_is_flagged(app, members, make_subscription):
    sub = make_subscription(private=True, quantity=100)
    TradeAccount.update(balance=Decimal("10000000000")).where(TradeAccount.code == "BUY1-KZT").execute()
    for n in range(50):
        submit(
            app,
            sub,
            members["buyer1"],
            members["acc1"],
            price="100000",
            quantity=1,
            for_client=True,
            investor_name=f"Инвестор {n}",
            investor_id=f"{800000000000 + n}",
            qualified=True,
        )
    with app.test_request_context():
        proposal = book.propose(sub, 100, "prorata")
    assert proposal.investors == 50 and not proposal.private_limit_broken
    # an omnibus account names its investors only after acceptance (S-7.2), so the book can hold more
    Order.create(
        subscription=sub,
        number=51,
        buyer=members["buyer1"].organisation,
        account=members["acc1"],
        kind="limit",
        price=Decimal("100000"),
        quantity=1,
        for_client=True,
        omnibus=True,
        investor_id="800000000999",
        qualified=True,
    )
    with app.test_request_context():
        proposal = book.propose(sub, 100, "prorata")
    assert proposal.investors == 51 and proposal.private_limit_broken


def test_the_allocation_form_says_what_is_missing(client, auth, worked):
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{worked.id}/book?method=threshold").get_data(as_text=True)
    assert "Укажите порог полного удовлетворения." in html and "Предлагаемое распределение" not in html
    html = client.get(f"/subscriptions/{worked.id}/book?method=cutoff&cutoff=").get_data(as_text=True)
    assert "Укажите цену (доходность) отсечения." in html


def test_the_cut_off_defaults_to_the_level_that_covers_the_offer(client, auth, worked):
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{worked.id}/book").get_data(as_text=True)
    assert re.search(r'name="cutoff"[^>]*value="1000(\.0+)?"', html)


def test_the_seller_can_have_the_proposal_written_as_a_satisfied_register(app, client, auth, make, worked):
    if "subscription.register_proposal" not in app.view_functions:
        pytest.skip("the registers module is not installed")
    action = f"/subscriptions/{worked.id}/registers/proposal"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "subscription.register_proposal")
    assert "POST" in rule.methods
    auth.login("seller@demo.kz")
    html = client.get(f"/subscriptions/{worked.id}/book?method=cutoff&cutoff=1000").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{action}".*?</form>', html, re.S).group(0)
    assert 'name="method" value="cutoff"' in form and 'name="cutoff" value="1000' in form
    assert 'name="csrf_token"' in form
    auth.logout()
    make.staff("trading", email="trading@kase.kz")
    auth.login("trading@kase.kz")  # the register is the seller's to make
    html = client.get(f"/subscriptions/{worked.id}/book?method=prorata").get_data(as_text=True)
    assert "Предлагаемое распределение" in html and action not in html
