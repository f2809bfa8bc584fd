"""Orders from a file (issue #17): a member uploads many orders at once as CSV or XLSX, one order a row, with
the batch API's columns, checks and messages. Every row is checked as the service would take it, in one
transaction that is then rolled back; if any row is refused nothing is taken, unless the member chose to take
the valid rows. A row's client_ref makes a second upload of the same file take nothing twice."""

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from core.db import db
from plugins.subscription import service
from plugins.subscription.api import BOOLEANS, ORDER_INPUT, POST_DEFAULTS, Refusal, order_fields
from plugins.subscription.registers.reader import Report, check_zip

MAX_ROWS = 5000  # orders in one file
COLUMNS = ("client_ref", *ORDER_INPUT, "window")
TRUE = {"1", "y", "yes", "true", "да", "иә", "x", "+"}
FALSE = {"", "0", "n", "no", "false", "нет", "жоқ", "-"}
HELP = {
    "client_ref": _l("ваш номер заявки (до 64 знаков): повторная загрузка не подаст ее дважды"),
    "account": _l("код торгово-клирингового счета"),
    "kind": _l("limit — лимитированная, market — рыночная"),
    "basis": _l("для рыночной: quantity — на количество, money — на объем в деньгах"),
    "price": _l("цена (лимитированная заявка)"),
    "yield_rate": _l("доходность, % годовых (облигации)"),
    "quantity": _l("количество"),
    "money": _l("объем в деньгах (рыночная на объем)"),
    "for_client": _l("да — за счет клиента (инвестора)"),
    "investor_name": _l("наименование (ФИО) инвестора"),
    "investor_id": _l("БИН/ИИН инвестора"),
    "investor_resident": _l("да/нет — резидент РК (по умолчанию да)"),
    "investor_contacts": _l("контакты инвестора"),
    "investor_other": _l("иные сведения об инвесторе"),
    "qualified": _l("да — квалифицированный инвестор"),
    "omnibus": _l("да — агрегированный (омнибус) счет"),
    "consent": _l("да — согласие инвестора на раскрытие сведений"),
    "window": _l("название окна приема заявок, если подписка проводится в нескольких окнах"),
}


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing was taken."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Line:
    """One row of the file and what became of it."""

    row: int  # the row in the file, as a spreadsheet numbers it (the header is row 1)
    client_ref: str | None
    error: str | None = None
    field: str | None = None
    order: object = None
    earlier: bool = False  # a client_ref taken before: that order, not a new one


@dataclass
class Outcome:
    lines: list = field(default_factory=list)
    taken: bool = False  # the orders were taken (not only checked)

    @property
    def refused(self) -> list:
        return [line for line in self.lines if line.error]

    @property
    def valid(self) -> list:
        return [line for line in self.lines if not line.error]

    @property
    def new(self) -> int:
        return sum(1 for line in self.lines if line.order is not None and not line.earlier)


def template_csv() -> str:
    """The header row and one example, ready to fill."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    example = {"client_ref": "A-1", "account": "", "kind": "limit", "price": "1000", "quantity": "10"}
    writer.writerow([example.get(column, "") for column in COLUMNS])
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read it as UTF-8


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """The file's rows as (row number, {column: text}); the first non-empty row names the columns."""
    if data[:4] == b"PK\x03\x04":
        table = _xlsx(data)
    else:
        table = _csv(data)
    header_at, header = None, None
    rows = []
    for number, cells in table:
        cells = ["" if c is None else str(c).strip() for c in cells]
        if not any(cells):
            continue
        if header is None:
            header_at, header = number, [c.lower() for c in cells]
            unknown = [c for c in header if c and c not in COLUMNS]
            if unknown:
                raise FileRefused(
                    _(
                        "Неизвестный столбец «%(name)s» в строке %(row)s. Столбцы: %(columns)s.",
                        name=unknown[0],
                        row=number,
                        columns=", ".join(COLUMNS),
                    )
                )
            if "account" not in header:
                raise FileRefused(_("В первой строке нет столбца account: первая строка называет столбцы."))
            continue
        rows.append((number, {name: value for name, value in zip(header, cells, strict=False) if name and value}))
        if len(rows) > MAX_ROWS:
            raise FileRefused(_("В файле больше %(n)s заявок: разделите его.", n=MAX_ROWS))
    if header_at is None or not rows:
        raise FileRefused(_("В файле нет заявок."))
    return rows


def _csv(data: bytes):
    if b"\x00" in data[:4096]:  # text has no NUL bytes; an image, a PDF or an old .xls does
        raise FileRefused(_("Файл не похож на CSV или XLSX."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_("Файл CSV читается в кодировке UTF-8; сохраните его в ней.")) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise FileRefused(_("Файл CSV не читается: %(error)s.", error=str(exc))) from None


def _xlsx(data: bytes):
    report = Report()
    if not check_zip(data, report):
        raise FileRefused(report.items[0]["message"])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        table = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            table.append((number, [_cell(c) for c in cells]))
            if len(table) > MAX_ROWS + 50:
                raise FileRefused(_("В файле больше %(n)s заявок: разделите его.", n=MAX_ROWS))
        book.close()
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file; each is "unreadable"
        raise FileRefused(_("Файл XLSX поврежден или не читается.")) from None
    return table


def _cell(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _values(cells: dict) -> tuple[dict, str | None]:
    """A row's cells as the batch API's JSON values (booleans as true/false), and its client_ref."""
    values = {}
    for name, text in cells.items():
        if name in BOOLEANS:
            low = text.lower()
            if low in TRUE:
                values[name] = True
            elif low in FALSE:
                values[name] = False
            else:
                raise Refusal(422, _("Ожидается «да» или «нет»."), name)
        else:
            values[name] = text
    values.pop("window", None)  # the window is the subscription's, resolved by name in ``process``
    client_ref = values.pop("client_ref", None)
    if client_ref is not None and len(client_ref) > 64:
        raise Refusal(422, _("client_ref — строка до 64 знаков."), "client_ref")
    return values, client_ref


def process(sub, user, data: bytes, take_valid: bool = False) -> Outcome:
    """Check every row; take them all if none is refused, or only the valid ones if the member chose so."""
    rows = read_rows(data)
    accounts = {a.code: a for a in service.open_accounts(user.organisation)}
    windows = {w.name.lower(): w for w in service.windows_of(sub)}
    outcome = Outcome()
    work = []
    for number, cells in rows:
        line = Line(row=number, client_ref=cells.get("client_ref"))
        outcome.lines.append(line)
        try:
            values, client_ref = _values(cells)
            fields = order_fields({**POST_DEFAULTS, **values}, user, accounts)
            if cells.get("window"):
                window = windows.get(cells["window"].lower())
                if window is None:
                    raise Refusal(422, _("Нет окна приема заявок «%(name)s».", name=cells["window"]), "window")
                fields["window"] = window
            work.append((line, (fields, client_ref)))
        except Refusal as exc:
            line.error, line.field = str(exc.message), exc.field
    if work:
        with db.atomic() as dry_run:  # every row checked as it would be taken, then nothing kept
            results = service.submit_orders(sub, user, [item for _line, item in work])
            dry_run.rollback()
        for (line, _item), result in zip(work, results, strict=True):
            if isinstance(result, service.SubscriptionError):
                line.error, line.field = str(result.message), result.field
    if outcome.refused and not take_valid:
        return outcome
    valid = [(line, item) for line, item in work if not line.error]
    if not valid:
        return outcome
    results = service.submit_orders(sub, user, [item for _line, item in valid])
    outcome.taken = True
    told = set()
    for (line, _item), result in zip(valid, results, strict=True):
        if isinstance(result, service.SubscriptionError):  # changed since the check (another window, the clock)
            line.error, line.field = str(result.message), result.field
            continue
        line.order = result
        line.earlier = not getattr(result, "taken_now", False) or id(result) in told
        told.add(id(result))
    return outcome
