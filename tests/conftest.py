"""Test fixtures: a real database (SQLite, or PostgreSQL when IS2IN_TEST_DATABASE_URL is set), a real
SMTP server (aiosmtpd), a test client that sends CSRF tokens the way a browser form does, and factories."""

import datetime
import os
import re
import shutil
import threading
import time
from email import message_from_bytes, policy
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from core import create_app
from core import db as database
from core.accounts.models import Organisation, User
from core.accounts.validators import make_xin
from core.auth.passwords import hash_password
from core.db import utcnow

PASSWORD = "Demo!2345"
PG_URL = os.environ.get("IS2IN_TEST_DATABASE_URL")

# The journeys' PKI fixtures (``test_ca``, ``trusted``) for every test; as a plugin, its asserts are rewritten.
pytest_plugins = ["tests.journeys"]


def pytest_configure(config):
    config.addinivalue_line("markers", "rule(id): the seed rule this test proves")
    _freeze_session()


def pytest_unconfigure(config):
    if _SESSION_TRAVEL:
        _SESSION_TRAVEL.pop().stop()


# --- the clock: the Exchange's midnights ---------------------------------------------------------------
# Figures here are the Rules' own, not the product's: Kazakhstan keeps UTC+5 all year (since 1 March 2024),
# so the Exchange's day begins at 19:00 UTC the day before. Tests compare with these helpers, never with
# the machine's date.today().

ALMATY = ZoneInfo("Asia/Almaty")
_SESSION_TRAVEL: list = []


def almaty(moment: datetime.datetime) -> datetime.datetime:
    """A naive UTC (or aware) instant as Almaty wall-clock time (naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(ALMATY).replace(tzinfo=None)


def almaty_today() -> datetime.date:
    return datetime.datetime.now(ALMATY).date()


def _freeze_session():
    """``IS2IN_TEST_FREEZE`` runs the whole session on a moved clock (ticking from there), to find what
    depends on the hour: an ISO instant (``2026-12-04T20:00:00Z``) or a UTC time of day (``20:00``: the last
    such minute before now, so certificates openssl makes at the real time are not from the future). For
    example ``IS2IN_TEST_FREEZE=20:00 .venv/bin/pytest tests/core`` runs between the two midnights (Almaty's
    date is ahead of UTC's). See docs/operations.md, "The Exchange's clock"."""
    value = os.environ.get("IS2IN_TEST_FREEZE", "").strip()
    if not value or _SESSION_TRAVEL:
        return
    if len(value) <= 5:
        hour, minute = (int(part) for part in value.split(":"))
        now = datetime.datetime.now(datetime.UTC)
        destination = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if destination > now:
            destination -= datetime.timedelta(days=1)
    else:
        destination = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    travel = time_machine.travel(destination, tick=True)
    travel.start()
    _SESSION_TRAVEL.append(travel)


# Both sides of both midnights: Almaty's (19:00 UTC) and UTC's. The date is a Thursday then a Friday.
MIDNIGHTS = {
    "18:59Z": datetime.datetime(2026, 12, 3, 18, 59),  # Almaty 03.12 23:59
    "19:01Z": datetime.datetime(2026, 12, 3, 19, 1),  # Almaty 04.12 00:01: UTC still says 03.12
    "23:59Z": datetime.datetime(2026, 12, 3, 23, 59),  # Almaty 04.12 04:59: UTC still says 03.12
    "00:01Z": datetime.datetime(2026, 12, 4, 0, 1),  # Almaty 04.12 05:01
}


class Frozen:
    def __init__(self, utc: datetime.datetime):
        self.utc = utc  # naive UTC, as stored

    @property
    def exchange_date(self) -> datetime.date:
        return almaty(self.utc).date()


@pytest.fixture(params=list(MIDNIGHTS), ids=list(MIDNIGHTS))
def frozen_at(request):
    """The clock stopped at each instant of MIDNIGHTS (not ticking: the instant is the figure tested)."""
    utc = MIDNIGHTS[request.param]
    with time_machine.travel(utc.replace(tzinfo=datetime.UTC), tick=False):
        yield Frozen(utc)


# --- mail: a real SMTP server ------------------------------------------------------------------


class Mailbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address, count=1, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no mail to {address} within {timeout}s; have {[m['To'] for m in self.messages]}")

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in(self, message) -> str:
        match = re.search(r"https?://\S+", self.body(message))
        assert match, self.body(message)
        return match.group(0)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    yield mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.clear()
    return smtp_server


# --- databases ---------------------------------------------------------------------------------


def _worker():
    # IS2IN_TEST_RUN keeps two test runs on one PostgreSQL server (two checkouts, two people) apart
    return os.environ.get("IS2IN_TEST_RUN", "") + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _migration_sets():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:", "PLUGIN_ENTRY_POINTS": False})
    return app.extensions["is2in.migrations"]


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database made once per test process: an SQLite file to copy, or a PostgreSQL
    database of this worker's own whose tables are emptied between tests."""
    if PG_URL:
        import psycopg2
        from psycopg2 import sql

        name = f"is2in_test_{_worker()}"
        admin = psycopg2.connect(PG_URL)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.close()
        parts = urlsplit(PG_URL)
        url = urlunsplit(parts._replace(path="/" + name))
        _migrate(url)
        _keep_seed_rows(url)
        return {"kind": "postgres", "url": url}
    path = tmp_path_factory.mktemp("dbtemplate") / "template.db"
    _migrate(f"sqlite:///{path}")
    return {"kind": "sqlite", "path": path}


def _migrate(url):
    connection = database.open_database(url)
    database.db.initialize(connection)
    connection.connect()
    database.upgrade(_migration_sets(), database=connection, echo=lambda *_: None)
    connection.close()


def _keep_seed_rows(url):
    """Copy the rows data migrations wrote (catalogues) into a 'seed' schema, to put back after each
    test's truncation: the SQLite run gets them for free by copying the migrated file."""
    connection = database.open_database(url)
    connection.connect()
    connection.execute_sql("DROP SCHEMA IF EXISTS seed CASCADE")
    connection.execute_sql("CREATE SCHEMA seed")
    for table in connection.get_tables():
        if table != "migration_history" and connection.execute_sql(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
            connection.execute_sql(f'CREATE TABLE seed."{table}" AS SELECT * FROM public."{table}"')
    connection.close()


def _empty_postgres(url):
    connection = database.open_database(url)
    connection.connect()
    tables = [t for t in connection.get_tables() if t != "migration_history"]
    seeded = [
        r[0]
        for r in connection.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'seed'"
        ).fetchall()
    ]
    with connection.atomic():
        if tables:
            connection.execute_sql("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(f'"{t}"' for t in tables)))
        for table in seeded:
            connection.execute_sql(f'INSERT INTO public."{table}" SELECT * FROM seed."{table}"')
            connection.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('public.\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 0) + 1 FROM public."{table}"), false)'
            )
    connection.close()


@pytest.fixture
def database_url(database_template, tmp_path):
    if database_template["kind"] == "postgres":
        _empty_postgres(database_template["url"])
        return database_template["url"]
    path = tmp_path / "is2in.db"
    shutil.copy(database_template["path"], path)
    return f"sqlite:///{path}"


# --- the app -------------------------------------------------------------------------------------


class Client(FlaskClient):
    """A test client whose POSTs carry a valid CSRF token unless told ``csrf=False``."""

    def csrf_token(self):
        app = self.application
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                import hashlib

                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf=True, **kwargs):
        if csrf:
            data = kwargs.get("data") or {}
            if isinstance(data, dict):
                kwargs["data"] = {"csrf_token": self.csrf_token(), **data}
        return super().post(*args, **kwargs)


@pytest.fixture
def app_config(database_url, tmp_path, smtp_server):
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret",
        "SMTP_URL": smtp_server.url,
        "BASE_URL": "http://localhost",
        "TASKS_IMMEDIATE": True,
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "PLUGIN_ENTRY_POINTS": False,
        "FAST_PASSWORD_HASHING": True,
        # On by default in production; the MFA tests (tests/core/test_mfa.py) switch it on. The other
        # tests sign staff and first heads in with the password alone, as before the second factor.
        "MFA_REQUIRED": False,
    }


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    application.test_client_class = Client
    database.db.connect(reuse_if_open=True)
    yield application
    if not database.db.is_closed():
        database.db.close()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -----------------------------------------------------------------------------------


class Factory:
    def __init__(self):
        self.n = 0

    def _next(self):
        self.n += 1
        return self.n

    def org(self, code=None, roles=("issuer",), **fields) -> Organisation:
        n = self._next()
        code = code or f"ORG{n}"
        org = Organisation.create(
            code=code,
            legal_form=fields.pop("legal_form", "АО"),
            name_ru=fields.pop("name_ru", f"Компания {code}"),
            name_kk=fields.pop("name_kk", f"{code} компаниясы"),
            name_en=fields.pop("name_en", f"Company {code}"),
            bin=fields.pop("bin", None) or _xin(700000000000 + n * 1000),
            **fields,
        )
        org.set_roles(roles)
        return org

    def user(self, org=None, email=None, password=PASSWORD, departments=(), **fields) -> User:
        n = self._next()
        org = org or self.org()
        user = User.create(
            organisation=org,
            email=email or f"user{n}@example.kz",
            first_name=fields.pop("first_name", "Имя"),
            last_name=fields.pop("last_name", f"Фамилия{n}"),
            position=fields.pop("position", "Специалист"),
            phone=fields.pop("phone", "+7 701 000 00 00"),
            iin=fields.pop("iin", None) or _xin(800000000000 + n * 1000),
            password_hash=hash_password(password) if password else None,
            password_changed_at=fields.pop("password_changed_at", utcnow()),
            last_login_at=fields.pop("last_login_at", utcnow()),
            **fields,
        )
        if departments:
            user.set_departments(departments)
        return user

    def exchange(self):
        return Organisation.exchange() or self.org("KASE", roles=("exchange",))

    def staff(self, *departments, **fields) -> User:
        return self.user(self.exchange(), departments=departments or ("admin",), **fields)


def _xin(seed: int) -> str:
    """A valid IIN/BIN near ``seed`` (control digit computed; skips the rare invalid prefixes)."""
    while True:
        try:
            return make_xin(str(seed)[:11])
        except ValueError:
            seed += 10


@pytest.fixture
def make(app):
    return Factory()


@pytest.fixture
def demo(app):
    from core.demo import load

    with app.app_context():
        load(echo=lambda *_: None)
    return {u.email: u for u in User.select()}


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, follow=False):
        return self.client.post(
            "/login", data={"email": email, "password": password, "agreement": "y"}, follow_redirects=follow
        )

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def auth_factory(make):
    """A signed-in client of another app built on the same database (for apps a test makes itself)."""

    def factory(application, email="someone@example.kz"):
        from core.accounts.models import User

        if User.by_email(email) is None:
            make.user(email=email)
        application.test_client_class = Client
        client = application.test_client()
        Auth(client).login(email)
        return client

    return factory


def meeting_today() -> str:
    """A meeting of the decision body held today (the Almaty date): its decision may be recorded at once, as a
    decision is recorded on the meeting's day or later, never before."""
    return almaty_today().isoformat()
