"""The XLSX fast path: a sheet's rows written as SpreadsheetML text into a workbook openpyxl makes.

Why by hand: openpyxl builds a cell object per value even in its write-only mode, and for the accepted
register of 200,000 orders that cost 24 s; XlsxWriter, tried, was not fast enough either (README, "Written
by hand, and why"). So openpyxl makes every part of the workbook but the rows (styles, the sheet, its
column widths), its sheet is split at ``<sheetData>``, and the rows are written in between as the text
openpyxl's write-only sheet writes: numbers as ``t="n"``, texts as inline strings, dates as Excel serial
numbers with a date style. ``tests/plugins/subscription/test_sheet_rows.py`` opens what this writes with
openpyxl and reads the headers and values back."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from plugins.subscription.registers.xml_writer import CACHED, _escaped

XLSX_COMPRESSION = 1  # deflate level of the XLSX sheet: level 6 takes 3 times as long for a 10% smaller file
SHEET = "xl/worksheets/sheet1.xml"
FLUSH_ROWS = 1000  # rows joined before each write to the archive


def package(title: str, widths: list, date_format: str) -> tuple[list, dict, str, str]:
    """Every part of the workbook but the rows, made by openpyxl itself: a write-only workbook of one sheet
    (its title, its column widths) and one probe row with a cell of each style the register uses. Returns
    the parts as openpyxl wrote them, the style ids openpyxl gave (bold, heading, date), and the sheet's XML
    before and after its rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    probe = []
    for font, alignment, number_format in (
        (Font(bold=True), None, None),
        (Font(bold=True), Alignment(wrap_text=True, vertical="top"), None),
        (None, None, date_format),
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
    with zipfile.ZipFile(buffer) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    sheet = next(data for info, data in parts if info.filename == SHEET).decode("utf-8")
    head, rest = sheet.split("<sheetData>", 1)
    rows, tail = rest.split("</sheetData>", 1)
    ids = re.findall(r'<c r="[A-Z]+1" s="(\d+)"', rows)
    if len(ids) != 3:
        raise RuntimeError(f"openpyxl wrote an unexpected probe row: {rows[:200]}")
    styles = dict(zip(("bold", "heading", "date"), ids, strict=True))
    return parts, styles, head + "<sheetData>", "</sheetData>" + tail


class SheetRows:
    """The rows of a sheet as SpreadsheetML, the way openpyxl's write-only sheet writes them (numbers as
    ``n``, texts as inline strings), without a cell object per value."""

    def __init__(self, width: int, styles: dict):
        self.letters = [get_column_letter(i) for i in range(1, width + 1)]
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


def write(target, parts: list, head: str, rows, tail: str) -> None:
    """The workbook to ``target``: openpyxl's parts as they are, and its sheet with ``rows`` (SpreadsheetML
    strings, from ``SheetRows.row``, read lazily) between ``head`` and ``tail``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION) as archive:
        for info, data in parts:
            if info.filename != SHEET:
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION)
                continue
            with archive.open(SHEET, "w", force_zip64=True) as fh:
                fh.write(head.encode("utf-8"))
                lines = []
                for line in rows:
                    lines.append(line)
                    if len(lines) >= FLUSH_ROWS:
                        fh.write("".join(lines).encode("utf-8"))
                        lines.clear()
                fh.write("".join(lines).encode("utf-8"))
                fh.write(tail.encode("utf-8"))
