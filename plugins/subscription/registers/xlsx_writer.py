"""Writing a register as XLSX (form S-A2), row by row: the table's layout here, the rows' SpreadsheetML in
``sheet_rows`` (the fast path, and why it is written by hand)."""

import datetime

from flask_babel import gettext as _

from core import clock, utcnow
from plugins.subscription import rules
from plugins.subscription.models import Subscription
from plugins.subscription.registers import sheet_rows
from plugins.subscription.registers.columns import (
    TOTAL_BLANK,
    TOTAL_SUMS,
    Totals,
    columns_for,
    money_orders_note,
    offered,
    title_of,
    window_lines,
)

DATE_FORMAT = "DD.MM.YYYY HH:MM:SS"
WIDTHS = {"row": 7, "number": 10, "submitted": 20, "inv_name": 30, "inv_contacts": 30, "buyer_name": 30}


def write_xlsx(target, sub: Subscription, kind: str, rows) -> Totals:
    """Write the register as the S-A2 table. openpyxl makes the workbook around the rows (styles, sheet,
    column widths); the rows themselves are written straight into the sheet's part of the archive
    (``sheet_rows``). Row 6 (7 where market orders are admitted: a row says what their columns hold) numbers
    the columns (A, 1, 2, ...); the reader finds the columns by it."""
    totals = Totals()
    cols = columns_for(sub)
    keys = [key for key, *_rest in cols]
    parts, styles, head, tail = sheet_rows.package(_("Реестр"), [WIDTHS.get(key, 15) for key in keys], DATE_FORMAT)
    sheet = sheet_rows.SheetRows(len(cols), styles)
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

    def table():
        yield from lines
        zone = clock.zone()  # rules.local per order, with the zone looked up once
        for row, (_order, acc, sat, who) in enumerate(rows, start=1):
            totals.add(acc, sat)
            values = {"row": row, **acc, **(sat or {}), **who}
            moment = acc["submitted"]
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            values["submitted"] = (moment.astimezone(zone).replace(tzinfo=None), "date")
            yield sheet.row([values.get(key) for key in keys])
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
        yield sheet.row(cells)

    sheet_rows.write(target, parts, head, table(), tail)
    return totals
