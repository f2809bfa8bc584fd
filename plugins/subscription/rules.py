"""The numbers and checks of the subscription rules (seed 004), as plain functions of plain values:
the application's dates (S-3), order limits (S-2.3, S-4.1), fair value and market-order quantities
(S-4.5), allocation with largest-remainder rounding (S-9), netting (S-10.4) and penalties (S-12)."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from core import add_working_days, clock, working_days_between

PRIVATE_MIN_ORDER = Decimal("100000")  # S-4.1, KZT
PRIVATE_MAX_INVESTORS = 50  # S-2.3, S-9.2
PENALTY_RATE = Decimal("0.001")  # S-12.2: 0.1%
CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def local(moment: datetime.datetime) -> datetime.datetime:
    """A stored UTC moment as the Exchange's (Almaty) time: core.clock."""
    return clock.to_local(moment)


def utc(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """An Exchange (Almaty) date and time as the naive UTC moment stored."""
    return clock.at(day, time)


# --- the application (S-3, form S-A1) -------------------------------------------------------------


@dataclass
class Conditions:
    """What the checks of S-A1 need, in Almaty dates and times."""

    filed_at: datetime.datetime  # Almaty
    accept_from: datetime.datetime
    accept_to: datetime.datetime
    activation_at: datetime.datetime
    accepted_register_on: datetime.date
    satisfied_register_on: datetime.date
    deal_at: datetime.datetime
    settlement_at: datetime.datetime
    ccp: bool
    settlement_org: str  # cd | other
    collateral_mode: str  # submission | at_time
    collateral_at: datetime.datetime | None
    abroad: bool
    criteria_check: bool
    market_orders: bool
    security_kind: str
    quantity: int | None
    total_nominal: Decimal | None
    nominal: Decimal | None


def check_conditions(c: Conditions) -> dict[str, str]:
    """Every broken condition of the application, by field name, in words for the seller."""
    errors = {}
    if c.abroad and c.settlement_org == "other":
        # S-3.7: with simultaneous placement abroad and settlement by another organisation, at least
        # 30 minutes before the acceptance period.
        if c.accept_from - c.filed_at < datetime.timedelta(minutes=30):
            errors["accept_from"] = _l("Заявление подается не позднее чем за 30 минут до начала приема заявок.")
    elif working_days_between(c.filed_at.date(), c.accept_from.date()) < 3:
        errors["accept_from"] = _l(
            "Заявление подается не позднее чем за три рабочих дня до начала приема заявок: "
            "прием может начаться не ранее %(date)s.",
            date=add_working_days(c.filed_at.date(), 3).strftime("%d.%m.%Y"),
        )
    if c.accept_to <= c.accept_from:
        errors["accept_to"] = _l("Окончание приема заявок должно быть позже его начала.")
    if not (c.accept_from < c.activation_at <= c.accept_to):
        # S-4.3: the seller removes orders "after activation, during the acceptance period"; S-4.2: the control
        # user refuses from activation on. Activation is a moment of the period, not after it.
        errors["activation_at"] = _l(
            "Активация проводится в период приема заявок: после его начала и не позднее его окончания "
            "(продавец снимает заявки после активации до окончания приема, п. 3 ст. 4)."
        )
    if c.accepted_register_on < c.accept_to.date():
        errors["accepted_register_on"] = _l("Реестр принятых заявок формируется после окончания приема заявок.")
    elif c.accepted_register_on > add_working_days(c.accept_to.date(), 1):
        errors["accepted_register_on"] = _l(
            "Реестр принятых заявок направляется не позднее рабочего дня, следующего за днем окончания приема заявок."
        )
    if c.satisfied_register_on < c.accepted_register_on:
        errors["satisfied_register_on"] = _l("Реестр удовлетворенных заявок следует за реестром принятых заявок.")
    elif working_days_between(c.satisfied_register_on, c.deal_at.date()) < 1:
        errors["satisfied_register_on"] = _l(
            "Реестр удовлетворенных заявок представляется не позднее чем за один рабочий день до даты удовлетворения."
        )
    if c.settlement_at < c.deal_at:
        errors["settlement_at"] = _l("Расчеты не могут проводиться раньше заключения сделок.")
    elif c.ccp and c.settlement_at.date() != c.deal_at.date():
        errors["settlement_at"] = _l("С участием центрального контрагента расчеты проводятся в дату заключения сделок.")
    if c.ccp and c.settlement_org != "cd":
        errors["settlement_org"] = _l(
            "С участием центрального контрагента расчеты проводятся через корреспондентский счет Биржи "
            "в центральном депозитарии."
        )
    if c.collateral_mode == "at_time":
        if not c.ccp:
            errors["collateral_mode"] = _l(
                "Проверка обеспечения в заданное время возможна только с участием центрального контрагента; "
                "без него обеспечение проверяется на момент заключения сделки."
            )
        elif c.collateral_at is None:
            errors["collateral_at"] = _l("Укажите дату и время проверки обеспечения.")
        elif not (c.accept_from <= c.collateral_at <= c.activation_at):
            errors["collateral_at"] = _l("Проверка обеспечения проводится между началом приема заявок и активацией.")
    if c.criteria_check and c.settlement_org != "cd":
        errors["criteria_check"] = _l("Проверку заявок на соответствие критериям проводит центральный депозитарий.")
    if c.security_kind == "equity" and not c.quantity:
        errors["quantity"] = _l("Укажите количество размещаемых ценных бумаг.")
    if c.security_kind == "debt":
        if not c.total_nominal:
            errors["total_nominal"] = _l("Укажите объем выпуска по номинальной стоимости.")
        if not c.nominal:
            errors["nominal"] = _l("Укажите номинальную стоимость одной облигации.")
    return errors


def one_day(accept_from: datetime.datetime, accept_to: datetime.datetime) -> bool:
    """The acceptance period lies within one day (S-4.5 (1) and (3))."""
    return local(accept_from).date() == local(accept_to).date()


# --- market orders (S-4.5) ------------------------------------------------------------------------


def fair_value(limit_orders, fallback: Decimal | None) -> Decimal | None:
    """S-4.5 (2): the volume-weighted average price of all accepted limit orders; with none, the book
    value (equity) or nominal (debt) agreed with the seller. ``limit_orders``: (price, quantity)."""
    volume = Decimal(0)
    quantity = 0
    for price, qty in limit_orders:
        volume += Decimal(price) * qty
        quantity += qty
    if quantity:
        return (volume / quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return Decimal(fallback) if fallback is not None else None


def market_quantity(basis: str, quantity: int | None, money_amount: Decimal | None, price: Decimal) -> int:
    """The quantity of a market order at ``price``: as given, or as much as its money buys."""
    if basis == "money":
        return int((Decimal(money_amount) / Decimal(price)).to_integral_value(rounding=ROUND_DOWN))
    return int(quantity or 0)


# --- allocation (S-9, the seller's helper) --------------------------------------------------------


def largest_remainder(wants: list[int], total: int) -> list[int]:
    """Split ``total`` in proportion to ``wants`` in whole units, never above a want, summing to at
    most ``total`` (exactly ``total`` when the wants cover it): floors first, then one unit each to the
    largest remainders (ties to the earlier order)."""
    demand = sum(wants)
    if demand <= total:
        return list(wants)
    if total <= 0 or demand == 0:
        return [0] * len(wants)
    shares = [Decimal(w) * total / demand for w in wants]
    given = [int(s.to_integral_value(rounding=ROUND_DOWN)) for s in shares]
    left = total - sum(given)
    order = sorted(range(len(wants)), key=lambda i: (-(shares[i] - given[i]), i))
    for i in order[:left]:
        if given[i] < wants[i]:
            given[i] += 1
    return given


def allocate(
    orders: list[dict], offered: int, method: str, cutoff: Decimal | None = None, threshold: int = 0, debt: bool = False
) -> list[int]:
    """A proposed quantity per order (same order as given). ``orders``: dicts with ``price`` (or yield
    for debt), ``quantity``. Methods: ``cutoff`` (fill everything priced at or better than the cut-off,
    pro rata at the margin), ``prorata`` (everyone pro rata), ``threshold`` (fill each order fully up
    to ``threshold`` units, then the rest pro rata)."""
    wants = [int(o["quantity"]) for o in orders]
    if method == "prorata":
        return largest_remainder(wants, offered)
    if method == "threshold":
        first = [min(w, threshold) for w in wants]
        if sum(first) >= offered:
            return largest_remainder(first, offered)
        rest = largest_remainder([w - f for w, f in zip(wants, first, strict=True)], offered - sum(first))
        return [f + r for f, r in zip(first, rest, strict=True)]
    if method == "cutoff":

        def better(o):  # higher price is better; for debt, lower yield is better
            value = o.get("yield") if debt else o.get("price")
            if value is None:  # a market order takes any price
                return True
            return Decimal(value) <= cutoff if debt else Decimal(value) >= cutoff

        eligible = [w if better(o) else 0 for o, w in zip(orders, wants, strict=True)]
        return largest_remainder(eligible, offered)
    raise ValueError(f"unknown allocation method {method!r}")


# --- settlement (S-10) ----------------------------------------------------------------------------


def net_positions(deals, seller_id) -> dict:
    """S-10.4: with CCP each participant's claims and obligations netted: money (+ receives) and
    securities (+ receives). ``deals``: (buyer_id, quantity, volume)."""
    positions = {}
    for buyer, quantity, volume in deals:
        money_, securities = positions.get(buyer, (Decimal(0), 0))
        positions[buyer] = (money_ - Decimal(volume), securities + quantity)
        money_, securities = positions.get(seller_id, (Decimal(0), 0))
        positions[seller_id] = (money_ + Decimal(volume), securities - quantity)
    return positions


# --- defaults without CCP (S-12) ------------------------------------------------------------------


@dataclass
class PenaltyTerms:
    amount: Decimal
    claim_until: datetime.date  # S-12.2: within 5 working days of the failed deal
    notice_due: datetime.date  # S-12.3: the 2nd working day after the claim
    dispute_until: datetime.date  # S-12.6: 5 working days from the deal date


def penalty(unexecuted_amount, deal_date: datetime.date, claimed_on: datetime.date) -> PenaltyTerms:
    return PenaltyTerms(
        amount=money(Decimal(unexecuted_amount) * PENALTY_RATE),
        claim_until=add_working_days(deal_date, 5),
        notice_due=add_working_days(claimed_on, 2),
        dispute_until=add_working_days(deal_date, 5),
    )


def payment_due(noticed_on: datetime.date) -> datetime.date:
    """S-12.4: the guilty party pays by the 5th working day after the Exchange's notice."""
    return add_working_days(noticed_on, 5)


def pass_on_due(paid_on: datetime.date) -> datetime.date:
    """S-12.5: the Exchange passes the penalty on within 2 working days of receiving it."""
    return add_working_days(paid_on, 2)
