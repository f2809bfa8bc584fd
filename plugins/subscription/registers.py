"""The registers of a subscription (form S-A2): the accepted-orders register the Exchange produces and hands
to the seller (S-8), the satisfied-orders register the seller returns and the Exchange checks (S-9), the
seller's proposal of one, the seller calling the subscription off, and the deadlines that end in failure.

Registers are written and read as streams: a book of 200,000 orders is walked in keyset batches and written
row by row (lxml ``xmlfile``, openpyxl ``write_only``) in a background task that keeps a progress row, so
neither the web process nor the worker ever holds the whole book or the whole file in memory."""

import collections
import datetime
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import time
import zipfile
from array import array
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import peewee as pw
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from flask import Blueprint, abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import to_excel
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import (
    BaseModel,
    DecimalField,
    FileIntegrityError,
    IntegerField,
    Organisation,
    StoredFile,
    User,
    audit,
    bulk_insert,
    choices,
    clock,
    external_url,
    login_required,
    public,
    render,
    staff_required,
    tasks,
    utcnow,
)
from core import database as db
from core import file_kind as sniff
from core import store_file as store
from core.files import KINDS, data_dir, safe_name
from plugins.subscription import rules, service
from plugins.subscription.models import ORDER_STATUSES, Fill, Order, Register, Subscription

log = logging.getLogger("is2in.subscription.registers")

bp = Blueprint("subscription_registers", __name__, template_folder="templates")

NS = "urn:kase:is2in:subscription:register:1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_PATH = Path(__file__).parent / "static" / "register.xsd"
SCHEMA_NAME = "register-v1.xsd"

BATCH = 2000  # orders per keyset batch
PROGRESS_EVERY = 1000  # rows between progress updates
PROGRESS_SECONDS = 1.0  # at most one progress write a second (each is a commit)
XLSX_COMPRESSION = 1  # deflate level of the XLSX sheet: level 6 takes 3 times as long for a 10% smaller file
REPORT_LIMIT = 500  # mismatches kept for the report; the rest are counted
MAX_RATIO = 100  # a sheet of a real register compresses about 20 times
MAX_MEMBERS = 1000
STALE = datetime.timedelta(minutes=30)  # a running job with no progress for this long has died
REQUEUE = datetime.timedelta(minutes=5)  # a pending job nobody took is queued again

# The states in which a satisfied register is received, and in which the seller may call the subscription off.
UPLOAD_STATES = ("accepted_register", "satisfied_register")
CALL_OFF_STATES = ("activated", "accepted_register")

JOB_STATUSES = {
    "pending": _l("В очереди"),
    "running": _l("Формируется"),
    "done": _l("Готово"),
    "failed": _l("Ошибка"),
    "rejected": _l("Файл отклонен"),
}

METHODS = {
    "cutoff": _l("По цене отсечения (для облигаций — по доходности отсечения)"),
    "prorata": _l("Пропорционально всем заявкам"),
    "threshold": _l("Полностью до порога, остаток — пропорционально"),
}


class RegisterJob(BaseModel):
    """A register being produced (the accepted register, a proposal) or an uploaded one being checked: the
    progress row the page polls."""

    subscription = pw.ForeignKeyField(Subscription, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=12)  # accepted | proposal | check
    format = pw.CharField(max_length=4)  # xml | xlsx
    params = pw.TextField(default="{}")
    status = pw.CharField(max_length=12, default="pending", index=True)  # pending | running | done | failed | rejected
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    file = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    register = pw.ForeignKeyField(Register, null=True, backref="+", on_delete="SET NULL")
    original_name = pw.CharField(max_length=255, default="")
    errors = pw.TextField(default="[]")
    message = pw.TextField(default="")
    requested_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "subscription_register_job"
        indexes = ((("subscription", "kind"), False),)

    @property
    def active(self) -> bool:
        return self.status in ("pending", "running")

    @property
    def percent(self) -> int:
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def status_label(self):
        return JOB_STATUSES.get(self.status, self.status)

    @property
    def options(self) -> dict:
        return json.loads(self.params or "{}")

    @property
    def report(self) -> list[dict]:
        if self.register_id:
            return self.register.error_list
        return json.loads(self.errors or "[]")

    @property
    def title(self) -> str:
        fmt = self.format.upper()
        if self.kind == "accepted":
            return _("Реестр принятых заявок (%(fmt)s)", fmt=fmt)
        if self.kind == "proposal":
            method = METHODS.get(self.options.get("method"), "")
            return _("Предложение реестра удовлетворенных заявок (%(fmt)s): %(method)s", fmt=fmt, method=method)
        return _("Проверка реестра удовлетворенных заявок «%(name)s»", name=self.original_name)


class CallOff(BaseModel):
    """S-9.3: the seller's written refusal to conduct the subscription, with its reason and letter."""

    subscription = pw.ForeignKeyField(Subscription, backref="+", on_delete="CASCADE", unique=True)
    reason = pw.TextField()
    letter = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    called_by = pw.ForeignKeyField(User, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_call_off"


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


# --- walking the book --------------------------------------------------------------------------------

# What the registers read of an order: plain values, one tuple per order, no model instance.
BOOK_FIELDS = (
    Order.id,
    Order.number,
    Order.submitted_at,
    Order.kind,
    Order.basis,
    Order.price,
    Order.yield_rate,
    Order.quantity,
    Order.money,
    Order.for_client,
    Order.omnibus,
    Order.investor_name,
    Order.investor_id,
    Order.investor_resident,
    Order.investor_contacts,
    Order.investor_other,
    Order.buyer,
    Order.entered_by,
)
BookOrder = collections.namedtuple(
    "BookOrder", [f.name if not isinstance(f, pw.ForeignKeyField) else f.name + "_id" for f in BOOK_FIELDS]
)


def _converter(field):
    """How a value of ``field`` comes back from the driver: None where it is already what peewee would make of
    it (texts, integers, keys); a SQLite date-time text read with ``fromisoformat`` (C) rather than peewee's
    ``strptime`` over a list of formats; otherwise ``field.python_value``."""
    slow = field.python_value
    if isinstance(field, pw.CharField | pw.TextField | pw.IntegerField | pw.ForeignKeyField):
        native = str if isinstance(field, pw.CharField | pw.TextField) else int

        def plain(value):
            return value if value.__class__ is native else slow(value)

        return plain
    if isinstance(field, pw.DateTimeField):

        def moment(value):
            if value.__class__ is str:
                try:
                    return datetime.datetime.fromisoformat(value)
                except ValueError:
                    pass
            return slow(value)

        return moment
    if isinstance(field, pw.DecimalField):

        def decimal(value):
            return value if value.__class__ is Decimal else slow(value)

        return decimal
    return slow


_CONVERTERS = {}


def _fetch(query, fields=BOOK_FIELDS, make=BookOrder) -> list:
    """The rows of a query over ``fields`` as ``make`` tuples (``BookOrder``), read with the driver's cursor."""
    converters = _CONVERTERS.get(id(fields))
    if converters is None:
        converters = _CONVERTERS[id(fields)] = tuple(enumerate(_converter(f) for f in fields))
    make = make._make
    out = []
    for raw in db.execute(query).fetchall():
        row = list(raw)
        for i, convert in converters:
            value = row[i]
            if value is not None:
                row[i] = convert(value)
        out.append(make(row))
    return out


def book_batches(sub: Subscription):
    """The accepted orders (S-8.2) in number order, as lists of ``BookOrder`` in keyset batches: psycopg2
    buffers a whole result set on the client, so one query over 200,000 orders would hold them all; a batch
    holds ``BATCH``."""
    last = 0
    while True:
        batch = _fetch(service.accepted_orders(sub).select(*BOOK_FIELDS).where(Order.number > last).limit(BATCH))
        if batch:
            last = batch[-1].number
            yield batch
        if len(batch) < BATCH:
            return


# What the check of an uploaded register reads of an order (``accepted_values``, ``_satisfied``,
# ``investor_key``): the book's fields less the investor's texts.
CHECK_FIELDS = tuple(
    f
    for f in BOOK_FIELDS
    if f.name not in ("omnibus", "investor_name", "investor_resident", "investor_contacts", "investor_other")
)
CheckOrder = collections.namedtuple(
    "CheckOrder", [f.name + "_id" if isinstance(f, pw.ForeignKeyField) else f.name for f in CHECK_FIELDS]
)


def book_orders(sub: Subscription, numbers) -> dict:
    """The accepted orders among ``numbers``, by number: how an uploaded register's rows find their orders, a
    batch at a time."""
    numbers = sorted(numbers)
    found = {}
    for start in range(0, len(numbers), BATCH):
        chunk = numbers[start : start + BATCH]
        low, high = chunk[0], chunk[-1]
        if high - low < 2 * len(chunk):  # a file in number order: one range of the index, not a list
            query = service.accepted_orders(sub).where(Order.number.between(low, high))
        else:
            query = service.accepted_orders(sub).where(Order.number.in_(chunk))
        for order in _fetch(query.select(*CHECK_FIELDS), CHECK_FIELDS, CheckOrder):
            found[order.number] = order
    return found


def stream_orders(sub: Subscription):
    for batch in book_batches(sub):
        yield from batch


def _progress(job_id: int, done: int, total: int | None = None) -> None:
    fields = {"done": done, "updated_at": utcnow()}
    if total is not None:
        fields["total"] = total
    RegisterJob.update(**fields).where(RegisterJob.id == job_id).execute()


class Progress:
    """The progress row of a job, written at most every ``PROGRESS_SECONDS``: each write is a commit, and a
    page polling every two seconds needs no more."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            _progress(self.job_id, done)


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


# --- writing: XML --------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry (lxml refuses them): dropped from the text of a register.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(value) -> str:
    """A value as XML text: decimals in plain notation, and no control characters lxml would refuse."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return _NOT_XML.sub("", str(value))


def _escaped(value) -> str:
    """``_text`` escaped for element content (and for attributes: quotes too), as lxml writes it."""
    text = _text(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def _leaf(out: list, name: str, value) -> None:
    if value is None or value == "":
        return
    out.append(f"<{name}>{_escaped(value)}</{name}>")


def _xml_time(moment: datetime.datetime) -> str:
    return clock.aware(moment).replace(microsecond=0).isoformat()  # the Exchange's time with its offset


def write_xml(target, sub: Subscription, kind: str, rows) -> Totals:
    """Write the register to ``target`` row by row; ``rows`` yields (order, accepted, satisfied, people).
    Each order is one string written as it is made (the register's tags are fixed, its texts escaped), so
    nothing but the current row is held and no element object is built per cell."""
    totals = Totals()
    location = _escaped(f"{NS} {external_url('subscription_registers.schema')}")
    investor_tags = (
        ("inv_name", "Name"),
        ("inv_contacts", "Contacts"),
        ("inv_residency", "Residency"),
        ("inv_id", "IdNumber"),
        ("inv_other", "Other"),
    )
    with open(target, "w", encoding="utf-8", newline="") as fh:
        head = [
            "<?xml version='1.0' encoding='utf-8'?>\n",
            f'<Register xmlns="{NS}" xmlns:xsi="{XSI}" kind="{_escaped(kind)}" version="1" '
            f'generated="{_xml_time(utcnow())}" xsi:schemaLocation="{location}"><Subscription>',
        ]
        _leaf(head, "Number", sub.number or "")
        _leaf(head, "ISIN", sub.isin)
        _leaf(head, "Issuer", sub.issuer_name)
        _leaf(head, "SecurityKind", sub.security_kind)
        _leaf(head, "Currency", sub.currency)
        _leaf(head, "Offered", offered(sub))
        _leaf(head, "Private", "true" if sub.private else "false")
        head.append("</Subscription>")
        # what the columns hold for a market order by money, and each window apart (S-A2, issue #17): comments,
        # which the published schema leaves aside
        notes = ([money_orders_note(sub)] if sub.market_orders else []) + window_lines(sub)
        head.extend(f"<!-- {_escaped(str(note)).replace('--', '- -')} -->" for note in notes)
        head.append("<Orders>")
        fh.write("".join(head))
        out = []
        for row, (order, acc, sat, who) in enumerate(rows, start=1):
            totals.add(acc, sat)
            out.append(
                f'<Order row="{row}" type="{_escaped(order.kind)}" basis="{_escaped(order.basis)}">'
                f"<Number>{acc['number']}</Number><Submitted>{_xml_time(acc['submitted'])}</Submitted><Accepted>"
            )
            _leaf(out, "Price", acc["acc_price"])
            _leaf(out, "Yield", acc["acc_yield"])
            _leaf(out, "Quantity", acc["acc_qty"])
            _leaf(out, "Volume", acc["acc_volume"])
            out.append("</Accepted>")
            if sat is not None:
                out.append("<Satisfied>")
                _leaf(out, "Price", sat.get("sat_price"))
                _leaf(out, "Yield", sat.get("sat_yield"))
                _leaf(out, "Quantity", sat.get("sat_qty"))
                _leaf(out, "Volume", sat.get("sat_volume"))
                out.append("</Satisfied>")
            if who:
                investor = [(name, who[key]) for key, name in investor_tags if who.get(key)]
                if investor:
                    out.append("<Investor>")
                    for name, value in investor:
                        _leaf(out, name, value)
                    out.append("</Investor>")
                if who.get("buyer_name") or who.get("buyer_contacts"):
                    out.append("<Buyer>")
                    _leaf(out, "Name", who.get("buyer_name"))
                    _leaf(out, "Contacts", who.get("buyer_contacts"))
                    out.append("</Buyer>")
            out.append("</Order>")
            if len(out) >= 4096:
                fh.write("".join(out))
                out.clear()
        out.append("</Orders><Total>")
        out.append(f"<Orders>{totals.orders}</Orders>")
        out.append(f"<Quantity>{totals.acc_qty}</Quantity>")
        out.append(f"<Volume>{_text(rules.money(totals.acc_volume))}</Volume>")
        if totals.satisfied:
            out.append(f"<SatisfiedQuantity>{totals.sat_qty}</SatisfiedQuantity>")
            out.append(f"<SatisfiedVolume>{_text(rules.money(totals.sat_volume))}</SatisfiedVolume>")
        out.append("</Total></Register>")
        fh.write("".join(out))
    return totals


# --- writing: XLSX -------------------------------------------------------------------------------------

DATE_FORMAT = "DD.MM.YYYY HH:MM:SS"
WIDTHS = {"row": 7, "number": 10, "submitted": 20, "inv_name": 30, "inv_contacts": 30, "buyer_name": 30}
SHEET = "xl/worksheets/sheet1.xml"


def _xlsx_package(title: str, widths: list) -> tuple[list, dict, str, str]:
    """Every part of the workbook but the rows, made by openpyxl itself: a write-only workbook of one sheet
    (its title, its column widths) and one probe row with a cell of each style the register uses. Returns
    the parts as openpyxl wrote them, the style ids openpyxl gave (bold, heading, date), and the sheet's XML
    before and after its rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[_letter(index)].width = width
    probe = []
    for font, alignment, number_format in (
        (Font(bold=True), None, None),
        (Font(bold=True), Alignment(wrap_text=True, vertical="top"), None),
        (None, None, DATE_FORMAT),
    ):
        c = WriteOnlyCell(ws, value=0)
        if font:
            c.font = font
        if alignment:
            c.alignment = alignment
        if number_format:
            c.number_format = number_format
        probe.append(c)
    ws.append(probe)
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        parts = [(info, package.read(info.filename)) for info in package.infolist()]
    sheet = next(data for info, data in parts if info.filename == SHEET).decode("utf-8")
    head, rest = sheet.split("<sheetData>", 1)
    rows, tail = rest.split("</sheetData>", 1)
    ids = re.findall(r'<c r="[A-Z]+1" s="(\d+)"', rows)
    if len(ids) != 3:
        raise RuntimeError(f"openpyxl wrote an unexpected probe row: {rows[:200]}")
    styles = dict(zip(("bold", "heading", "date"), ids, strict=True))
    return parts, styles, head + "<sheetData>", "</sheetData>" + tail


class _SheetRows:
    """The rows of a sheet as SpreadsheetML, the way openpyxl's write-only sheet writes them (numbers as
    ``n``, texts as inline strings), without a cell object per value."""

    def __init__(self, width: int, styles: dict):
        self.letters = [_letter(i) for i in range(1, width + 1)]
        self.styles = styles
        self.number = 0

    def row(self, cells) -> str:
        """``cells``: one per column, a value, None, or (value, style name)."""
        self.number += 1
        r = self.number
        out = [f'<row r="{r}">']
        append = out.append
        for letter, value in zip(self.letters, cells, strict=False):
            kind = value.__class__
            if value is None:
                continue
            if kind is int:
                append(f'<c r="{letter}{r}" t="n"><v>{value}</v></c>')
            elif kind is Decimal:
                append(f'<c r="{letter}{r}" t="n"><v>{value:f}</v></c>')
            elif kind is str:
                append(self._text(letter, r, value, ""))
            else:
                append(self._other(letter, r, value))
        append("</row>")
        return "".join(out)

    def _text(self, letter, r, value, style) -> str:
        text = _escaped(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _other(self, letter, r, value) -> str:
        style = ""
        if value.__class__ is tuple:
            value, name = value
            style = f' s="{self.styles[name]}"'
            if value is None:
                return f'<c r="{letter}{r}"{style} t="n"></c>'
        kind = value.__class__
        if kind is int or kind is float or kind is Decimal:
            return f'<c r="{letter}{r}"{style} t="n"><v>{format(value, "f") if kind is Decimal else value}</v></c>'
        if kind is datetime.datetime:
            return f'<c r="{letter}{r}"{style} t="n"><v>{to_excel(value)}</v></c>'
        return self._text(letter, r, str(value), style)


def write_xlsx(target, sub: Subscription, kind: str, rows) -> Totals:
    """Write the register as the S-A2 table. openpyxl makes the workbook around the rows (styles, sheet,
    column widths); the rows themselves are written here straight into the sheet's part of the archive, as
    openpyxl's write-only sheet would write them, at a fraction of the cost of a cell object per value. Row 6
    (7 where market orders are admitted: a row says what their columns hold) numbers the columns (A, 1, 2,
    ...); the reader finds the columns by it."""
    totals = Totals()
    cols = columns_for(sub)
    keys = [key for key, *_rest in cols]
    parts, styles, head, tail = _xlsx_package(_("Реестр"), [WIDTHS.get(key, 15) for key in keys])
    sheet = _SheetRows(len(cols), styles)
    title = title_of(kind)
    if kind == "proposal":
        title = _("Реестр удовлетворенных заявок (предложение Биржи для редактирования продавцом)")
    lines = [
        sheet.row([(str(title), "bold")]),
        sheet.row(
            [
                _(
                    "Подписка %(number)s; ISIN %(isin)s; эмитент: %(issuer)s; ценные бумаги: %(kind)s; "
                    "валюта: %(cur)s; предлагается: %(offered)s шт.",
                    number=sub.number or "",
                    isin=sub.isin,
                    issuer=sub.issuer_name,
                    kind=_("долговые") if sub.is_debt else _("долевые"),
                    cur=sub.currency,
                    offered=offered(sub),
                )
            ]
        ),
        sheet.row([_("Сформирован %(at)s (время Алматы)", at=rules.local(utcnow()).strftime("%d.%m.%Y %H:%M"))]),
        *([sheet.row([money_orders_note(sub)])] if sub.market_orders else []),
        *[sheet.row([line]) for line in window_lines(sub)],
        sheet.row([(str(c[2] or c[3]), "heading") for c in cols]),
        sheet.row([(str(c[3]) if c[2] else None, "bold") for c in cols]),
        sheet.row([(c[1] if c[1] == "A" else int(c[1]), "bold") for c in cols]),
    ]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION) as package:
        for info, data in parts:
            if info.filename != SHEET:
                package.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION)
                continue
            with package.open(SHEET, "w", force_zip64=True) as fh:
                fh.write(head.encode("utf-8"))
                for row, (_order, acc, sat, who) in enumerate(rows, start=1):
                    totals.add(acc, sat)
                    values = {"row": row, **acc, **(sat or {}), **who}
                    values["submitted"] = (rules.local(acc["submitted"]), "date")
                    lines.append(sheet.row([values.get(key) for key in keys]))
                    if len(lines) >= 1000:
                        fh.write("".join(lines).encode("utf-8"))
                        lines.clear()
                total = {
                    "acc_qty": totals.acc_qty,
                    "acc_volume": rules.money(totals.acc_volume),
                    "sat_qty": totals.sat_qty if totals.satisfied else None,
                    "sat_volume": rules.money(totals.sat_volume) if totals.satisfied else None,
                }
                cells = []
                for key in keys:
                    if key == "row":
                        cells.append((str(_("ИТОГО:")), "bold"))
                    elif key in TOTAL_SUMS:
                        cells.append((total[key], "bold"))
                    elif key in TOTAL_BLANK:
                        cells.append(None)
                    else:
                        cells.append("X")
                lines.append(sheet.row(cells))
                fh.write("".join(lines).encode("utf-8"))
                fh.write(tail.encode("utf-8"))
    return totals


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


# --- storing and serving big files -----------------------------------------------------------------------


def _temp_path() -> str:
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=folder, suffix=".part")
    os.close(fd)
    return path


def store_path(path: str, name: str, kind: str) -> StoredFile:
    """``core.files.store`` for a file already on disk: hashed in chunks and moved into place, so a
    register of hundreds of megabytes is never read into memory."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(fh.fileno())
    sha = digest.hexdigest()
    target = data_dir() / sha[:2] / sha
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(path)
    else:
        os.replace(path, target)
    return StoredFile.create(sha256=sha, size=size, content_type=KINDS[kind][0], original_name=safe_name(name, kind))


def send_stored(stored: StoredFile):
    """Send a stored file from disk in chunks, after checking its hash the same way (``StoredFile.read``)."""
    response = send_file(
        _verified(stored),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- producing registers (S-8.1, the proposal) -------------------------------------------------------------


class Outbox:
    """Notifications decided inside a transaction, sent once it has committed: outside a request ``notify``
    queues its mail at once, and the mail task must not run (and close the connection) inside our transaction."""

    def __init__(self):
        self.items = []

    def tell(self, users, message, sub, actor=None, registers=True):
        link = f"/subscriptions/{sub.id}/registers" if registers else None
        self.items.append((users, message, sub, actor, link))

    def send(self) -> None:
        for users, message, sub, actor, link in self.items:
            service._tell(users, message, sub, actor, link=link)
        self.items = []


def _enqueue(name: str, job: RegisterJob) -> None:
    tasks.enqueue(name, job.id)


def start_accepted(sub: Subscription, user: User | None = None, at=None) -> list[RegisterJob]:
    """S-8.1: produce the accepted register (XML and XLSX) in the background."""
    with db.atomic():
        sub = service._fresh(sub, "activated", "accepted_register")
        if not service.period_over(sub, at):
            # S-8.1, S-8.2: produced after the acceptance period, once the control users' refusals are in (S-4.2).
            raise service.SubscriptionError(
                _(
                    "Реестр принятых заявок формируется после окончания приема заявок и периода подтверждения "
                    "(%(until)s).",
                    until=rules.local(service.confirmation_ends(sub)).strftime("%d.%m.%Y %H:%M"),
                )
            )
        busy = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "accepted")
            & RegisterJob.status.in_(("pending", "running"))
        )
        if busy.exists():
            raise service.SubscriptionError(_("Реестр принятых заявок уже формируется."))
        jobs = [
            RegisterJob.create(subscription=sub, kind="accepted", format=fmt, requested_by=user)
            for fmt in ("xml", "xlsx")
        ]
        audit.record("subscription.accepted_register_start", sub, actor=user)
    for job in jobs:
        _enqueue("build_register", job)
    return jobs


def start_proposal(
    sub: Subscription, user: User, method: str, fmt: str, cutoff: Decimal | None = None, threshold: int | None = None
) -> RegisterJob:
    """A proposed satisfied register for the seller to edit (``rules.allocate``)."""
    if user.organisation_id != sub.seller_id:
        raise service.SubscriptionError(_("Предложение реестра формируется для продавца."))
    if method not in METHODS or fmt not in ("xml", "xlsx"):
        raise service.SubscriptionError(_("Выберите способ распределения и формат."))
    if method == "cutoff" and cutoff is None:
        raise service.SubscriptionError(_("Укажите цену (доходность) отсечения."))
    if method == "threshold" and not threshold:
        raise service.SubscriptionError(_("Укажите порог полного удовлетворения."))
    with db.atomic():
        sub = service._fresh(sub, *UPLOAD_STATES)
        params = {
            "method": method,
            "cutoff": str(cutoff) if cutoff is not None else None,
            "threshold": int(threshold or 0),
        }
        job = RegisterJob.create(
            subscription=sub, kind="proposal", format=fmt, params=json.dumps(params), requested_by=user
        )
        audit.record("subscription.register_proposal", sub, organisation=sub.seller, actor=user, **params)
    _enqueue("build_register", job)
    return job


def _claim(job_id: int) -> RegisterJob | None:
    taken = (
        RegisterJob.update(status="running", updated_at=utcnow())
        .where((RegisterJob.id == job_id) & (RegisterJob.status == "pending"))
        .execute()
    )
    return RegisterJob.get_by_id(job_id) if taken else None


def _run(job_id: int, work) -> None:
    job = _claim(job_id)
    if job is None:
        return  # taken by another worker, or done already
    try:
        work(job)
    except Exception as exc:  # noqa: BLE001 - the page must show the failure, not spin forever
        log.exception("register job %s failed", job_id)
        if isinstance(exc, service.SubscriptionError):
            message = exc.message
        else:
            message = _("Внутренняя ошибка (%(e)s): повторите позже или обратитесь на Биржу.", e=type(exc).__name__)
        RegisterJob.update(status="failed", message=str(message), finished_at=utcnow()).where(
            RegisterJob.id == job_id
        ).execute()


def build_register(job_id: int) -> None:
    """The background task that writes an accepted register or a proposal."""
    _run(job_id, _build)


def _proposal_plan(sub: Subscription, options: dict):
    """The proposed quantity per order, by ``rules.allocate``. Only (price, yield, quantity) per order is held,
    with the numbers in a compact array to keep the second pass in step."""
    numbers = array("q")
    book = []
    fields = (Order.number, Order.kind, Order.price, Order.yield_rate, Order.quantity)
    last = 0
    while True:
        query = service.accepted_orders(sub).where(Order.number > last).select(*fields).limit(BATCH).tuples()
        count = 0
        for number, kind, price, yield_rate, quantity in query.iterator():
            count += 1
            last = number
            numbers.append(number)
            limit = kind == "limit"
            book.append(
                {"price": price if limit else None, "yield": yield_rate if limit else None, "quantity": quantity or 0}
            )
        if count < BATCH:
            break
    cutoff = Decimal(options["cutoff"]) if options.get("cutoff") else None
    given = rules.allocate(book, offered(sub), options["method"], cutoff, options.get("threshold") or 0, sub.is_debt)
    return numbers, array("q", given)


def proposed_fill(order, sub: Subscription, acc: dict, quantity: int, options: dict) -> dict:
    """Columns 7-10 of the proposal: the cut-off price (yield for debt) under the cut-off method, otherwise the
    order's own price; a money-volume market order never above its money."""
    cutoff = Decimal(options["cutoff"]) if options.get("cutoff") else None
    by_cutoff = options.get("method") == "cutoff" and cutoff is not None
    price = acc["acc_price"]
    yield_rate = None
    if sub.is_debt:
        yield_rate = _q4(cutoff) if by_cutoff else acc["acc_yield"]
    elif by_cutoff:
        price = _q4(cutoff)
    quantity = max(0, int(quantity))
    if order.kind == "market" and order.basis == "money" and price:
        quantity = min(quantity, int((Decimal(order.money) / Decimal(price)).to_integral_value(rounding=ROUND_DOWN)))
    volume = rules.money(Decimal(price) * quantity) if price is not None else None
    return {"sat_price": price, "sat_yield": yield_rate, "sat_qty": quantity, "sat_volume": volume}


def register_rows(sub: Subscription, plan=None, options=None, progress=None):
    """The rows of a register, in number order: (order, accepted columns, proposed fill or None, columns
    11-17), from the book in keyset batches."""
    market = None
    who = People(sub)
    index = 0
    for batch in book_batches(sub):
        who.load(batch)
        for order in batch:
            if order.kind == "market" and market is None:
                market = market_price(sub)
            acc = accepted_values(order, sub, market)
            sat = None
            if plan is not None:
                numbers, given = plan
                if index >= len(numbers) or numbers[index] != order.number:
                    raise service.SubscriptionError(_("Книга заявок изменилась во время формирования. Повторите."))
                sat = proposed_fill(order, sub, acc, given[index], options)
            index += 1
            yield order, acc, sat, who.values(order)
        if progress:
            progress(index)


def _build(job: RegisterJob) -> None:
    sub = Subscription.get_by_id(job.subscription_id)
    total = service.accepted_orders(sub).count()
    _progress(job.id, 0, total)
    options = job.options
    plan = _proposal_plan(sub, options) if job.kind == "proposal" else None
    kind = "proposal" if job.kind == "proposal" else "accepted"
    rows = register_rows(sub, plan, options, Progress(job.id))

    path = _temp_path()
    try:
        writer = write_xml if job.format == "xml" else write_xlsx
        totals = writer(path, sub, kind, rows)
        stem = "accepted-register" if kind == "accepted" else "satisfied-register-proposal"
        stored = store_path(path, f"{stem}-{sub.number or sub.id}", job.format)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    outbox = Outbox()
    with db.atomic():
        register = None
        if job.kind == "accepted":
            register = Register.create(
                subscription=sub, kind="accepted", format=job.format, file=stored, status="accepted"
            )
            audit.record(
                "subscription.accepted_register",
                sub,
                organisation=sub.seller,
                actor=job.requested_by,
                register=register.id,
                format=job.format,
                orders=totals.orders,
            )
            fresh = Subscription.get_by_id(sub.id)
            if fresh.state == "activated":
                # S-8.1: handed to the seller (and shown to the issuer) the moment it exists.
                service._move(fresh, "accepted_register")
                users = service.users_of([sub.seller] + ([sub.issuer] if sub.issuer_id else []))
                outbox.tell(
                    users,
                    _l(
                        "Сформирован реестр принятых заявок по подписке %(number)s (заявок: %(n)s). "
                        "Сведения конфиденциальны и предназначены продавцу и эмитенту.",
                        number=sub.number or sub.isin,
                        n=totals.orders,
                    ),
                    sub,
                )
        RegisterJob.update(
            status="done", file=stored, register=register, done=totals.orders, finished_at=utcnow(), updated_at=utcnow()
        ).where(RegisterJob.id == job.id).execute()
    outbox.send()


# --- reading an uploaded register (S-9.5) ------------------------------------------------------------------

BAD = object()  # a cell that could not be read; its error is in the report already
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
INTEGER_COLUMNS = {"1", "5", "9"}
FIELDS = {
    "1": "number",
    "2": "submitted",
    "3": "acc_price",
    "4": "acc_yield",
    "5": "acc_qty",
    "6": "acc_volume",
    "7": "sat_price",
    "8": "sat_yield",
    "9": "sat_qty",
    "10": "sat_volume",
}


class Report:
    """The mismatches found, by row and column, in the seller's words."""

    def __init__(self):
        self.items = []
        self.count = 0

    def add(self, row, column, message, order=None) -> None:
        self.count += 1
        if len(self.items) < REPORT_LIMIT:
            self.items.append({"row": row, "column": column, "order": order, "message": str(message)})

    def __bool__(self) -> bool:
        return self.count > 0

    def extend(self, other: "Report") -> None:
        """Add another report's mismatches after this one's (as if added here in turn)."""
        for item in other.items:
            if len(self.items) < REPORT_LIMIT:
                self.items.append(item)
        self.count += other.count

    def as_list(self) -> list[dict]:
        items = sorted(self.items, key=lambda e: (e["row"] is not None, e["row"] or 0))
        if self.count > len(self.items):
            items.append(
                {
                    "row": None,
                    "column": None,
                    "order": None,
                    "message": _("…и еще несоответствий: %(n)s.", n=self.count - len(self.items)),
                }
            )
        return items


class Row:
    """One row of an uploaded register: the values of columns 1-10 (None when empty, BAD when unreadable)."""

    __slots__ = ("row", *FIELDS.values())

    def __init__(self, row):
        self.row = row
        self.number = self.submitted = None
        self.acc_price = self.acc_yield = self.acc_qty = self.acc_volume = None
        self.sat_price = self.sat_yield = self.sat_qty = self.sat_volume = None


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _number(value, row, column, report, integer=False):
    if value is None:
        return None
    if value.__class__ is str and NUMBER.fullmatch(value):  # the usual cell: a plain number, read at once
        if integer and "." not in value and len(value) <= 18:
            return int(value)
        number = Decimal(value)
    elif isinstance(value, bool) or isinstance(value, datetime.datetime | datetime.date):
        report.add(row, column, _("В графе %(col)s вместо числа значение «%(text)s».", col=column, text=_shown(value)))
        return BAD
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = str(value).strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
        if not NUMBER.fullmatch(text):
            report.add(row, column, _("В графе %(col)s вместо числа текст «%(text)s».", col=column, text=_shown(value)))
            return BAD
        number = Decimal(text)
    if not number.is_finite():
        report.add(row, column, _("В графе %(col)s вместо числа «%(text)s».", col=column, text=_shown(value)))
        return BAD
    if integer:
        if number != number.to_integral_value():
            report.add(
                row, column, _("В графе %(col)s должно быть целое число, а не «%(text)s».", col=column, text=value)
            )
            return BAD
        return int(number)
    return number


def _moment(value, row, report):
    """Column 2 as the stored UTC moment: a spreadsheet date-time or text is Almaty time; XML carries its
    offset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        moment = None
        if text[4:5] == "-":  # ISO 8601, as the XML registers write it: none of the formats below reads it
            try:
                moment = datetime.datetime.fromisoformat(text)
            except ValueError:
                pass
        for fmt in () if moment is not None else ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"):
            try:
                moment = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.datetime.fromisoformat(text)
            except ValueError:
                moment = BAD
    try:
        if moment is not BAD:
            if moment.tzinfo is not None:
                return moment.astimezone(datetime.UTC).replace(tzinfo=None)
            return clock.to_utc(moment)
    except OverflowError:  # a moment in year 1 or 9999 has no UTC moment to move to
        pass
    report.add(
        row,
        "2",
        _(
            "В графе 2 не удается прочитать дату и время «%(text)s» (нужно ДД.ММ.ГГГГ ЧЧ:ММ:СС).",
            text=_shown(value),
        ),
    )
    return BAD


def _cell(row: Row, column: str, value, report) -> None:
    name = FIELDS[column]
    if column == "2":
        setattr(row, name, _moment(value, row.row, report))
    else:
        setattr(row, name, _number(value, row.row, column, report, integer=column in INTEGER_COLUMNS))


class _Refused(Exception):
    """The file cannot be read as a register; why is in the report already."""


class _SchemaInvalid(Exception):
    """The XML breaks register-v1.xsd (or is not well-formed): read it again without the schema."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _opened(source):
    """A path, bytes or a binary file as a binary file (and whether it is ours to close)."""
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source), True
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    return source, False


def check_zip(data, report: Report) -> bool:
    """Refuse a zip bomb before anything decompresses it: the declared sizes bound what ``zipfile`` will
    ever inflate, so they are what is checked. ``data``: the file's bytes or its path."""
    limit = 25 * current_app.config["MAX_CONTENT_LENGTH"]
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes | bytearray) else data) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        report.add(None, None, _("Файл поврежден: архив XLSX не читается."))
        return False
    if len(members) > MAX_MEMBERS:
        report.add(None, None, _("Файл отклонен: в архиве XLSX слишком много частей (%(n)s).", n=len(members)))
        return False
    unpacked = sum(m.file_size for m in members)
    if unpacked > limit:
        report.add(
            None,
            None,
            _(
                "Файл отклонен: архив XLSX при распаковке занимает %(mb)s МБ (допустимо не более %(limit)s МБ).",
                mb=unpacked // (1024 * 1024),
                limit=limit // (1024 * 1024),
            ),
        )
        return False
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            report.add(
                None,
                None,
                _(
                    "Файл отклонен: часть архива %(name)s сжата в %(ratio)s раз — так сжимаются только "
                    "архивные «бомбы».",
                    name=member.filename,
                    ratio=int(ratio),
                ),
            )
            return False
    return True


def _listed(rows, progress=None) -> list[Row] | None:
    """A reader's rows as a list, or None when the file could not be read."""
    out = []
    try:
        for row in rows:
            out.append(row)
            if progress and len(out) % PROGRESS_EVERY == 0:
                progress(len(out))
    except _Refused:
        return None
    return out


def read_xlsx(data: bytes, report: Report, progress=None, debt: bool = False, max_rows=None) -> list[Row] | None:
    """The rows of an XLSX register (openpyxl, read-only), its columns found by the row numbering them."""
    return _listed(xlsx_rows(data, report, debt, max_rows), progress)


def xlsx_rows(source, report: Report, debt: bool = False, max_rows=None):
    """The rows of an XLSX register one by one (``source``: bytes or a path). Raises ``_Refused`` once the
    report says why the file cannot be read: a zip bomb, entity declarations, a corrupt archive, no row
    numbering the columns, more rows than ``max_rows``."""
    stream, ours = _opened(source)  # a file object: openpyxl judges a path by its extension, and ours have none
    try:
        if not check_zip(stream, report):
            raise _Refused
        try:
            wb = load_workbook(stream, read_only=True, data_only=True)
        except DefusedXmlException:
            report.add(None, None, _("Файл отклонен: XLSX содержит объявления сущностей XML (DOCTYPE/ENTITY)."))
            raise _Refused from None
        except Exception as exc:  # noqa: BLE001 - any failure to open is a corrupt file for the seller
            report.add(None, None, _("Файл поврежден: XLSX не читается (%(e)s).", e=type(exc).__name__))
            raise _Refused from None
        try:
            yield from _xlsx_rows(wb, report, debt, max_rows)
        except _Refused:
            raise
        except DefusedXmlException:
            report.add(None, None, _("Файл отклонен: XLSX содержит объявления сущностей XML (DOCTYPE/ENTITY)."))
            raise _Refused from None
        except Exception as exc:  # noqa: BLE001
            report.add(None, None, _("Файл поврежден: XLSX не читается (%(e)s).", e=type(exc).__name__))
            raise _Refused from None
        finally:
            wb.close()
    finally:
        if ours:
            stream.close()


def _too_many(report: Report, max_rows: int) -> None:
    report.add(
        None,
        None,
        _("В файле больше строк, чем заявок в реестре принятых заявок (%(n)s): проверьте файл.", n=max_rows),
    )


def _column_name(value) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        return "A" if text in ("A", "А") else text
    return None


TOTAL_WORDS = ("ИТОГО", "БАРЛЫҒЫ", "TOTAL", "ВСЕГО")


def _xlsx_rows(wb, report, debt, max_rows):
    if not wb.worksheets:
        report.add(None, None, _("В файле XLSX нет ни одного листа."))
        raise _Refused
    ws = wb.worksheets[0]
    positions = None
    count = 0
    for number, values in enumerate(ws.iter_rows(values_only=True, max_col=40), start=1):
        if positions is None:
            names = [_column_name(v) for v in values]
            if names and names[0] == "A" and len(names) > 1 and names[1] == "1":
                positions = {name: i for i, name in enumerate(names) if name}
                missing = [c for c in FIELDS if c not in positions and (debt or c not in ("4", "8"))]
                if missing:
                    for column in missing:
                        report.add(
                            number,
                            column,
                            _("В реестре нет графы %(col)s (%(label)s).", col=column, label=LABELS[column]),
                        )
                    raise _Refused
            elif number >= 30:
                break
            continue
        first = values[positions["A"]] if positions["A"] < len(values) else None
        if isinstance(first, str) and first.strip().upper().startswith(TOTAL_WORDS):
            break
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        row = Row(number)
        for column in FIELDS:
            index = positions.get(column)
            if index is not None and index < len(values):
                _cell(row, column, values[index], report)
        count += 1
        if max_rows is not None and count > max_rows:
            _too_many(report, max_rows)
            raise _Refused
        yield row
    if positions is None:
        report.add(
            None,
            None,
            _(
                "Не найдена строка с номерами граф «A, 1, 2, … 17» формы реестра (приложение 2 к Правилам): "
                "используйте реестр принятых заявок или предложение Биржи как образец."
            ),
        )
        raise _Refused


def read_xml(data: bytes, report: Report, progress=None, debt: bool = False, max_rows=None) -> list[Row] | None:
    """The rows of an XML register (``xml_rows``), as a list, or None when the file is refused."""
    return _listed(xml_rows(data, report, max_rows=max_rows), progress)


def _xml_gate(source, report: Report) -> None:
    """defusedxml reads the file up to its root element: a DOCTYPE, an entity or an external reference is
    refused there, before any parser expands anything (a DOCTYPE can stand nowhere else: after the root it is
    not XML at all, and lxml refuses it as such); and the root must be the register's."""
    stream, ours = _opened(source)
    try:
        root = None
        for _event, elem in SafeET.iterparse(
            stream, events=("start",), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            root = elem
            break
    except DefusedXmlException:
        report.add(
            None,
            None,
            _(
                "Файл отклонен: XML содержит объявление DOCTYPE, сущностей (ENTITY) или внешних ссылок. "
                "Такие файлы не принимаются."
            ),
        )
        raise _Refused from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        report.add(None, None, _("Файл поврежден: XML не читается (строка файла %(line)s).", line=line))
        raise _Refused from None
    except (LookupError, ValueError):  # an encoding="..." Python does not know, or bytes it cannot decode
        report.add(None, None, _("Файл поврежден: XML не читается (строка файла %(line)s).", line=1))
        raise _Refused from None
    finally:
        if ours:
            stream.close()
    if root is None or root.tag != _q("Register"):
        report.add(
            None,
            None,
            _(
                "Это не реестр заявок: корневой элемент должен быть Register в пространстве имен "
                "%(ns)s (схема %(schema)s).",
                ns=NS,
                schema=SCHEMA_NAME,
            ),
        )
        raise _Refused


def xml_rows(source, report: Report, max_rows=None, validate: bool = False):
    """The rows of an XML register one by one (``source``: bytes or a path), streaming: ``_xml_gate`` first,
    then lxml with entities, DTDs and the network off, each ``Order`` dropped once read. With ``validate``
    the same pass checks register-v1.xsd and raises ``_SchemaInvalid`` at the first breach (the caller reads
    the file again without it, to report the rows first). Raises ``_Refused`` once the report says why the
    file cannot be read."""
    _xml_gate(source, report)
    stream, ours = _opened(source)
    position = 0
    complete = False
    try:
        for _event, elem in etree.iterparse(
            stream,
            events=("end",),
            tag=(_q("Order"), REGISTER),
            schema=schema() if validate else None,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,  # as the ElementTree reader did: a comment does not split a cell's text
            remove_pis=True,
        ):
            if elem.tag == REGISTER:
                complete = complete or elem.getparent() is None
                continue
            position += 1
            if max_rows is not None and position > max_rows:
                _too_many(report, max_rows)
                raise _Refused
            row = _xml_row(elem, position, report)
            elem.clear()
            parent = elem.getparent()
            if parent is not None and parent.tag == ORDERS:
                while elem.getprevious() is not None:
                    del parent[0]
            yield row
        if not complete:
            # lxml validating with entities off may stop at a broken tag without a word: a file is read only
            # once its root has ended, and otherwise read again without the schema, which says where it breaks
            raise etree.XMLSyntaxError("the document ends before Register is closed", None, 0, 0)
    except etree.XMLSyntaxError as exc:
        if validate:
            raise _SchemaInvalid(exc) from None
        report.add(None, None, _("Файл поврежден: XML не читается (строка файла %(line)s).", line=exc.lineno or "?"))
        raise _Refused from None
    except (LookupError, ValueError):
        report.add(None, None, _("Файл поврежден: XML не читается (строка файла %(line)s).", line=1))
        raise _Refused from None
    finally:
        if ours:
            stream.close()


ORDERS = _q("Orders")
REGISTER = _q("Register")
_NUMBER, _SUBMITTED = _q("Number"), _q("Submitted")
# The cells of Accepted (columns 3-6) and Satisfied (7-10): element -> (column, Row field).
_XML_GROUPS = {
    _q("Accepted"): {_q("Price"): "3", _q("Yield"): "4", _q("Quantity"): "5", _q("Volume"): "6"},
    _q("Satisfied"): {_q("Price"): "7", _q("Yield"): "8", _q("Quantity"): "9", _q("Volume"): "10"},
}


def _xml_row(elem, position: int, report: Report) -> Row:
    """Columns 1-10 of an ``Order``: for each, the text of the first element at its path (as ``find`` takes
    it: Number, Submitted, Accepted/Price, ...), in one walk over the children."""
    texts = {}
    for child in elem:
        tag = child.tag
        if tag == _NUMBER or tag == _SUBMITTED:
            if tag not in texts:
                texts[tag] = child.text
        else:
            group = _XML_GROUPS.get(tag)
            if group is not None:
                for cell in child:
                    column = group.get(cell.tag)
                    if column is not None and column not in texts:
                        texts[column] = cell.text
    row = Row(position)
    text = texts.get(_NUMBER)
    row.number = _number((text or "").strip() or None, position, "1", report, integer=True)
    text = texts.get(_SUBMITTED)
    row.submitted = _moment((text or "").strip() or None, position, report)
    for column in ("3", "4", "5", "6", "7", "8", "9", "10"):
        text = texts.get(column)
        if text is not None:
            value = _number(text.strip() or None, position, column, report, integer=column in INTEGER_COLUMNS)
            setattr(row, FIELDS[column], value)
    return row


_schema = None


def schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        _schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))
    return _schema


def _schema_message(exc: etree.XMLSyntaxError) -> str:
    line = exc.lineno or "?"
    detail = str(exc.msg or exc).replace("{" + NS + "}", "")
    return _(
        "Файл не соответствует схеме реестра %(schema)s (строка файла %(line)s): %(detail)s",
        schema=SCHEMA_NAME,
        line=line,
        detail=detail,
    )


def validate_schema(data, report: Report) -> None:
    """The structure against register-v1.xsd, streaming (``data``: bytes or a path). Only run once defusedxml
    accepted the file, and with entities, DTDs and the network off anyway."""
    stream, ours = _opened(data)
    try:
        complete = False
        for _event, elem in etree.iterparse(
            stream,
            events=("end",),
            schema=schema(),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            if elem.tag == _q("Order"):
                elem.clear()
            complete = elem.getparent() is None
        if not complete:  # see ``xml_rows``: a broken tag may end the validation without an error
            raise etree.XMLSyntaxError("the document ends before Register is closed", None, 0, 0)
    except etree.XMLSyntaxError as exc:
        report.add(None, None, _schema_message(exc))
    finally:
        if ours:
            stream.close()


# --- checking the satisfied register against the accepted one (S-9.1, S-9.2, S-9.5) -------------------------


def _show(column: str, value) -> str:
    if value is None:
        return _("пусто")
    if column == "2":
        return rules.local(value).strftime("%d.%m.%Y %H:%M:%S")
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _same(column: str, expected, got) -> bool:
    if got is BAD:
        return True  # already reported as unreadable
    if expected is None or got is None:
        return expected is None and got is None
    if column == "2":
        return abs((expected - got).total_seconds()) < 1
    if column in ("3", "4"):
        return _q4(expected) == _q4(got)
    if column == "6":
        return _q2(expected) == _q2(got)
    return expected == got


def _satisfied(order: Order, sub: Subscription, row: Row, report: Report) -> dict | None:
    """Columns 7-10 of a matched row checked against the order; the fill, or None for nothing filled."""
    n = order.number
    quantity, price, yield_rate, volume = row.sat_qty, row.sat_price, row.sat_yield, row.sat_volume
    if BAD in (quantity, price, yield_rate, volume):
        return None
    if quantity is None or quantity == 0:
        return None
    if quantity < 0:
        report.add(row.row, "9", _("Количество не может быть отрицательным."), n)
        return None
    problems = report.count
    if not sub.is_debt and yield_rate is not None:
        report.add(row.row, "8", _("Доходность указывается только для долговых ценных бумаг."), n)
    if price is None or price <= 0:
        report.add(row.row, "7", _("Укажите цену удовлетворения больше нуля."), n)
        return None
    money_order = order.kind == "market" and order.basis == "money"
    if not money_order and order.quantity is not None and quantity > order.quantity:
        report.add(
            row.row,
            "9",
            _(
                "Количество к удовлетворению (%(q)s) больше количества в заявке (%(max)s).",
                q=quantity,
                max=order.quantity,
            ),
            n,
        )
    if order.kind == "limit":
        # A fill may be no worse for the buyer than its limit: at most its price, for debt at least its yield.
        if sub.is_debt and order.yield_rate is not None:
            if yield_rate is None:
                report.add(
                    row.row,
                    "8",
                    _(
                        "Укажите доходность удовлетворения: заявка подана с указанием доходности (%(y)s).",
                        y=_show("4", _q4(order.yield_rate)),
                    ),
                    n,
                )
            elif yield_rate < order.yield_rate:
                report.add(
                    row.row,
                    "8",
                    _(
                        "Доходность удовлетворения %(y)s ниже доходности, указанной в заявке (%(limit)s).",
                        y=_show("8", _q4(yield_rate)),
                        limit=_show("4", _q4(order.yield_rate)),
                    ),
                    n,
                )
        elif order.price is not None and price > order.price:
            report.add(
                row.row,
                "7",
                _(
                    "Цена удовлетворения %(p)s выше цены лимитированной заявки (%(limit)s).",
                    p=_show("7", _q4(price)),
                    limit=_show("3", _q4(order.price)),
                ),
                n,
            )
    expected = rules.money(price * quantity)
    if volume is None:
        volume = expected
    elif _q2(volume) != expected:
        report.add(
            row.row,
            "10",
            _(
                "Объем %(v)s не равен цене, умноженной на количество (%(e)s).",
                v=_show("10", _q2(volume)),
                e=_show("10", expected),
            ),
            n,
        )
    if money_order and order.money is not None and volume > order.money:
        report.add(
            row.row,
            "10",
            _(
                "Объем удовлетворения %(v)s больше объема рыночной заявки в деньгах (%(money)s).",
                v=_show("10", _q2(volume)),
                money=_show("10", _q2(order.money)),
            ),
            n,
        )
    if report.count > problems:
        return None
    return {
        "order": order.id,
        "price": _q4(price),
        "yield_rate": _q4(yield_rate) if sub.is_debt and yield_rate is not None else None,
        "quantity": int(quantity),
        "volume": _q2(volume),
        "investor": investor_key(order),
    }


class _Fills:
    """The fills of a register being checked, spooled to a temporary file as they are found (a few dozen
    bytes each) rather than held as 200,000 dictionaries until the register is accepted."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(mode="w+", encoding="ascii", newline="\n")
        self.count = 0
        self.quantity = 0
        self.volume = Decimal(0)

    def add(self, fill: dict) -> None:
        self.count += 1
        self.quantity += fill["quantity"]
        self.volume += fill["volume"]
        yield_rate = "" if fill["yield_rate"] is None else format(fill["yield_rate"], "f")
        self.file.write(f"{fill['order']}\t{fill['price']:f}\t{yield_rate}\t{fill['quantity']}\t{fill['volume']:f}\n")

    def rows(self):
        """(order, price, yield, quantity, volume) per fill, in the order found."""
        self.file.seek(0)
        for line in self.file:
            order, price, yield_rate, quantity, volume = line.rstrip("\n").split("\t")
            yield (
                int(order),
                Decimal(price),
                Decimal(yield_rate) if yield_rate else None,
                int(quantity),
                Decimal(volume),
            )

    def close(self) -> None:
        self.file.close()


INT64 = 2**63  # an order number outside a BIGINT is no order: never sent to the database


class Checker:
    """S-9.5: every row against the accepted register (the orders, columns 1-6 unchanged), every fill against
    its order, the total against the offer and, in a private placement, at most 50 investors (S-9.2).

    Rows come in batches in the file's order (``feed``); each batch finds its orders in one query by number.
    Held meanwhile: the number and row of every row seen (for duplicates and missing orders), the rows whose
    order the accepted register does not list, and in a private placement (order, row, investor) per fill;
    the fills themselves go to a temporary file. ``finish`` reports the orders missing from the file (walking
    the book's numbers), the investors past the 50th (in number order, as the book lists them), unknown rows
    and the total."""

    def __init__(self, sub: Subscription, report: Report):
        self.sub = sub
        self.report = report
        self.rows = 0
        self.seen = {}  # order number -> the row it is on (its first row)
        self.unknown = {}  # order number -> Row, for rows whose order the accepted register does not list
        self.total = 0
        self.fills = _Fills()
        self.investors = [] if sub.private else None
        self.market = None

    def feed(self, rows: list[Row]) -> None:
        report = self.report
        fresh = []
        for row in rows:
            self.rows += 1
            number = row.number
            if number is None:
                report.add(row.row, "1", _("Не указан номер заявки."))
                continue
            if number is BAD:
                continue
            other = self.seen.get(number)
            if other is not None:
                report.add(
                    row.row,
                    "1",
                    _("Заявка № %(n)s указана в реестре дважды (также в строке %(other)s).", n=number, other=other),
                    number,
                )
                continue
            self.seen[number] = row.row
            fresh.append(row)
        orders = book_orders(self.sub, [r.number for r in fresh if -INT64 <= r.number < INT64])
        for row in fresh:
            order = orders.get(row.number)
            if order is None:
                self.unknown[row.number] = row
            else:
                self._match(order, row)

    def _match(self, order, row: Row) -> None:
        sub, report = self.sub, self.report
        if order.kind == "market" and self.market is None:
            self.market = market_price(sub)
        expected = accepted_values(order, sub, self.market)
        for column in ("2", "3", "4", "5", "6"):
            if column == "4" and not sub.is_debt and row.acc_yield is None:
                continue
            name = FIELDS[column]
            got = getattr(row, name)
            if not _same(column, expected[name], got):
                report.add(
                    row.row,
                    column,
                    _(
                        "Изменены параметры принятой заявки: графа %(col)s (%(label)s) — в реестре принятых заявок "
                        "%(expected)s, в файле %(got)s.",
                        col=column,
                        label=LABELS[column],
                        expected=_show(column, expected[name]),
                        got=_show(column, got),
                    ),
                    order.number,
                )
        if isinstance(row.sat_qty, int) and row.sat_qty > 0:
            self.total += row.sat_qty  # the file's total, whatever else is wrong with the row
        fill = _satisfied(order, sub, row, report)
        if fill is None:
            return
        self.fills.add(fill)
        if self.investors is not None:
            self.investors.append((order.number, row.row, fill["investor"]))

    def finish(self) -> None:
        sub, report = self.sub, self.report
        last = 0
        while True:
            query = service.accepted_orders(sub).select(Order.number).where(Order.number > last).limit(BATCH * 10)
            numbers = [number for (number,) in db.execute(query).fetchall()]
            for number in numbers:
                if number not in self.seen:
                    report.add(
                        None,
                        "1",
                        _("Заявка № %(n)s из реестра принятых заявок отсутствует в файле.", n=number),
                        number,
                    )
            if len(numbers) < BATCH * 10:
                break
            last = numbers[-1]
        if self.investors:
            investors = set()
            for number, row, investor in sorted(self.investors):
                if investor in investors:
                    continue
                investors.add(investor)
                if len(investors) > rules.PRIVATE_MAX_INVESTORS:
                    report.add(
                        row,
                        "9",
                        _(
                            "Заявка № %(n)s — %(k)s-й инвестор: в частном размещении удовлетворяются заявки не "
                            "более 50 инвесторов (пункт 2 статьи 9 Правил).",
                            n=number,
                            k=len(investors),
                        ),
                        number,
                    )
        if self.unknown:
            _unknown(sub, self.unknown, report)
        limit = offered(sub)
        if self.total > limit:
            report.add(
                None,
                "9",
                _(
                    "Всего к удовлетворению %(total)s ценных бумаг — больше предложенного количества (%(offered)s).",
                    total=self.total,
                    offered=limit,
                ),
            )


def check_rows(sub: Subscription, rows, report: Report) -> _Fills:
    """Check a whole list of rows (``Checker`` in batches)."""
    checker = Checker(sub, report)
    for start in range(0, len(rows), BATCH):
        checker.feed(rows[start : start + BATCH])
    checker.finish()
    return checker.fills


def _unknown(sub, by_number: dict, report: Report) -> None:
    """Rows whose order the accepted register does not list: excluded from it (S-8.2), or unknown."""
    numbers = sorted(by_number)
    statuses = {}
    queried = [n for n in numbers if -INT64 <= n < INT64]
    for start in range(0, len(queried), 500):
        chunk = queried[start : start + 500]
        query = Order.select(Order.number, Order.status, Order.confirmed).where(
            (Order.subscription == sub) & Order.number.in_(chunk)
        )
        for number, status, confirmed in query.tuples():
            statuses[number] = (status, confirmed)
    for number in numbers:
        row = by_number[number]
        if number in statuses:
            status, confirmed = statuses[number]
            if status == "active" and confirmed is False:
                label = _("не подтверждена пользователем системы контроля")
            else:
                label = str(ORDER_STATUSES.get(status, status)).lower()
            message = _(
                "Заявка № %(n)s исключена из реестра принятых заявок (%(status)s) и не может быть удовлетворена.",
                n=number,
                status=label,
            )
        else:
            message = _("Заявки № %(n)s нет в реестре принятых заявок.", n=number)
        report.add(row.row, "1", message, number)


# --- receiving the satisfied register (S-9.3 - S-9.5) -----------------------------------------------------


def due_end(sub: Subscription) -> datetime.datetime:
    """S-9.3: the satisfied register is due by the end of the application's date (Almaty), as stored UTC."""
    return rules.utc(sub.satisfied_register_on + datetime.timedelta(days=1), datetime.time(0))


def received_before(sub: Subscription) -> bool:
    return RegisterJob.select().where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check")).exists()


def upload_refusal(sub: Subscription, user: User, at=None) -> str | None:
    """Why this user may not send a satisfied register now, or None."""
    at = at or service.now()
    if user.is_staff or user.organisation_id != sub.seller_id:
        return _("Реестр удовлетворенных заявок представляет продавец.")
    if sub.state not in UPLOAD_STATES:
        return _("Подписка сейчас в состоянии «%(state)s»: реестр не принимается.", state=sub.state_label)
    if at >= sub.deal_at:
        return _("Исправления принимаются до заключения сделок (%(t)s).", t=_local(sub.deal_at))
    if at >= due_end(sub) and not received_before(sub):
        return _(
            "Реестр удовлетворенных заявок нужно было представить не позднее %(d)s; после этого Биржа принимает "
            "только исправления ранее представленного реестра.",
            d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
        )
    return None


def _local(moment) -> str:
    return rules.local(moment).strftime("%d.%m.%Y %H:%M")


def receive_satisfied(sub: Subscription, user: User, data: bytes, filename: str, at=None) -> RegisterJob:
    """Take the seller's file: a file that is no register at all, or a zip bomb, is refused at once; the rest is
    stored and checked in the background (``check_satisfied_register``)."""
    refusal = upload_refusal(sub, user, at)
    if refusal:
        raise service.SubscriptionError(refusal)
    report = Report()
    kind = sniff(data)
    if kind == "ole":
        report.add(None, None, _("Формат XLS (Excel 97–2003) не принимается: сохраните реестр как XLSX или XML."))
    elif kind == "xlsx":
        check_zip(data, report)
    elif kind != "xml":
        report.add(
            None,
            None,
            _("Файл не является реестром в формате XLSX или XML (проверяется содержимое файла, а не расширение)."),
        )
    name = os.path.basename((filename or "").replace("\\", "/"))[:255] or "register"
    outbox = Outbox()
    with db.atomic():
        if report:
            job = RegisterJob.create(
                subscription=sub,
                kind="check",
                format=kind if kind in ("xml", "xlsx") else "",
                status="rejected",
                original_name=name,
                errors=json.dumps(report.as_list(), ensure_ascii=False),
                requested_by=user,
                finished_at=utcnow(),
            )
            _rejected(sub, user, job, report, outbox)
    if report:
        outbox.send()
        return job
    with db.atomic():
        stored = store(data, name, kind)
        job = RegisterJob.create(
            subscription=sub, kind="check", format=kind, file=stored, original_name=name, requested_by=user
        )
        audit.record(
            "subscription.satisfied_register_received",
            sub,
            organisation=sub.seller,
            actor=user,
            file=stored.id,
            sha256=stored.sha256,
            name=name,
        )
    _enqueue("check_satisfied_register", job)
    return job


def _rejected(sub, user, job, report: Report, outbox: Outbox, register=None) -> None:
    """S-9.5: the seller is told of every mismatch or a corrupt file; nothing else changes."""
    audit.record(
        "subscription.satisfied_register_rejected",
        sub,
        organisation=sub.seller,
        actor=user,
        job=job.id,
        register=register.id if register else None,
        mismatches=report.count,
    )
    outbox.tell(
        service.users_of([sub.seller]),
        _l(
            "Реестр удовлетворенных заявок по подписке %(number)s не принят: несоответствий — %(n)s. "
            "Исправьте его и представьте снова до заключения сделок (%(t)s), иначе подписка будет признана "
            "несостоявшейся.",
            number=sub.number or sub.isin,
            n=report.count,
            t=_local(sub.deal_at),
        ),
        sub,
        user,
    )


def check_satisfied_register(job_id: int) -> None:
    """The background task that checks an uploaded satisfied register and, if it holds, accepts it."""
    _run(job_id, _check)


def _verified(stored: StoredFile) -> Path:
    """The path of a stored file, once its hash is checked in chunks (``StoredFile.read`` without holding it)."""
    digest = hashlib.sha256()
    try:
        with open(stored.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise FileIntegrityError(f"file {stored.id} ({stored.original_name}) is missing") from exc
    if digest.hexdigest() != stored.sha256:
        raise FileIntegrityError(f"file {stored.id} ({stored.original_name}) was altered")
    return stored.path


def _batched(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_file(sub: Subscription, fmt: str, source, total: int, progress=None) -> tuple[Report, _Fills | None]:
    """Read an uploaded register (``source``: a path or bytes) and check it, streaming: rows are read, matched
    to their orders and checked a batch at a time. Returns the report and the fills (None when the file was
    refused). As before, a file that cannot be read is reported as such alone (its rows' mismatches are
    dropped), and an XML file's schema breach is reported only when its rows hold: the first pass checks
    the schema along, and on a breach the file is read again without it."""
    validate = fmt == "xml"
    while True:
        report = Report()
        checker = Checker(sub, Report())
        max_rows = total + 100  # a few stray rows get their own messages; a flood is refused early
        if fmt == "xml":
            rows = xml_rows(source, report, max_rows=max_rows, validate=validate)
        else:
            rows = xlsx_rows(source, report, debt=sub.is_debt, max_rows=max_rows)
        try:
            for batch in _batched(rows, BATCH):
                checker.feed(batch)
                if progress:
                    progress(min(2 * checker.rows, 2 * total))
        except _SchemaInvalid as exc:
            checker.fills.close()
            validate = False
            breach = exc.error
            continue
        except _Refused:
            checker.fills.close()
            return report, None
        break
    if not checker.rows:
        checker.fills.close()
        report.add(None, None, _("В файле нет ни одной строки с заявками."))
        return report, None
    checker.finish()
    report.extend(checker.report)
    if fmt == "xml" and not validate and not report:
        report.add(None, None, _schema_message(breach))
    return report, checker.fills


def _check(job: RegisterJob) -> None:
    sub = Subscription.get_by_id(job.subscription_id)
    user = job.requested_by
    total = service.accepted_orders(sub).count()
    _progress(job.id, 0, 2 * total)
    report, fills = check_file(sub, job.format, _verified(job.file), total, Progress(job.id))
    try:
        _conclude(job, sub, user, total, report, fills)
    finally:
        if fills is not None:
            fills.close()


def _conclude(job: RegisterJob, sub: Subscription, user, total: int, report: Report, fills) -> None:
    outbox = Outbox()
    with db.atomic():
        fresh = Subscription.get_by_id(sub.id)
        if not report:
            refusal = upload_refusal(fresh, user, at=job.created_at) if user else None
            if refusal:
                report.add(None, None, refusal)
        if not report:
            try:
                with db.atomic():
                    register = _accept(fresh, user, job, fills, outbox)
            except service.SubscriptionError as exc:
                report.add(None, None, exc.message)
        if report:
            register = Register.create(
                subscription=sub,
                kind="satisfied",
                format=job.format,
                file=job.file,
                status="rejected",
                errors=json.dumps(report.as_list(), ensure_ascii=False),
                uploaded_by=user,
            )
            _rejected(fresh, user, job, report, outbox, register)
        RegisterJob.update(
            status="done", register=register, done=2 * total, finished_at=utcnow(), updated_at=utcnow()
        ).where(RegisterJob.id == job.id).execute()
    outbox.send()


def _accept(sub: Subscription, user, job: RegisterJob, fills: _Fills, outbox: Outbox) -> Register:
    """Accept it: the fills replace any earlier ones, and the subscription moves on. Its receipt is the seller's
    consent to the deals (S-9.4)."""
    register = Register.create(
        subscription=sub, kind="satisfied", format=job.format, file=job.file, status="accepted", uploaded_by=user
    )
    Fill.delete().where(Fill.subscription == sub).execute()
    bulk_insert(
        Fill,
        [Fill.subscription, Fill.order, Fill.price, Fill.yield_rate, Fill.quantity, Fill.volume],
        ((sub.id, *fill) for fill in fills.rows()),
        batch=2000,
        prepared=True,  # integers and quantized decimals, as the check made them
    )
    service._move(sub, "satisfied_register")
    quantity = fills.quantity
    volume = fills.volume
    audit.record(
        "subscription.satisfied_register",
        sub,
        organisation=sub.seller,
        actor=user,
        register=register.id,
        fills=fills.count,
        quantity=quantity,
        volume=str(volume),
        consent_to_deals=True,
        note="Получение Биржей реестра удовлетворенных заявок — согласие продавца на заключение сделок (п. 4 ст. 9)",
    )
    message = _(
        "Реестр удовлетворенных заявок по подписке %(number)s принят: удовлетворяется заявок — %(n)s, "
        "%(q)s шт. на %(v)s %(cur)s. Его получение Биржей означает согласие продавца на заключение сделок "
        "на указанных в нем условиях.",
        number=sub.number or sub.isin,
        n=fills.count,
        q=quantity,
        v=f"{volume:,.2f}".replace(",", " "),
        cur=sub.currency,
    )
    outbox.tell(service.users_of([sub.seller]) + service.staff_of("trading"), message, sub, user)
    return register


# --- calling off (S-9.3) and failure (S-9.6) ---------------------------------------------------------------


def _buyers(sub) -> list[User]:
    orgs = [o for (o,) in Order.select(Order.buyer).where(Order.subscription == sub).distinct().tuples()]
    return service.users_of(orgs) if orgs else []


def _release_all(sub) -> None:
    """The subscription will not settle: every block on its orders is released (S-5.2)."""
    from plugins.subscription.models import TradeAccount

    blocked = (
        Order.select(Order.account, pw.fn.SUM(Order.blocked))
        .where((Order.subscription == sub) & (Order.blocked > 0))
        .group_by(Order.account)
        .tuples()
    )
    for account_id, amount in list(blocked):
        TradeAccount.update(blocked=TradeAccount.blocked - amount).where(TradeAccount.id == account_id).execute()
    Order.update(secured=False, blocked=0).where((Order.subscription == sub) & (Order.blocked > 0)).execute()


def call_off_refusal(sub: Subscription, user: User, at=None) -> str | None:
    at = at or service.now()
    if user.is_staff or user.organisation_id != sub.seller_id:
        return _("Отказаться от проведения подписки может только продавец.")
    if sub.state not in CALL_OFF_STATES:
        return _("Подписка сейчас в состоянии «%(state)s»: отказ невозможен.", state=sub.state_label)
    if at >= due_end(sub):
        return _(
            "Об отказе от проведения подписки сообщается не позднее срока представления реестра удовлетворенных "
            "заявок (%(d)s).",
            d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
        )
    return None


def call_off(sub: Subscription, user: User, reason: str, letter: bytes | None = None, at=None) -> Subscription:
    """S-9.3: the seller calls the subscription off in writing, with the reason; the CD and the buyers are told."""
    reason = (reason or "").strip()
    if not reason:
        raise service.SubscriptionError(_("Укажите причину отказа от проведения подписки."))
    refusal = call_off_refusal(sub, user, at)
    if refusal:
        raise service.SubscriptionError(refusal)
    if letter is not None and sniff(letter) != "pdf":
        raise service.SubscriptionError(_("Письмо прикладывается в формате PDF."))
    outbox = Outbox()
    with db.atomic():
        sub = service._fresh(sub, *CALL_OFF_STATES)
        stored = store(letter, f"call-off-{sub.number or sub.id}", "pdf") if letter else None
        CallOff.create(subscription=sub, reason=reason, letter=stored, called_by=user)
        _release_all(sub)
        service._move(sub, "called_off", failed_reason=_("Продавец отказался от проведения подписки: %(r)s", r=reason))
        audit.record(
            "subscription.call_off",
            sub,
            organisation=sub.seller,
            actor=user,
            reason=reason,
            letter=stored.id if stored else None,
        )
        message = _(
            "Продавец отказался от проведения подписки %(number)s: %(reason)s",
            number=sub.number or sub.isin,
            reason=reason,
        )
        outbox.tell(service.csd_users() + _buyers(sub) + service.staff_of("trading"), message, sub, user, False)
    outbox.send()
    return sub


def fail(sub: Subscription, reason: str, at=None) -> Subscription:
    """S-9.6: no satisfied register accepted in time: the subscription is declared failed."""
    outbox = Outbox()
    with db.atomic():
        sub = service._fresh(sub, "accepted_register")
        _release_all(sub)
        service._move(sub, "failed", failed_reason=reason)
        audit.record("subscription.failed", sub, organisation=sub.seller, reason=reason, rule="S-9.6")
        message = _(
            "Подписка %(number)s признана несостоявшейся: %(reason)s", number=sub.number or sub.isin, reason=reason
        )
        outbox.tell(
            service.users_of([sub.seller]) + service.csd_users() + _buyers(sub) + service.staff_of("trading"),
            message,
            sub,
            None,
            False,
        )
    outbox.send()
    return sub


def enforce_deadlines(at=None) -> dict:
    """The periodic job: the accepted register for every activated subscription (S-8.1), failure where no
    satisfied register came in time (S-9.3) or none was accepted by the deal time (S-9.6), and jobs that died."""
    at = at or service.now()
    done = {"produced": 0, "failed": 0, "requeued": 0}
    stale = (RegisterJob.status == "running") & (RegisterJob.updated_at < at - STALE)
    interrupted = str(_("Формирование прервано; запустите снова."))
    RegisterJob.update(status="failed", message=interrupted, finished_at=at).where(stale).execute()
    for job in list(
        RegisterJob.select().where((RegisterJob.status == "pending") & (RegisterJob.updated_at < at - REQUEUE))
    ):
        RegisterJob.update(updated_at=at).where(RegisterJob.id == job.id).execute()
        _enqueue("check_satisfied_register" if job.kind == "check" else "build_register", job)
        done["requeued"] += 1
    for sub in list(Subscription.select().where(Subscription.state == "activated")):
        if not service.period_over(sub, at) or service.close_period(sub, at):
            continue
        produced = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "accepted")
            & RegisterJob.status.in_(("pending", "running", "done"))
        )
        if not produced.exists():
            try:
                start_accepted(sub, at=at)
                done["produced"] += 1
            except service.SubscriptionError:
                pass
    for sub in list(Subscription.select().where(Subscription.state == "accepted_register")):
        checking = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "check")
            & RegisterJob.status.in_(("pending", "running"))
            & (RegisterJob.created_at < sub.deal_at)
        )
        if checking.exists():
            continue  # a file that came in time is still being checked
        reason = None
        if at >= sub.deal_at:
            reason = _("реестр удовлетворенных заявок не принят до заключения сделок (пункт 6 статьи 9 Правил).")
        elif at >= due_end(sub) and not received_before(sub):
            reason = _(
                "реестр удовлетворенных заявок не представлен в срок (%(d)s) и продавец не сообщил об отказе "
                "(пункт 3 статьи 9 Правил).",
                d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
            )
        if reason:
            try:
                fail(sub, reason, at)
                done["failed"] += 1
            except service.SubscriptionError:
                pass
    return done


bp.record_once(lambda state: tasks.task(state.app, build_register))
bp.record_once(lambda state: tasks.task(state.app, check_satisfied_register))


# --- forms ---------------------------------------------------------------------------------------------------


class ProposalForm(FlaskForm):
    method = RadioField(
        _l("Способ распределения"),
        choices=choices(METHODS.items()),
        default="prorata",
        validators=[DataRequired(_l("Выберите способ распределения."))],
    )
    cutoff = DecimalField(
        _l("Цена отсечения (для облигаций — доходность отсечения, % годовых)"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    threshold = IntegerField(
        _l("Порог полного удовлетворения, шт."),
        validators=[Optional(), NumberRange(min=1, message=_l("Порог должен быть больше нуля."))],
    )
    format = RadioField(
        _l("Формат"), choices=choices([("xlsx", "XLSX"), ("xml", "XML")]), default="xlsx", validators=[Optional()]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.method.data == "cutoff" and self.cutoff.data is None:
            self.cutoff.errors = list(self.cutoff.errors) + [_l("Укажите цену (доходность) отсечения.")]
            return False
        if self.method.data == "threshold" and not self.threshold.data:
            self.threshold.errors = list(self.threshold.errors) + [_l("Укажите порог полного удовлетворения.")]
            return False
        return valid


class UploadForm(FlaskForm):
    file = FileField(
        _l("Файл реестра удовлетворенных заявок (XLSX или XML)"), validators=[FileRequired(_l("Приложите файл."))]
    )


class CallOffForm(FlaskForm):
    reason = TextAreaField(
        _l("Причина отказа от проведения подписки"),
        validators=[DataRequired(_l("Укажите причину отказа от проведения подписки.")), Length(max=4000)],
    )
    letter = FileField(_l("Письмо продавца (PDF, необязательно)"))

    def validate_letter(self, field):
        self.letter_bytes = None
        if field.data and getattr(field.data, "filename", ""):
            data = field.data.read()
            if data:
                if sniff(data) != "pdf":
                    from wtforms.validators import ValidationError

                    raise ValidationError(_l("Письмо прикладывается в формате PDF (проверяется содержимое файла)."))
                self.letter_bytes = data


# --- pages ---------------------------------------------------------------------------------------------------


def registers_visible(sub: Subscription) -> bool:
    user = current_user
    return bool(user and user.is_authenticated and service.may_see_registers(user, sub))


bp.add_app_template_global(registers_visible, "registers_visible")

SHOWN_MISMATCHES = 10  # on the subscription page; the registers page lists the whole report


def rejected_check(sub: Subscription) -> RegisterJob | None:
    """The seller's last satisfied register, if it was not accepted (S-9.5): the subscription page says so with
    its mismatches, instead of leaving them in the job's report."""
    job = (
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check"))
        .order_by(RegisterJob.id.desc())
        .first()
    )
    if job is None or job.active:
        return None
    if job.status == "done" and job.register_id and job.register.status == "accepted":
        return None
    return job if job.status in ("done", "rejected", "failed") else None


bp.add_app_template_global(rejected_check, "rejected_satisfied_check")


def _sub_or_404(sub_id) -> Subscription:
    """S-8.4: the registers are confidential: anyone else gets "not found"."""
    sub = Subscription.get_or_none(Subscription.id == sub_id)
    if sub is None or not service.may_see_registers(current_user, sub):
        abort(404)
    return sub


def _job_or_404(sub, job_id) -> RegisterJob:
    return RegisterJob.get_or_none((RegisterJob.id == job_id) & (RegisterJob.subscription == sub)) or abort(404)


def _seller(sub) -> bool:
    return not current_user.is_staff and current_user.organisation_id == sub.seller_id


def _context(sub, **forms) -> dict:
    user = current_user._get_current_object()
    jobs = list(
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind != "check"))
        .order_by(RegisterJob.id.desc())
        .limit(10)
    )
    registers = list(Register.select().where(Register.subscription == sub).order_by(Register.id.desc()))
    satisfied = [r for r in registers if r.kind == "satisfied"]
    current = next((r.id for r in satisfied if r.status == "accepted"), None)
    checks = list(
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check"))
        .order_by(RegisterJob.id.desc())
        .limit(1)
    )
    is_seller = _seller(sub)
    is_trading = user.is_staff and (user.in_department("trading") or user.is_admin)
    return {
        "sub": sub,
        "is_seller": is_seller,
        "is_trading": is_trading,
        # a finished accepted register is listed with the registers; a proposal only lives here
        "jobs": [j for j in jobs if j.kind == "proposal" or j.status != "done"],
        "accepted": [r for r in registers if r.kind == "accepted"],
        "satisfied": satisfied,
        "current_satisfied": current,
        "last_check": checks[0] if checks else None,
        "call_off": CallOff.get_or_none(CallOff.subscription == sub),
        "upload_refusal": upload_refusal(sub, user) if is_seller else None,
        "call_off_refusal": call_off_refusal(sub, user) if is_seller else None,
        "can_produce": is_trading
        and sub.state in ("activated", "accepted_register")
        and service.period_over(sub)  # S-8.1: after the period and its confirmation minutes (S-4.2)
        and not any(j.kind == "accepted" and j.active for j in jobs),
        "can_propose": is_seller and sub.state in UPLOAD_STATES,
        "due_end": due_end(sub),
        "offered": offered(sub),
        "local": rules.local,
        "statuses": {"accepted": _l("принят"), "rejected": _l("отклонен"), "received": _l("получен")},
        "proposal_form": forms.get("proposal_form") or ProposalForm(formdata=None),
        "upload_form": forms.get("upload_form") or UploadForm(formdata=None),
        "call_off_form": forms.get("call_off_form") or CallOffForm(formdata=None),
    }


def _page(sub, status=200, **forms):
    response = render("subscription/registers.html", "registers_body", **_context(sub, **forms))
    response.status_code = status
    return response


def _back(sub, anchor=""):
    return redirect(url_for("subscription_registers.page", sub_id=sub.id) + anchor)


@bp.route("/subscriptions/<int:sub_id>/registers")
@login_required
def page(sub_id):
    return _page(_sub_or_404(sub_id))


@bp.route("/subscriptions/<int:sub_id>/registers/jobs/<int:job_id>")
@login_required
def job(sub_id, job_id):
    """The progress of one job: htmx polls this block until it is done."""
    sub = _sub_or_404(sub_id)
    job = _job_or_404(sub, job_id)
    return render("subscription/registers.html", "register_job", **_context(sub), job=job)


@bp.route("/subscriptions/<int:sub_id>/registers/accepted", methods=["POST"])
@staff_required("trading")
def produce(sub_id):
    sub = _sub_or_404(sub_id)
    try:
        start_accepted(sub, current_user._get_current_object())
    except service.SubscriptionError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Реестр принятых заявок формируется."), "success")
    return _back(sub, "#accepted")


@bp.route("/subscriptions/<int:sub_id>/registers/<int:register_id>/download")
@login_required
def download(sub_id, register_id):
    """S-8.3: the register goes to those entitled only, and every download is on the record."""
    sub = _sub_or_404(sub_id)
    register = Register.get_or_none((Register.id == register_id) & (Register.subscription == sub)) or abort(404)
    audit.record(
        "subscription.register_download",
        register,
        organisation=current_user.organisation,
        subscription=sub.id,
        kind=register.kind,
        format=register.format,
        file=register.file_id,
    )
    return send_stored(register.file)


@bp.route("/subscriptions/<int:sub_id>/registers/jobs/<int:job_id>/download")
@login_required
def job_download(sub_id, job_id):
    sub = _sub_or_404(sub_id)
    job = _job_or_404(sub, job_id)
    if job.file_id is None or job.status not in ("done",):
        abort(404)
    audit.record(
        "subscription.register_download",
        sub,
        organisation=current_user.organisation,
        job=job.id,
        kind=job.kind,
        format=job.format,
        file=job.file_id,
    )
    return send_stored(job.file)


@bp.route("/subscriptions/<int:sub_id>/registers/proposal", methods=["POST"])
@login_required
def proposal(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = ProposalForm()
    if not form.validate_on_submit():
        return _page(sub, 422, proposal_form=form)
    try:
        start_proposal(
            sub,
            current_user._get_current_object(),
            form.method.data,
            form.format.data or "xlsx",
            cutoff=form.cutoff.data,
            threshold=form.threshold.data,
        )
    except service.SubscriptionError as exc:
        flash(exc.message, "danger")
        return _page(sub, 422, proposal_form=form)
    flash(_("Предложение реестра формируется."), "success")
    return _back(sub, "#proposal")


@bp.route("/subscriptions/<int:sub_id>/registers/satisfied", methods=["POST"])
@login_required
def upload(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(sub, 422, upload_form=form)
    data = form.file.data.read()
    try:
        job = receive_satisfied(sub, current_user._get_current_object(), data, form.file.data.filename)
    except service.SubscriptionError as exc:
        form.file.errors = list(form.file.errors) + [exc.message]
        return _page(sub, 422, upload_form=form)
    if job.status == "rejected":
        flash(_("Файл не принят: см. отчет о несоответствиях."), "danger")
    else:
        flash(_("Файл получен и проверяется."), "success")
    return _back(sub, "#satisfied")


@bp.route("/subscriptions/<int:sub_id>/registers/call-off", methods=["POST"])
@login_required
def call_off_view(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = CallOffForm()
    if not form.validate_on_submit():
        return _page(sub, 422, call_off_form=form)
    try:
        call_off(sub, current_user._get_current_object(), form.reason.data, getattr(form, "letter_bytes", None))
    except service.SubscriptionError as exc:
        form.reason.errors = list(form.reason.errors) + [exc.message]
        return _page(sub, 422, call_off_form=form)
    flash(_("Отказ от проведения подписки направлен; центральный депозитарий и покупатели уведомлены."), "success")
    return redirect(url_for("subscription.detail", sub_id=sub.id))


@bp.route("/subscriptions/<int:sub_id>/registers/call-off/letter")
@login_required
def call_off_letter(sub_id):
    sub = _sub_or_404(sub_id)
    record = CallOff.get_or_none(CallOff.subscription == sub)
    if record is None or record.letter_id is None:
        abort(404)
    audit.record("subscription.call_off_letter_download", sub, organisation=current_user.organisation)
    return send_stored(record.letter)


@bp.route("/subscriptions/schema/register-v1.xsd", endpoint="schema")
@public
def schema_file():
    """The published schema of the XML registers (no secrets in it: anyone may read it)."""
    return send_file(SCHEMA_PATH, mimetype="application/xml", max_age=3600)
