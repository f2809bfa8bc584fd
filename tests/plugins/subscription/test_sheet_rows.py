"""The XLSX fast path (plugins/subscription/registers/sheet_rows.py) writes SpreadsheetML by hand into a
workbook openpyxl makes: what it writes must read back through openpyxl as the same headers and values,
with numbers as numbers, dates as dates and text (XML-special characters and edge spaces included) as text."""

import datetime
from decimal import Decimal

from openpyxl import load_workbook

from plugins.subscription.registers import sheet_rows

DATE_FORMAT = "DD.MM.YYYY HH:MM:SS"


def _write(path, rows, width=6):
    parts, styles, head, tail = sheet_rows.package("Реестр", [10] * width, DATE_FORMAT)
    sheet = sheet_rows.SheetRows(width, styles)
    sheet_rows.write(path, parts, head, (sheet.row(cells) for cells in rows), tail)


def _read(path, read_only, width=6):
    """The rows as tuples of ``width`` values (a read-only sheet ends a row at its last written cell)."""
    wb = load_workbook(path, read_only=read_only)
    assert wb.sheetnames == ["Реестр"]
    rows = [[cell.value for cell in row] for row in wb.active.iter_rows()]
    return [tuple(row + [None] * (width - len(row))) for row in rows], wb.active


def test_what_the_fast_path_writes_reads_back_through_openpyxl(tmp_path):
    submitted = datetime.datetime(2026, 12, 4, 15, 30, 45)
    rows = [
        [("Номер заявки", "heading"), ("Цена", "heading"), ("Кол-во", "heading"), ("Дата", "heading"), "Имя", None],
        [1, Decimal("1057.1400"), 94, (submitted, "date"), 'ТОО "Ромашка" <A&B>', "  пробелы  "],
        [2, 0.5, Decimal("0"), (submitted, "date"), "a < b && c > d", "строка\nвторая"],
        [("ИТОГО:", "bold"), (Decimal("1057.14"), "bold"), (94, "bold"), None, "X", ("", "bold")],
    ]
    path = tmp_path / "register.xlsx"
    _write(path, rows)
    for read_only in (False, True):
        values, ws = _read(path, read_only)
        assert values[0] == ("Номер заявки", "Цена", "Кол-во", "Дата", "Имя", None)
        number, price, quantity, moment, name, spaced = values[1]
        assert (number, quantity) == (1, 94) and type(number) is int and type(quantity) is int
        assert isinstance(price, float) and price == 1057.14
        assert moment == submitted
        assert name == 'ТОО "Ромашка" <A&B>' and spaced == "  пробелы  "
        assert values[2][:3] == (2, 0.5, 0) and values[2][4:] == ("a < b && c > d", "строка\nвторая")
        assert values[3][:3] == ("ИТОГО:", 1057.14, 94) and values[3][4] == "X"
    _values, ws = _read(path, read_only=False)
    assert ws["D2"].number_format == DATE_FORMAT and ws["D2"].is_date
    assert ws["A1"].font.bold and ws["A1"].alignment.wrap_text  # the heading style
    assert ws["B4"].font.bold and not ws["B2"].font.bold
    assert ws.column_dimensions["A"].width == 10


def test_a_large_sheet_is_written_in_chunks_and_every_row_comes_back(tmp_path):
    path = tmp_path / "many.xlsx"
    count = sheet_rows.FLUSH_ROWS * 2 + 7
    _write(path, ([i, Decimal(i) / 4, f"<{i}>"] for i in range(count)), width=3)
    values, _ws = _read(path, read_only=True, width=3)
    assert len(values) == count
    assert values[-1] == (count - 1, (count - 1) / 4, f"<{count - 1}>")
