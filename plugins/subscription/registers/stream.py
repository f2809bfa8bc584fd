"""Nothing whole in memory: the book is read in keyset batches (named tuples, not models), progress rows
are written at most once a second, and big files are hashed, stored and served from disk in chunks."""

import collections
import datetime
import hashlib
import time
from decimal import Decimal
from pathlib import Path
from types import NoneType

import peewee as pw
from flask import send_file

from core import FileIntegrityError, StoredFile, utcnow
from core import database as db
from plugins.subscription import service
from plugins.subscription.models import Order, RegisterJob, Subscription

BATCH = 2000  # orders per keyset batch
PROGRESS_SECONDS = 1.0  # at most one progress write a second (each is a commit)


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


CACHED = 50_000  # distinct values a converter keeps made, at most (moments and prices repeat across a book)


def _converter(field):
    """How a value of ``field`` comes back from the driver, when it is not of the class peewee would make of it
    (``_native``): a SQLite date-time text read with ``fromisoformat`` (C) rather than peewee's ``strptime`` over a
    list of formats, a SQLite number made a ``Decimal`` as ``python_value`` makes it; both kept for the values that
    repeat (orders of one batch share their moment, a book's prices repeat), up to ``CACHED`` of each. Otherwise
    ``field.python_value``."""
    slow = field.python_value
    if isinstance(field, pw.DateTimeField):
        made = {}

        def moment(value):
            found = made.get(value)
            if found is None:
                if value.__class__ is str:
                    try:
                        found = datetime.datetime.fromisoformat(value)
                    except ValueError:
                        return slow(value)
                else:
                    return slow(value)
                if len(made) >= CACHED:
                    made.clear()
                made[value] = found
            return found

        return moment
    if isinstance(field, pw.DecimalField):
        made = {}

        def decimal(value):
            if value.__class__ is not float:  # 1 and 1.0 are one key but two decimals: only floats are kept
                return slow(value)
            found = made.get(value)
            if found is None:
                if len(made) >= CACHED:
                    made.clear()
                found = made[value] = slow(value)
            return found

        return decimal
    return slow


_CONVERTERS = {}


def _native(field):
    """The class a value of ``field`` already has when the driver hands it as peewee would make it: such a value
    is kept without a call to its converter (texts, integers and keys on both databases; decimals, moments and
    booleans on PostgreSQL)."""
    if isinstance(field, pw.CharField | pw.TextField):
        return str
    if isinstance(field, pw.IntegerField | pw.ForeignKeyField):
        return int
    if isinstance(field, pw.DateTimeField):
        return datetime.datetime
    if isinstance(field, pw.DecimalField):
        return Decimal
    if isinstance(field, pw.BooleanField):
        return bool
    return None  # always converted


def _fetch(query, fields=BOOK_FIELDS, make=BookOrder) -> list:
    """The rows of a query over ``fields`` as ``make`` tuples (``BookOrder``), read with the driver's cursor and
    converted a column at a time (a comprehension per column costs a fraction of a loop over every value)."""
    converters = _CONVERTERS.get(id(fields))
    if converters is None:
        converters = _CONVERTERS[id(fields)] = tuple((i, _native(f), _converter(f)) for i, f in enumerate(fields))
    rows = db.execute(query).fetchall()
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    for i, native, convert in converters:
        column = columns[i]
        kinds = set(map(type, column))  # a column the driver handed as peewee would make it is kept whole
        kinds.discard(NoneType)
        if kinds and kinds != {native}:
            columns[i] = [value if value is None or value.__class__ is native else convert(value) for value in column]
    return list(map(make._make, zip(*columns, strict=True)))


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


# --- storing and serving big files -----------------------------------------------------------------------


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
