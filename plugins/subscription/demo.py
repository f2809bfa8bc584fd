"""Three demo subscriptions at the steps a new user wants to see, with dates relative to now (Almaty):

- one open for orders now (two buyers' orders in the book, acceptance ends in two working days);
- one whose acceptance ended on the last working day: activated, its accepted register produced, waiting
  for the seller's satisfied register (due by the next working day);
- one whose deals were formed on the last working day, waiting for the central depository's settlement.

Each is taken there by the plugin's own service functions, the way the people of the Rules would do it
(filing, the trading department's note, the board member's decision, the CD's consent, orders, activation,
the accepted register, the seller's satisfied register, the deals), at the moments of its calendar. Only
the moments the service takes from the clock itself (decisions and registration) are moved back to the
filing day afterwards, so the history reads in order. Idempotent: a subscription whose ISIN is there
already is left as it is.
"""

import datetime
from decimal import Decimal

from core.accounts.models import User
from core.db import utcnow
from core.workdays import add_working_days, is_working_day, working_days_between
from core.workflow.cascade import make_isin
from plugins.subscription import rules, service, settlement
from plugins.subscription.models import RegisterJob, Subscription, TradeAccount
from plugins.subscription.registers.jobs import build_register, start_accepted, start_proposal
from plugins.subscription.registers.receive import check_satisfied_register, receive_satisfied

OPEN = make_isin("KZ1C0000101")
AWAITING_SATISFIED = make_isin("KZ1C0000102")
DEALS = make_isin("KZ1C0000103")
ISSUER = "АО «Demo Issuer»"
QUANTITY = 1000
# (buyer's e-mail, its trade-clearing account, limit price, quantity): 700 of 1,000 offered
ORDERS = (
    ("buyer1@demo.kz", "BUY1-KZT", Decimal("1100"), 400),
    ("broker@demo.kz", "BRKR-KZT", Decimal("1000"), 300),
)
# The open subscription runs two acceptance windows (issue #17), as large placements do: each buyer's
# orders go to its own, and the book page and the registers show each window's demand apart.
WINDOWS = (
    ("Институциональные инвесторы", Decimal("100000")),  # (name, minimum order in KZT)
    ("Розничные инвесторы", None),
)
WINDOW_OF = {"buyer1@demo.kz": "Институциональные инвесторы", "broker@demo.kz": "Розничные инвесторы"}


def working_days_before(day: datetime.date, count: int) -> datetime.date:
    """The working day ``count`` working days before ``day``."""
    while count:
        day -= datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def filed_for(accept_day: datetime.date) -> datetime.date:
    """The latest working day an application may be filed for acceptance on ``accept_day`` (S-3.1: three
    working days before; acceptance may begin on a day off, which then counts for none)."""
    day = working_days_before(accept_day, 3)
    while working_days_between(day, accept_day) < 3:
        day = working_days_before(day, 1)
    return day


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An Almaty date and time as the stored UTC moment."""
    return rules.utc(day, datetime.time(hour, minute))


def _conditions(isin, accept_from, accept_to, activation, accepted_on, satisfied_on, deal_day) -> dict:
    return {
        "issuer_name": ISSUER,
        "security_kind": "equity",
        "isin": isin,
        "quantity": QUANTITY,
        "price": Decimal("1000"),
        "book_value": Decimal("900"),
        "seller_account_type": "субсчет",
        "seller_account": "SELL-001",
        "accept_from": accept_from,
        "accept_to": accept_to,
        "activation_at": activation,
        "ccp": True,
        "collateral_mode": "submission",
        "settlement_org": "cd",
        "accepted_register_on": accepted_on,
        "satisfied_register_on": satisfied_on,
        "deal_at": _at(deal_day, 11),
        "settlement_at": _at(deal_day, 15),
    }


def _registered(people: dict, fields: dict, filed_at: datetime.datetime, echo, windows=()) -> Subscription:
    """Filed at ``filed_at`` (S-3.1), checked, approved, consented to by the CD and numbered (S-3.2-S-3.5);
    ``windows``: (name, minimum) of acceptance windows spanning the period, set before filing."""
    sub = service.create(people["seller@demo.kz"], fields)
    for name, minimum in windows:
        service.add_window(sub, people["seller@demo.kz"], name, fields["accept_from"], fields["accept_to"], minimum)
    service.file(sub, people["seller@demo.kz"], at=filed_at)
    note = "Соответствует правилам и техническим возможностям Биржи."
    service.trading_check(sub, people["trading@exchange.demo"], note)
    service.board_decide(sub, people["board@exchange.demo"], True, "Провести подписку на условиях заявления.")
    service.cd_answer(sub, people["csd@demo.kz"], True)
    # The service stamps its decisions with the clock; on the demo's calendar they came within the hour
    # after filing, before acceptance began.
    Subscription.update(
        decided_at=filed_at + datetime.timedelta(minutes=20),
        cd_consent_at=filed_at + datetime.timedelta(minutes=40),
        registered_at=filed_at + datetime.timedelta(minutes=40),
        announced_at=filed_at + datetime.timedelta(minutes=40),
    ).where(Subscription.id == sub.id).execute()
    sub = Subscription.get_by_id(sub.id)
    echo(f"subscription {sub.number} ({sub.isin})")
    return sub


def _place_orders(sub: Subscription, people: dict, at: datetime.datetime) -> None:
    windows = {window.name: window for window in service.windows_of(sub)}
    for email, account, price, quantity in ORDERS:
        fields = {
            "kind": "limit",
            "price": price,
            "quantity": quantity,
            "account": TradeAccount.get(TradeAccount.code == account),
        }
        if windows:
            fields["window"] = windows[WINDOW_OF[email]]
        service.submit_order(sub, people[email], fields, at=at)


def _accepted_register(sub: Subscription, people: dict) -> None:
    """Activation at its time (S-4.5) and the accepted register (S-8.1), produced here rather than by the
    worker so the demo is complete as soon as ``is2in demo`` ends (the queued jobs then find them done)."""
    service.activate(sub, at=sub.activation_at)
    for job in start_accepted(sub, people["trading@exchange.demo"]):
        build_register(job.id)


def _satisfied_register(sub: Subscription, people: dict, at: datetime.datetime) -> None:
    """The seller asks for the proposed satisfied register (every order in full: the demand is below the
    offer) and sends it back as it is (S-9.5); the Exchange checks and accepts it."""
    seller = people["seller@demo.kz"]
    proposal = start_proposal(sub, seller, "prorata", "xlsx")
    build_register(proposal.id)
    proposal = RegisterJob.get_by_id(proposal.id)
    if proposal.status != "done":
        raise RuntimeError(f"the demo's register proposal failed: {proposal.message}")
    job = receive_satisfied(sub, seller, proposal.file.read(), "satisfied-register.xlsx", at=at)
    # It came in on the day the Rules give; the check holds it to that moment (S-9.3), not to now.
    RegisterJob.update(created_at=at).where(RegisterJob.id == job.id).execute()
    check_satisfied_register(job.id)
    job = RegisterJob.get_by_id(job.id)
    if job.status != "done":
        raise RuntimeError(f"the demo's satisfied register was not accepted: {job.message} {job.errors}")


def load(echo=print) -> None:
    emails = ("seller@demo.kz", "trading@exchange.demo", "board@exchange.demo", "csd@demo.kz") + tuple(
        email for email, *_ in ORDERS
    )
    people = {u.email: u for u in User.select().where(User.email.in_(emails))}
    if len(people) < len(emails) or TradeAccount.select().where(TradeAccount.code == "BUY1-KZT").count() == 0:
        echo("demo subscriptions skipped: the demo accounts are not all there")
        return
    existing = {isin for (isin,) in Subscription.select(Subscription.isin).tuples()}
    now = utcnow().replace(second=0, microsecond=0)
    today = rules.local(now).date()
    last = working_days_before(today, 1)  # the last working day before today

    if OPEN not in existing:
        # Acceptance began two hours ago and ends at 17:00 two working days from today; activation at 16:30, inside
        # the period, so the seller can still remove orders after it (S-4.3).
        accept_from = now - datetime.timedelta(hours=2)
        close = add_working_days(today, 2)
        satisfied_on = add_working_days(close, 1)
        fields = _conditions(
            OPEN,
            accept_from,
            _at(close, 17),
            _at(close, 16, 30),
            close,
            satisfied_on,
            add_working_days(satisfied_on, 1),
        )
        filed = _at(filed_for(rules.local(accept_from).date()), 10)
        sub = _registered(people, fields, filed, echo, windows=WINDOWS)
        _place_orders(sub, people, accept_from + datetime.timedelta(minutes=30))

    if AWAITING_SATISFIED not in existing:
        # Acceptance ran over the two last working days; the satisfied register is due on the next working day.
        start = working_days_before(last, 1)
        due = add_working_days(last, 1)
        fields = _conditions(
            AWAITING_SATISFIED, _at(start, 10), _at(last, 17), _at(last, 16, 30), due, due, add_working_days(due, 1)
        )
        sub = _registered(people, fields, _at(filed_for(start), 10), echo)
        _place_orders(sub, people, _at(start, 11))
        _accepted_register(sub, people)

    if DEALS not in existing:
        # The deals were formed at 11:00 on the last working day; the CD has yet to settle them.
        deal_day = last
        satisfied_on = working_days_before(deal_day, 1)
        close = working_days_before(satisfied_on, 1)
        start = working_days_before(close, 1)
        fields = _conditions(
            DEALS, _at(start, 10), _at(close, 17), _at(close, 16, 30), satisfied_on, satisfied_on, deal_day
        )
        sub = _registered(people, fields, _at(filed_for(start), 10), echo)
        _place_orders(sub, people, _at(start, 11))
        _accepted_register(sub, people)
        _satisfied_register(Subscription.get_by_id(sub.id), people, _at(satisfied_on, 12))
        formed = settlement.form_deals(Subscription.get_by_id(sub.id), at=fields["deal_at"])
        echo(f"subscription {sub.number}: {formed.count} deal(s) formed")
