"""The columns of form S-A2 and the values a register shows in them: prices, volumes, the investor and
buyer columns, and the TOTAL row. Shared by the writers, the checker and the pages."""

import datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.models import Organisation, User
from plugins.subscription import rules, service
from plugins.subscription.models import Order, Subscription

NS = "urn:kase:is2in:subscription:register:1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_PATH = Path(__file__).parent.parent / "static" / "register.xsd"
SCHEMA_NAME = "register-v1.xsd"


# --- the columns of form S-A2 ---------------------------------------------------------------------

ACCEPTED_GROUP = _l("Параметры принятой заявки")
SATISFIED_GROUP = _l("Параметры удовлетворенной заявки")

# (key, column, group, label); columns 4 and 8 (yield) only for debt securities.
COLUMNS = (
    ("row", "A", None, _l("№ п/п")),
    ("number", "1", None, _l("Номер заявки")),
    ("submitted", "2", None, _l("Дата и время подачи заявки")),
    ("acc_price", "3", ACCEPTED_GROUP, _l("цена")),
    ("acc_yield", "4", ACCEPTED_GROUP, _l("доходность")),
    ("acc_qty", "5", ACCEPTED_GROUP, _l("количество")),
    ("acc_volume", "6", ACCEPTED_GROUP, _l("объем")),
    ("sat_price", "7", SATISFIED_GROUP, _l("цена")),
    ("sat_yield", "8", SATISFIED_GROUP, _l("доходность")),
    ("sat_qty", "9", SATISFIED_GROUP, _l("количество")),
    ("sat_volume", "10", SATISFIED_GROUP, _l("объем")),
    ("inv_name", "11", None, _l("Контакты инвестора (наименование / ФИО)")),
    ("inv_contacts", "12", None, _l("Контакты инвестора")),
    (
        "inv_residency",
        "13",
        None,
        _l("Резидентство инвестора (гражданство физического лица / страна регистрации юридического лица)"),
    ),
    ("inv_id", "14", None, _l("ИИН / БИН")),
    ("inv_other", "15", None, _l("Иные дополнительные сведения по инвестору")),
    ("buyer_name", "16", None, _l("Наименование покупателя")),
    ("buyer_contacts", "17", None, _l("Контакты покупателя")),
)
LABELS = {column: label for _key, column, _group, label in COLUMNS}
# The cells of the TOTAL row: sums in 5, 6, 9 and 10, "X" where the form crosses a column out.
TOTAL_SUMS = {"acc_qty", "acc_volume", "sat_qty", "sat_volume"}
TOTAL_BLANK = {"row", "number"}


def columns_for(sub: Subscription) -> list[tuple]:
    return [c for c in COLUMNS if sub.is_debt or c[1] not in ("4", "8")]


def money_orders_note(sub: Subscription) -> str:
    """S-A2: what columns 5, 6 and 10 hold for a market order by money volume, stated in the register's head."""
    price = sub.fair_value
    return _(
        "Рыночная заявка на объем в деньгах: в графе 6 — объем заявки в деньгах; в графе 5 — количество, "
        "рассчитанное при активации по цене %(price)s (целых ценных бумаг); продавец указывает количество "
        "к удовлетворению, объем удовлетворения (графа 10) не может превышать объем заявки (графа 6).",
        price=f"{price:,.4f}".replace(",", " ") if price is not None else "—",
    )


def window_lines(sub: Subscription) -> list[str]:
    """Where the subscription ran separate acceptance windows (issue #17): each window's accepted orders,
    quantity and volume, apart, in the register's head (the S-A2 columns stay as the form has them)."""
    from plugins.subscription.models import Window, amount_of

    windows = list(Window.select().where(Window.subscription == sub).order_by(Window.accept_from, Window.name))
    if not windows:
        return []
    totals = {w.id: [0, 0, Decimal(0)] for w in windows}
    query = service.accepted_orders(sub).select(
        Order.window, Order.kind, Order.basis, Order.price, Order.quantity, Order.money
    )
    for window_id, kind, basis, price, quantity, money in query.tuples().iterator():
        if window_id in totals:
            line = totals[window_id]
            line[0] += 1
            line[1] += quantity or 0
            line[2] += amount_of(kind, basis, price, quantity, money, sub.fair_value) or 0
    return [
        _(
            "Окно «%(name)s» (%(start)s — %(end)s): заявок %(n)s, количество %(q)s, объем %(v)s.",
            name=w.name,
            start=_local(w.accept_from),
            end=_local(w.accept_to),
            n=totals[w.id][0],
            q=totals[w.id][1],
            v=f"{rules.money(totals[w.id][2]):,.2f}".replace(",", " "),
        )
        for w in windows
    ]


def title_of(kind: str) -> str:
    return _("Реестр принятых заявок") if kind == "accepted" else _("Реестр удовлетворенных заявок")


def offered(sub: Subscription) -> int:
    """What the seller offers, in securities: the quantity, or for debt the total nominal over the nominal."""
    if sub.is_debt:
        if not sub.total_nominal or not sub.nominal:
            return 0
        return int((Decimal(sub.total_nominal) / Decimal(sub.nominal)).to_integral_value(rounding=ROUND_DOWN))
    return int(sub.quantity or 0)


Q4 = Decimal("0.0001")


def _q4(value):
    return None if value is None else Decimal(value).quantize(Q4)


def _q2(value):
    return None if value is None else rules.money(value)


def _second(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(microsecond=0)


def market_price(sub: Subscription):
    """The price of every market order (S-4.5): the fair value set on activation, or the estimate before it."""
    return sub.fair_value or service.estimate_price(sub)


def unit_price(order, sub: Subscription, market=None):
    """Column 3: a limit order's own price (for debt, by the application's parameters when the order gives a
    yield only); a market order's price is the one its quantity was computed at on activation (S-4.5).
    ``market``: that price when the caller has it already (one look-up per register, not one per order)."""
    if order.kind == "market":
        return market if market is not None else market_price(sub)
    if order.price is not None:
        return order.price
    return (sub.price or sub.nominal) if sub.is_debt else None


def accepted_values(order, sub: Subscription, market=None) -> dict:
    """Columns 1-6 of an order in the accepted register: what the satisfied register must repeat unchanged."""
    unit = unit_price(order, sub, market)
    if order.kind == "market" and order.basis == "money":
        volume = order.money  # the seller may not exceed it (S-A2, instruction 3)
    elif unit is not None and order.quantity is not None:
        volume = rules.money(Decimal(unit) * order.quantity)
    else:
        volume = None
    return {
        "number": order.number,
        "submitted": _second(order.submitted_at),
        "acc_price": _q4(unit),
        "acc_yield": _q4(order.yield_rate) if sub.is_debt else None,
        "acc_qty": order.quantity,
        "acc_volume": _q2(volume),
    }


def investor_key(order) -> str:
    """Who the investor is, as the 50-investor limit counts them (the same key as at submission)."""
    return (order.investor_id or "") if order.for_client else f"member:{order.buyer_id}"


def _contacts(user) -> str:
    if user is None:
        return ""
    return ", ".join(p for p in (user.full_name, user.phone, user.email) if p)


class People:
    """Columns 11-17, filled only as the seller's application asked (S-A2, note 1; S-A1 condition 12). The
    buyers and the users who entered orders are few (hundreds for a book of 200,000 orders): each is read once,
    in a batch, and its columns kept; the wording is translated once per register, not once per order."""

    def __init__(self, sub: Subscription):
        self.enabled = bool(sub.investor_data)
        items = set(sub.items) if self.enabled else set()
        self.wanted = {
            "inv_name": "12.1" in items,
            "inv_id": "12.2" in items,
            "inv_residency": "12.3" in items,
            "inv_contacts": "12.4" in items,
            "inv_other": bool({"12.5", "12.6"} & items),
        }
        self.resident = str(_("резидент РК"))
        self.nonresident = str(_("нерезидент РК"))
        self.buyers = {}  # organisation id -> (name as the register shows it, BIN)
        self.contacts = {None: ""}  # user id -> contacts

    def load(self, orders) -> None:
        """Read the buyers and users of a batch of orders that are not known yet, in one query each."""
        if not self.enabled:
            return
        buyers = {o.buyer_id for o in orders} - self.buyers.keys()
        users = {o.entered_by_id for o in orders} - self.contacts.keys()
        for start in range(0, len(buyers), 500):
            chunk = sorted(buyers)[start : start + 500]
            query = Organisation.select(
                Organisation.id, Organisation.legal_form, Organisation.name_ru, Organisation.bin
            ).where(Organisation.id.in_(chunk))
            for org in query:
                self.buyers[org.id] = (f"{org.legal_form} «{org.name_ru}»", org.bin)
        for start in range(0, len(users), 500):
            chunk = sorted(users)[start : start + 500]
            query = User.select(
                User.id, User.first_name, User.last_name, User.middle_name, User.phone, User.email
            ).where(User.id.in_(chunk))
            for user in query:
                self.contacts[user.id] = _contacts(user)
        for missing in users - self.contacts.keys():
            self.contacts[missing] = ""

    def values(self, order) -> dict:
        if not self.enabled:
            return {}
        buyer_name, buyer_bin = self.buyers[order.buyer_id]
        entered = self.contacts[order.entered_by_id]
        if order.for_client:
            if order.omnibus and not order.investor_id:
                investor = {}  # S-7.2: the buyer sends the investors of an aggregated account after acceptance
            else:
                investor = {
                    "inv_name": order.investor_name,
                    "inv_contacts": order.investor_contacts,
                    "inv_residency": self.resident if order.investor_resident else self.nonresident,
                    "inv_id": order.investor_id,
                    "inv_other": order.investor_other,
                }
        else:  # the member buys for itself: it is the investor
            investor = {
                "inv_name": buyer_name,
                "inv_contacts": entered,
                "inv_residency": self.resident,
                "inv_id": buyer_bin,
                "inv_other": "",
            }
        wanted = self.wanted
        values = {k: v for k, v in investor.items() if v and wanted[k]}
        values["buyer_name"] = buyer_name
        values["buyer_contacts"] = entered
        return values


def people(order, sub: Subscription) -> dict:
    """Columns 11-17 of one order (``People`` does it for a whole register)."""
    who = People(sub)
    who.load([order])
    return who.values(order)


class Totals:
    def __init__(self):
        self.orders = 0
        self.acc_qty = 0
        self.acc_volume = Decimal(0)
        self.sat_qty = 0
        self.sat_volume = Decimal(0)
        self.satisfied = False

    def add(self, acc: dict, sat: dict | None):
        self.orders += 1
        self.acc_qty += acc["acc_qty"] or 0
        self.acc_volume += acc["acc_volume"] or 0
        if sat is not None:
            self.satisfied = True
            self.sat_qty += sat.get("sat_qty") or 0
            self.sat_volume += sat.get("sat_volume") or 0


def _local(moment) -> str:
    return rules.local(moment).strftime("%d.%m.%Y %H:%M")
