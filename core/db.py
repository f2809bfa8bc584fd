"""The database: one peewee proxy for every model, per-request connections, and the migration runner."""

import importlib
import pkgutil
import threading
from dataclasses import dataclass

import peewee
from flask import Flask
from playhouse.db_url import connect as connect_url
from playhouse.migrate import SchemaMigrator

from core import clock

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
}


# Naive UTC now: every timestamp is stored in UTC and shown on the Exchange's clock (core.clock).
utcnow = clock.utcnow


class BaseModel(peewee.Model):
    class Meta:
        database = db
        legacy_table_names = False


class SqliteDatabase(peewee.SqliteDatabase):
    """SQLite for one app process (the try-out of `make run`): its transactions take the write lock when
    they begin (BEGIN IMMEDIATE), and the threads of the process queue for it in Python first, so a
    long transaction (a PDF made inside it) never runs another thread into "database is locked".
    Production runs PostgreSQL.

    begin/commit/rollback are the hooks: the proxy's atomic() and transaction() reach the database
    only through them."""

    _writer = threading.Lock()
    _held = threading.local()

    def begin(self, lock_type=None):
        self._writer.acquire()
        self._held.depth = getattr(self._held, "depth", 0) + 1
        try:
            super().begin(lock_type or "IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self):
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release()

    def _release(self):
        if getattr(self._held, "depth", 0) > 0:
            self._held.depth -= 1
            self._writer.release()


def open_database(url: str) -> peewee.Database:
    """Open (lazily) the database named by a URL: sqlite:///path or postgresql://..."""
    if url.startswith("sqlite"):
        from playhouse.db_url import parse

        database = SqliteDatabase(parse(url)["database"], pragmas=SQLITE_PRAGMAS)
        # SQLite's own lower() folds only ASCII; searches must find "Альфа" from "альф" too.
        database.register_function(lambda value: value.lower() if isinstance(value, str) else value, "lower", 1)
    else:
        database = connect_url(url, unquote_user=True, unquote_password=True)
    return database


def bulk_update(model, fields: list, rows, batch: int = 2000) -> int:
    """Set ``fields`` of many rows of ``model`` at once, each row its own values: ``rows`` yields
    ``(id, value, value, ...)`` in the order of ``fields``. Book steps (the collateral check, activation,
    deals) change 200,000 orders each with its own figures; one UPDATE per order through the ORM costs a
    round trip and a statement build each. peewee's own ``bulk_update`` builds a CASE per column, which
    grows with the batch; here SQLite gets one prepared statement run with ``executemany`` and PostgreSQL
    an ``UPDATE ... FROM (VALUES ...)`` of ``batch`` rows (psycopg2's ``execute_values``).

    Run it inside the caller's transaction; it returns the number of rows given."""
    database = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    table = model._meta.table_name
    key = model._meta.primary_key
    converters = [f.db_value for f in fields]
    count = 0

    def prepared():
        nonlocal count
        for row in rows:
            count += 1
            yield [key.db_value(row[0])] + [convert(value) for convert, value in zip(converters, row[1:], strict=True)]

    if isinstance(database, peewee.PostgresqlDatabase):
        from psycopg2.extras import execute_values

        types = {**peewee.FIELD, **database.field_types}
        sets = ", ".join(
            f'"{f.column_name}" = CAST(v.column{n} AS {types.get(f.field_type, f.field_type)})'
            for n, f in enumerate(fields, start=2)
        )
        # names from the model's own metadata, never from input; every value is a parameter
        sql = f'UPDATE "{table}" SET {sets} FROM (VALUES %s) AS v WHERE "{table}"."{key.column_name}" = v.column1'  # nosec B608
        cursor = database.cursor()
        execute_values(cursor, sql, prepared(), page_size=batch)
    else:
        sets = ", ".join(f'"{f.column_name}" = ?' for f in fields)
        sql = f'UPDATE "{table}" SET {sets} WHERE "{key.column_name}" = ?'  # nosec B608 - names from the model
        cursor = database.cursor()
        cursor.executemany(sql, (values[1:] + values[:1] for values in prepared()))
    return count


def bulk_insert(model, fields: list, rows, batch: int = 1000, prepared: bool = False) -> int:
    """Insert many rows of ``model``, each a sequence of values in the order of ``fields``, with one
    prepared statement: SQLite runs it with ``executemany``, PostgreSQL as multi-row VALUES of ``batch``
    rows (``execute_values``). peewee's ``insert_many`` builds its SQL value by value in Python, which
    cost a 100-order batch more than the database's own work. Values go through each field's
    ``db_value`` as with the ORM, unless ``prepared`` says they are such already (integers, decimals,
    texts, None). Run it inside the caller's transaction; it returns the number of rows."""
    database = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    table = model._meta.table_name
    converters = [f.db_value for f in fields]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    count = 0

    def values():
        nonlocal count
        for row in rows:
            count += 1
            yield row if prepared else [convert(value) for convert, value in zip(converters, row, strict=True)]

    cursor = database.cursor()
    if isinstance(database, peewee.PostgresqlDatabase):
        from psycopg2.extras import execute_values

        # names from the model's own metadata, never from input; every value is a parameter
        sql = f'INSERT INTO "{table}" ({columns}) VALUES %s'  # nosec B608
        execute_values(cursor, sql, values(), page_size=batch)
    else:
        marks = ", ".join("?" for _ in fields)
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'  # nosec B608 - names from the model
        cursor.executemany(sql, values())
    return count


def insert_one(model, fields: list, row) -> int:
    """Insert one row of ``model`` (its values in the order of ``fields``, converted by each field's
    ``db_value``) and return its id, in one statement: ``RETURNING`` on PostgreSQL, the cursor's
    ``lastrowid`` on SQLite. peewee's ``Model.insert(...).execute()`` does the same but writes a wide
    row's SQL anew on every call, which cost more than the insert; the caller's transaction holds it."""
    database = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    values = [f.db_value(value) for f, value in zip(fields, row, strict=True)]
    cursor = database.cursor()
    if isinstance(database, peewee.PostgresqlDatabase):
        marks = ", ".join("%s" for _ in fields)
        key = model._meta.primary_key.column_name
        # names from the model's own metadata, never from input; every value is a parameter
        cursor.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) RETURNING "{key}"', values)  # nosec B608
        return cursor.fetchone()[0]
    marks = ", ".join("?" for _ in fields)
    cursor.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)  # nosec B608 - names from the model
    return cursor.lastrowid


class Slot(peewee.Node):
    """A value a ``Prepared`` query is given when it runs: rendered as the database's parameter mark, and
    converted on each run as the field it is compared with converts its values (``db_value``)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        # converter=False: the slot itself goes into the parameters; its field's converter is kept for the run
        return ctx.value(_Hole(self.name, ctx.state.converter), converter=False)


_UNSET = object()
# The cursor wrappers whose ``initialize`` depends on the query and the cursor's columns alone (a named tuple's
# constructor is a closure over its first wrapper, so it is left to peewee).
_SAME_COLUMNS = frozenset(
    {
        peewee.ModelObjectCursorWrapper,
        peewee.ModelCursorWrapper,
        peewee.ModelTupleCursorWrapper,
        peewee.ModelDictCursorWrapper,
    }
)


@dataclass(frozen=True)
class _Hole:
    name: str
    convert: object


class Prepared:
    """A query whose SQL is built once per process and kind of database, then run with new values.

    peewee builds a query's SQL from its expression tree on every run: for the session's lookup (every signed-in
    request: the session, its user and organisation, 44 columns) that cost more than the rest of the request's
    authentication, and about 0.2 ms for a small query. ``build()`` returns the query with ``Slot(name)`` where a
    value goes; ``rows(name=value, ...)`` runs it and yields what the query itself would yield (models with their
    joined models, tuples...). Only for queries whose shape never changes: every value that varies is a slot."""

    def __init__(self, build):
        self._build = build
        self._compiled = {}
        self._columns = {}

    def _prepare(self, database):
        key = type(database)
        found = self._compiled.get(key)
        if found is None:
            query = self._build()
            sql, params = database.get_sql_context().sql(query).query()
            found = self._compiled[key] = (query, sql, params)
        return found

    def statement(self, database, **values) -> tuple[str, list]:
        """The SQL and its arguments for ``values``: what ``rows`` runs, or a part to embed in a query
        (``peewee.SQL(sql, args)``)."""
        _query, sql, params = self._prepare(database)
        args = [
            (p.convert(values[p.name]) if p.convert else values[p.name]) if isinstance(p, _Hole) else p for p in params
        ]
        return sql, args

    def rows(self, **values):
        database = db.obj if isinstance(db, peewee.DatabaseProxy) else db
        sql, args = self.statement(database, **values)
        wrapper = self._prepare(database)[0]._get_cursor_wrapper(database.execute_sql(sql, args))
        if type(wrapper) in _SAME_COLUMNS:
            self._reuse_columns(type(database), wrapper)
        return wrapper

    def _reuse_columns(self, key, wrapper) -> None:
        """peewee matches the cursor's columns to the query's fields (which model, which converter) on every
        run; the SQL never changes, so neither does the answer: it is worked out on the first run, kept, and
        handed to the later runs' wrappers. What ``initialize`` sets is only read while rows are made."""
        state = self._columns.get(key)
        if state is None:
            if wrapper.cursor.description is None:
                return
            before = dict(wrapper.__dict__)
            wrapper.initialize()
            state = self._columns[key] = {
                name: value for name, value in wrapper.__dict__.items() if before.get(name, _UNSET) is not value
            }
        else:
            wrapper.__dict__.update(state)
        wrapper.initialized = True

    def first(self, **values):
        for row in self.rows(**values):
            return row
        return None


def matches(column, text: str):
    """A case-insensitive substring search that also folds Cyrillic and Kazakh letters."""
    return peewee.fn.LOWER(column).contains(text.lower())


def init_app(app: Flask) -> None:
    database = open_database(app.config["DATABASE_URL"])
    db.initialize(database)
    app.extensions["database"] = database

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        # An SQLite connection stays open for the thread's next request: opening the file and setting its
        # pragmas cost more than many a page's queries. PostgreSQL's are closed (or handed back to the
        # pool of a postgresql+pool:// URL). Either way no transaction outlives its request.
        if not db.is_closed() and not isinstance(database, peewee.SqliteDatabase):
            db.close()


# --- migrations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationSet:
    """One history of numbered migration modules (``0001_initial.py``...) kept in a package.

    Every plugin keeps its own history under its own ``app`` label, so plugins migrate
    independently of each other and of the core.

    Why a runner of our own (checked against the pinned peewee 4.5.3): ``playhouse.migrate`` gives the schema
    operations (the ``SchemaMigrator`` each migration is handed), and 4.5.3 also ships ``playhouse.migrations.Runner``,
    which runs numbered files with a history; but a Runner reads one directory by file path and records file names
    alone (``schema_migration``, the name unique), so the core and six plugins, each with its own ``0001_...``,
    would need a Runner and a history table each, while the order across them, the tests' per-app ``target`` and
    finding a plugin's migrations by package (an entry-point plugin is a package, not a directory we know) would
    stay ours anyway. Every database already holds our ``migration_history`` (app, name); pyproject still allows
    peewee 3.17 (no Runner there); and every file would change signature (``up(migrator, db)``). peewee-migrate
    (klen, maintained) and peewee-moves (no release since 2020) have the same shape, one directory and one history
    keyed by name, for a dependency more. So the few lines below stay.
    """

    app: str
    package: str

    def modules(self):
        package = importlib.import_module(self.package)
        names = sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name[:4].isdigit())
        return [(name, f"{self.package}.{name}") for name in names]


class MigrationRecord(peewee.Model):
    app = peewee.CharField(max_length=64)
    name = peewee.CharField(max_length=128)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "migration_history"
        indexes = ((("app", "name"), True),)


def applied(database=db) -> set[tuple[str, str]]:
    with database.bind_ctx([MigrationRecord]):
        database.create_tables([MigrationRecord], safe=True)
        return {(r.app, r.name) for r in MigrationRecord.select()}


def upgrade(sets: list[MigrationSet], database=db, target: dict | None = None, echo=print) -> list[str]:
    """Apply every pending migration of every set, in order, each in its own transaction.

    ``target`` maps an app label to the last migration name to apply (used by tests that build an
    old schema first). Returns the names applied.
    """
    done = applied(database)
    ran = []
    for mset in sets:
        for name, module_name in mset.modules():
            if target and mset.app in target and name > target[mset.app]:
                break
            if (mset.app, name) in done:
                continue
            module = importlib.import_module(module_name)
            with database.atomic():
                module.upgrade(database, SchemaMigrator.from_database(database))
                with database.bind_ctx([MigrationRecord]):
                    MigrationRecord.create(app=mset.app, name=name)
            ran.append(f"{mset.app}.{name}")
            echo(f"applied {mset.app}.{name}")
    return ran
