"""Checking the rows of an uploaded satisfied register against the book (S-9.5): each row's accepted
columns must match the order, its satisfied columns must be possible; the mismatches go to the ``Report``."""

from decimal import Decimal

import peewee
from flask_babel import gettext as _

from core import database as db
from plugins.subscription import rules, service
from plugins.subscription.models import ORDER_STATUSES, Order, Subscription
from plugins.subscription.registers.columns import (
    LABELS,
    _q2,
    _q4,
    investor_key,
    market_price,
    offered,
)
from plugins.subscription.registers.reader import BAD, FIELDS, Report, Row
from plugins.subscription.registers.stream import BATCH, book_orders

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


def _satisfied(order: Order, sub: Subscription, row: Row, report: Report, debt: bool | None = None) -> tuple | None:
    """Columns 7-10 of a matched row checked against the order; the fill (order id, price, yield, quantity,
    volume), or None for nothing filled. ``debt``: ``sub.is_debt`` when the caller has it already."""
    n = order.number
    quantity, price, yield_rate, volume = row.sat_qty, row.sat_price, row.sat_yield, row.sat_volume
    if quantity is BAD or price is BAD or yield_rate is BAD or volume is BAD:
        return None
    if quantity is None or quantity == 0:
        return None
    if quantity < 0:
        report.add(row.row, "9", _("Количество не может быть отрицательным."), n)
        return None
    problems = report.count
    if debt is None:
        debt = sub.is_debt
    if not debt and yield_rate is not None:
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
        if debt and order.yield_rate is not None:
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
        volume = cents = expected
    elif (cents := _q2(volume)) != expected:
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
    return (
        order.id,
        _q4(price),
        _q4(yield_rate) if debt and yield_rate is not None else None,
        int(quantity),
        cents,
    )


STAGE = "subscription_fill_stage"  # a temporary table: the connection's own, gone with it
_STAGE_COLUMNS = "order_id, price, yield, quantity, volume"


class _Fills:
    """The fills of a register being checked, staged as they are found, a batch at a time (``flush``), in a
    temporary table of the connection (the Fill table's columns and types), rather than held as 200,000 tuples
    until the register is accepted. Accepting copies them with one ``INSERT ... SELECT`` (``copy_to``): the rows
    are written while the file is still being read in the schema check's process, not after it. The decimals go
    in as the texts the check made of them (``format(value, "f")``): SQLite is handed a decimal as
    ``str(value)`` anyway, which is that text for these quantized values, and PostgreSQL casts it to the column's
    numeric."""

    def __init__(self):
        self.count = 0
        self.quantity = 0
        self.volume = Decimal(0)
        self.pending = []
        self.postgres = isinstance(db.obj, peewee.PostgresqlDatabase)
        db.execute_sql(f"DROP TABLE IF EXISTS {STAGE}")  # one left by a check this connection did not finish
        key = "seq BIGSERIAL PRIMARY KEY" if self.postgres else "seq INTEGER PRIMARY KEY"
        db.execute_sql(
            f"CREATE TEMPORARY TABLE {STAGE} ({key}, order_id BIGINT NOT NULL, price DECIMAL(20, 4) NOT NULL, "
            "yield DECIMAL(10, 4), quantity BIGINT NOT NULL, volume DECIMAL(24, 2) NOT NULL)"
        )
        self.open = True

    def add(self, fill: tuple) -> None:
        """``fill``: (order id, price, yield or None, quantity, volume), as ``_satisfied`` makes it."""
        order, price, yield_rate, quantity, volume = fill
        self.count += 1
        self.quantity += quantity
        self.volume += volume
        yield_text = None if yield_rate is None else format(yield_rate, "f")
        self.pending.append((order, format(price, "f"), yield_text, quantity, format(volume, "f")))

    def flush(self) -> None:
        """Stage the fills found since the last call (one transaction: SQLite would commit every row alone)."""
        if not self.pending:
            return
        sql = f"INSERT INTO {STAGE} ({_STAGE_COLUMNS}) VALUES "  # nosec B608 - our own names, values as parameters
        with db.atomic():
            cursor = db.cursor()
            if self.postgres:
                from psycopg2.extras import execute_values

                execute_values(cursor, sql + "%s", self.pending, page_size=2000)
            else:
                cursor.executemany(sql + "(?, ?, ?, ?, ?)", self.pending)
        self.pending = []

    def rows(self):
        """(order, price, yield, quantity, volume) per fill, in the order found."""
        self.flush()
        query = f"SELECT {_STAGE_COLUMNS} FROM {STAGE} ORDER BY seq"  # nosec B608 - our own names
        for order, price, yield_rate, quantity, volume in db.execute_sql(query).fetchall():
            yield (
                int(order),
                _q4(Decimal(str(price))),
                None if yield_rate is None else _q4(Decimal(str(yield_rate))),
                int(quantity),
                _q2(Decimal(str(volume))),
            )

    def copy_to(self, table: str, subscription_id: int) -> None:
        """Insert the fills, in the order found, into ``table`` (the Fill table's name) for a subscription."""
        self.flush()
        mark = "%s" if self.postgres else "?"
        db.execute_sql(
            f"INSERT INTO {table} (subscription_id, {_STAGE_COLUMNS}) "  # nosec B608 - our own names
            f"SELECT {mark}, {_STAGE_COLUMNS} FROM {STAGE} ORDER BY seq",
            (subscription_id,),
        )

    def close(self) -> None:
        if self.open:
            self.open = False
            self.pending = []
            db.execute_sql(f"DROP TABLE IF EXISTS {STAGE}")


ACCEPTED_COLUMNS = tuple((column, FIELDS[column]) for column in ("2", "3", "4", "5", "6"))
ACCEPTED_NAMES = tuple(name for _column, name in ACCEPTED_COLUMNS)
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
        self.debt = sub.is_debt
        self.units = {}  # a unit price -> column 3 as the accepted register shows it (prices repeat in a book)
        # columns 2-6, less column 4 where an equity register leaves it empty (an equity order has no yield)
        self.compared = ACCEPTED_COLUMNS if self.debt else tuple(c for c in ACCEPTED_COLUMNS if c[0] != "4")

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
        self.fills.flush()

    def _accepted(self, order) -> tuple:
        """Columns 2-6 of ``order`` in the accepted register, in the order of ``ACCEPTED_COLUMNS``: what
        ``accepted_values`` gives, less the look-ups it repeats for every order (the kind of security, the
        market price, the quantized price of each of a few thousand prices)."""
        kind = order.kind
        if kind == "market":
            unit = self.market if self.market is not None else market_price(self.sub)
        elif order.price is not None:
            unit = order.price
        else:
            unit = (self.sub.price or self.sub.nominal) if self.debt else None
        quantity = order.quantity
        if kind == "market" and order.basis == "money":
            volume = _q2(order.money)  # the seller may not exceed it (S-A2, instruction 3)
        elif unit is not None and quantity is not None:
            volume = rules.money(Decimal(unit) * quantity)  # in cents already: ``_q2`` would give it back
        else:
            volume = None
        if unit:  # a zero's sign shows in its text: never taken from another zero
            price = self.units.get(unit)
            if price is None:
                price = self.units[unit] = _q4(unit)
        else:
            price = _q4(unit)
        return (
            order.submitted_at.replace(microsecond=0),
            price,
            _q4(order.yield_rate) if self.debt else None,
            quantity,
            volume,
        )

    def _match(self, order, row: Row) -> None:
        sub, report = self.sub, self.report
        if order.kind == "market" and self.market is None:
            self.market = market_price(sub)
        expected = self._accepted(order)
        # the usual row repeats columns 2-6 as they were: equal values are never reported, so only a row with a
        # value that differs goes through the columns one by one
        if (row.submitted, row.acc_price, row.acc_yield, row.acc_qty, row.acc_volume) != expected:
            self._compare(order, row, dict(zip(ACCEPTED_NAMES, expected, strict=True)))
        if isinstance(row.sat_qty, int) and row.sat_qty > 0:
            self.total += row.sat_qty  # the file's total, whatever else is wrong with the row
        fill = _satisfied(order, sub, row, report, self.debt)
        if fill is None:
            return
        self.fills.add(fill)
        if self.investors is not None:
            self.investors.append((order.number, row.row, investor_key(order)))

    def _compare(self, order, row: Row, expected: dict) -> None:
        report = self.report
        for column, name in self.compared if row.acc_yield is None else ACCEPTED_COLUMNS:
            got = getattr(row, name)
            if got != expected[name] and not _same(column, expected[name], got):  # equal values are the same
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
