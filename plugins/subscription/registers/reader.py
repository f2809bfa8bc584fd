"""Reading an uploaded satisfied register (S-9.5), XLSX or XML, as a stream of rows; a file that is no
register, a zip bomb or a schema breach is refused with its reason in the ``Report``."""

import datetime
import io
import json
import os
import queue
import re
import subprocess  # the schema check's own process (SchemaCheck): our script, an argument list  # nosec B404
import sys
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from flask import current_app
from flask_babel import gettext as _
from lxml import etree
from openpyxl import load_workbook

from core import clock
from plugins.subscription.registers.columns import LABELS, NS, SCHEMA_NAME, SCHEMA_PATH, xml_name
from plugins.subscription.registers.xsd_check import MISSING, cells

PROGRESS_EVERY = 1000  # rows between progress updates
REPORT_LIMIT = 500  # mismatches kept for the report; the rest are counted
MAX_RATIO = 100  # a sheet of a real register compresses about 20 times
MAX_MEMBERS = 1000


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
    if root is None or root.tag != xml_name("Register"):
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
    made = ({}, {})
    try:
        for _event, elem in etree.iterparse(
            stream,
            events=("end",),
            tag=(xml_name("Order"), REGISTER),
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
            row = _xml_row(elem, position, report, made)
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


ORDERS = xml_name("Orders")
REGISTER = xml_name("Register")
# columns 3-10: (index in ``cells``' list, column, Row field, whether an integer)
_XML_CELLS = tuple(
    (index, column, FIELDS[column], column in INTEGER_COLUMNS)
    for index, column in enumerate(("3", "4", "5", "6", "7", "8", "9", "10"), start=2)
)


# ``_xml_row`` keeps what it made of the texts that repeat down a register (the moments orders share, a book's
# prices and yields), up to ``CACHED`` of each, for one reading: only values read without a word, so every
# unreadable cell is still reported.
CACHED = 50_000
_CACHED_CELLS = frozenset((2, 3, 6, 7))  # prices and yields: a book has a few thousand; volumes are each their own


def _xml_row(elem, position: int, report: Report, made: tuple | None = None) -> Row:
    """Columns 1-10 of an ``Order`` (``xsd_check.cells``: the text of the first element at each path), read."""
    texts = cells(elem)
    if MISSING in texts:
        texts = [None if text is MISSING else text for text in texts]
    return _read(texts, position, report, made)


def _read(texts: list, position: int, report: Report, made: tuple | None = None) -> Row:
    """A row of the texts of columns 1-10 (None or "" for a cell without text: both read as empty). A plain
    number is read on the spot (what ``_number`` makes of it); anything else goes through ``_number``, which
    reports it. ``made``: the (moments, decimals) this reading has made of their texts so far."""
    moments, decimals = made if made is not None else ({}, {})
    row = Row(position)
    text = texts[0]
    text = text.strip() if text.__class__ is str else None
    if text and text.isdecimal() and len(text) <= 18:  # what NUMBER takes without a sign or a point
        row.number = int(text)
    else:
        row.number = _number(text or None, position, "1", report, integer=True)
    text = texts[1]
    moment = moments.get(text)
    if moment is None:
        moment = _moment(text.strip() or None if text.__class__ is str else None, position, report)
        if moment is not None and moment is not BAD:
            if len(moments) >= CACHED:
                moments.clear()
            moments[text] = moment
    row.submitted = moment
    values = [None] * 8
    for index, column, _name, integer in _XML_CELLS:
        text = texts[index]
        if text.__class__ is not str:
            continue  # no such element, or an empty one: the cell stays empty
        if integer:
            text = text.strip()
            value = int(text) if text.isdecimal() and len(text) <= 18 else None
        else:
            cached = index in _CACHED_CELLS
            value = decimals.get(text) if cached else None
            if value is None:
                raw = text
                text = text.strip()
                head, point, tail = text.partition(".")  # what NUMBER takes unsigned, without the expression
                plain = head.isdecimal() and (not point or tail.isdecimal())
                value = Decimal(text) if plain or (text and NUMBER.fullmatch(text)) else None
                if value is not None and cached:
                    if len(decimals) >= CACHED:
                        decimals.clear()
                    decimals[raw] = value
        if value is None:
            value = _number(text or None, position, column, report, integer=integer)
        values[index - 2] = value
    (
        row.acc_price,
        row.acc_yield,
        row.acc_qty,
        row.acc_volume,
        row.sat_price,
        row.sat_yield,
        row.sat_qty,
        row.sat_volume,
    ) = values
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


class _Breach:
    """The first breach the schema check found in its own process, as ``_schema_message`` reads an lxml error."""

    def __init__(self, line: int, msg: str):
        self.lineno = line
        self.msg = msg


class SchemaCheck:
    """register-v1.xsd checked over a stored file in a process of its own (``xsd_check``): lxml holds the
    interpreter's lock while it validates, so a thread would not help. The process parses the file once, for the
    schema and for the rows: it sends the texts of each order's cells as it validates (``texts``), and the worker
    reads them instead of parsing the file a second time; on a breach the worker reads the file itself, from the
    start (``rows``). Start it only once ``_xml_gate`` accepted the file. ``breach()``: None when the file
    holds, the first breach otherwise; it raises ``OSError`` when the check could not give an answer (the
    caller then validates in-process, as before)."""

    SCRIPT = Path(__file__).with_name("xsd_check.py")

    TIMEOUT = 600  # seconds: lxml checks a 130 MB register in a few

    def __init__(self, path):
        if not sys.executable:  # an embedded interpreter has no program to start again
            raise OSError("no interpreter to run the schema check with")
        command = [sys.executable, "-I", str(self.SCRIPT), os.fspath(path), str(SCHEMA_PATH)]
        self.process = subprocess.Popen(  # our own script and paths, no shell  # nosec B603
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        self.answer = None
        self.ended = False  # the pipe gave all it had
        # A thread empties the pipe as the process fills it, so the process never waits for this one to take its
        # rows: on a busy machine, two processes that wait for each other at every 64 KB lose what the second
        # core gave them. The thread holds the interpreter's lock only to keep each chunk.
        self.chunks = queue.SimpleQueue()
        self.pump = threading.Thread(target=self._pump, name="schema-check-pipe", daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        read = self.process.stdout.read1
        try:
            while chunk := read(1 << 20):
                self.chunks.put(chunk)
        except (OSError, ValueError):  # the pipe closed under it: the process was stopped
            pass
        self.chunks.put(b"")

    def texts(self):
        """The texts of columns 1-10 of each order, as ``xsd_check.cells`` gives them, as the process reads
        them; its answer is kept for ``breach``."""
        rest = b""
        while self.answer is None and not self.ended:
            try:
                chunk = self.chunks.get(timeout=self.TIMEOUT)
            except queue.Empty:
                self.ended = True  # breach() stops the process
                return
            if not chunk:
                self.ended = True
                return
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                kind = line[:1]
                if kind == b"R":
                    yield line[1:].decode("utf-8").split("\t")
                elif kind == b"J":
                    yield json.loads(line[1:])
                else:
                    self.answer = line
                    return

    def breach(self) -> _Breach | None:
        for _texts in self.texts():  # the rows nobody took, up to the answer
            pass
        try:
            self.process.wait(timeout=self.TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            self.process.wait()
            raise OSError("the schema check took too long") from exc
        try:
            answer = json.loads(self.answer.decode("utf-8"))
        except (ValueError, AttributeError) as exc:
            raise OSError(f"the schema check ended {self.process.returncode} without an answer") from exc
        if self.process.returncode or "error" in answer:
            raise OSError(f"the schema check failed: {answer}")
        return None if answer.get("ok") else _Breach(answer["line"], answer["msg"])

    def rows(self, report: Report, max_rows=None):
        """The rows of the file as ``xml_rows`` gives them, from the texts the process sends. Raises
        ``_SchemaInvalid`` on a breach (the caller reads the file itself, which says whether and where it cannot
        be read), ``OSError`` when the process gave no answer."""
        made = ({}, {})
        position = 0
        for texts in self.texts():
            position += 1
            if max_rows is not None and position > max_rows:
                _too_many(report, max_rows)
                raise _Refused
            if len(texts) != 10:
                raise OSError("the schema check sent a row that is not ten cells")
            yield _read(texts, position, report, made)
        breach = self.breach()
        if breach is not None:
            raise _SchemaInvalid(breach)

    def close(self) -> None:
        """Stop the check if it still runs (the file was refused before it ended), and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.pump.join()
        self.process.stdout.close()


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
            if elem.tag == xml_name("Order"):
                elem.clear()
            complete = elem.getparent() is None
        if not complete:  # see ``xml_rows``: a broken tag may end the validation without an error
            raise etree.XMLSyntaxError("the document ends before Register is closed", None, 0, 0)
    except etree.XMLSyntaxError as exc:
        report.add(None, None, _schema_message(exc))
    finally:
        if ours:
            stream.close()
