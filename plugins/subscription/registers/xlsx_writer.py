"""Writing a register as XLSX (form S-A2), row by row."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import to_excel

from core import clock
from core.db import utcnow
from plugins.subscription import rules
from plugins.subscription.models import Subscription
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
from plugins.subscription.registers.xml_writer import CACHED, _escaped

XLSX_COMPRESSION = 1  # deflate level of the XLSX sheet: level 6 takes 3 times as long for a 10% smaller file


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
        # what follows a cell's reference, made once per distinct text and date (a buyer's name repeats on every
        # order of theirs, orders share their second): up to CACHED of each
        self.texts = {}
        self.dates = {}

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
                cell = self.texts.get(value)
                if cell is None:
                    if len(self.texts) >= CACHED:
                        self.texts.clear()
                    cell = self.texts[value] = self._text(value, "")
                append(f'<c r="{letter}{r}"{cell}')
            elif kind is tuple and value[0].__class__ is datetime.datetime:
                cell = self.dates.get(value)
                if cell is None:
                    if len(self.dates) >= CACHED:
                        self.dates.clear()
                    cell = self.dates[value] = self._other(value)
                append(f'<c r="{letter}{r}"{cell}')
            else:
                append(f'<c r="{letter}{r}"{self._other(value)}')
        append("</row>")
        return "".join(out)

    def _text(self, value, style) -> str:
        """A text cell, less its reference (``<c r="A1"`` goes before)."""
        text = _escaped(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _other(self, value) -> str:
        """Any other cell, less its reference."""
        style = ""
        if value.__class__ is tuple:
            value, name = value
            style = f' s="{self.styles[name]}"'
            if value is None:
                return f'{style} t="n"></c>'
        kind = value.__class__
        if kind is int or kind is float or kind is Decimal:
            return f'{style} t="n"><v>{format(value, "f") if kind is Decimal else value}</v></c>'
        if kind is datetime.datetime:
            return f'{style} t="n"><v>{to_excel(value)}</v></c>'
        return self._text(str(value), style)


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
                zone = clock.zone()  # rules.local per order, with the zone looked up once
                for row, (_order, acc, sat, who) in enumerate(rows, start=1):
                    totals.add(acc, sat)
                    values = {"row": row, **acc, **(sat or {}), **who}
                    moment = acc["submitted"]
                    if moment.tzinfo is None:
                        moment = moment.replace(tzinfo=datetime.UTC)
                    values["submitted"] = (moment.astimezone(zone).replace(tzinfo=None), "date")
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
