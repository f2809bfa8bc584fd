"""Writing a register as XML (schema ``register-v1.xsd``), row by row."""

import datetime
import re
from decimal import Decimal

from core import clock, external_url, utcnow
from plugins.subscription import rules
from plugins.subscription.models import Subscription
from plugins.subscription.registers.columns import NS, XSI, Totals, money_orders_note, offered, window_lines

# --- writing: XML --------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry (lxml refuses them): dropped from the text of a register.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
    kind = value.__class__
    if kind is int:  # a number has nothing to escape and no character to drop: written as ``_escaped`` would
        out.append(f"<{name}>{value}</{name}>")
    elif kind is Decimal:
        out.append(f"<{name}>{value:f}</{name}>")
    elif value is None or value == "":
        return
    else:
        out.append(f"<{name}>{_escaped(value)}</{name}>")


def _xml_time(moment: datetime.datetime, zone=None) -> str:
    """The Exchange's time with its offset (``clock.aware``); ``zone``: the Exchange's zone when the caller has it
    already (looked up once per register, not once per order)."""
    if zone is None:
        return clock.aware(moment).replace(microsecond=0).isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


CACHED = 10_000  # distinct texts (and times) a register keeps written, at most


class _Written:
    """What a register writes again and again, made once: the escaped texts (a buyer's name and contacts repeat
    on every order of theirs) and the Exchange's times (orders share their second), each up to ``CACHED``
    distinct values; the same strings ``_leaf`` and ``_xml_time`` make."""

    def __init__(self):
        self.zone = clock.zone()
        self.texts = {}
        self.times = {}

    def leaf(self, out: list, name: str, value) -> None:
        kind = value.__class__
        if kind is str and value:
            out.append(f"<{name}>{self.escaped(value)}</{name}>")
        elif kind is int:
            out.append(f"<{name}>{value}</{name}>")
        elif kind is Decimal:
            out.append(f"<{name}>{value:f}</{name}>")
        else:
            _leaf(out, name, value)

    def escaped(self, value: str) -> str:
        text = self.texts.get(value)
        if text is None:
            if len(self.texts) >= CACHED:
                self.texts.clear()
            text = self.texts[value] = _escaped(value)
        return text

    def time(self, moment: datetime.datetime) -> str:
        text = self.times.get(moment)
        if text is None:
            if len(self.times) >= CACHED:
                self.times.clear()
            text = self.times[moment] = _xml_time(moment, self.zone)
        return text


def write_xml(target, sub: Subscription, kind: str, rows) -> Totals:
    """Write the register to ``target`` row by row; ``rows`` yields (order, accepted, satisfied, people).
    Each order is one string written as it is made (the register's tags are fixed, its texts escaped), so
    nothing but the current row is held and no element object is built per cell."""
    totals = Totals()
    location = _escaped(f"{NS} {external_url('subscription.register_schema')}")
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
        written = _Written()
        leaf, escaped = written.leaf, written.escaped
        for row, (order, acc, sat, who) in enumerate(rows, start=1):
            totals.add(acc, sat)
            out.append(
                f'<Order row="{row}" type="{escaped(order.kind)}" basis="{escaped(order.basis)}">'
                f"<Number>{acc['number']}</Number><Submitted>{written.time(acc['submitted'])}</Submitted><Accepted>"
            )
            leaf(out, "Price", acc["acc_price"])
            leaf(out, "Yield", acc["acc_yield"])
            leaf(out, "Quantity", acc["acc_qty"])
            leaf(out, "Volume", acc["acc_volume"])
            out.append("</Accepted>")
            if sat is not None:
                out.append("<Satisfied>")
                leaf(out, "Price", sat.get("sat_price"))
                leaf(out, "Yield", sat.get("sat_yield"))
                leaf(out, "Quantity", sat.get("sat_qty"))
                leaf(out, "Volume", sat.get("sat_volume"))
                out.append("</Satisfied>")
            if who:
                investor = [(name, who[key]) for key, name in investor_tags if who.get(key)]
                if investor:
                    out.append("<Investor>")
                    for name, value in investor:
                        leaf(out, name, value)
                    out.append("</Investor>")
                if who.get("buyer_name") or who.get("buyer_contacts"):
                    out.append("<Buyer>")
                    leaf(out, "Name", who.get("buyer_name"))
                    leaf(out, "Contacts", who.get("buyer_contacts"))
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
