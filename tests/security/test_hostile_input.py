"""Random and hostile input (hypothesis) to every form of the app and to every parser of uploaded files: no
answer is a server error, and an answer that refuses the input wrote nothing (every table keeps its row count).

The forms are found the way a person finds them: each kind of signed-in user walks the pages, and every
``<form method="post">`` (and htmx ``hx-post``) found is filled with hostile values for its own fields plus
fields it does not have. A POST route no page links to is still posted to, at URLs made from the ids in the
database; search forms and links with a query get hostile query values. The parsers (file sniffing, the
satisfied-register XML and XLSX readers, CMS signatures, ISIN and IIN/BIN checks) and the orders API's JSON
bodies get their own properties. The number of inputs tried goes to test-artifacts/security_figures.json."""

import datetime
import io
import os
import re
import time
import traceback
import zipfile
from collections import Counter, deque
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import Phase, given
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from tests.conftest import Auth
from tests.plugins.listing.conftest import Journey
from tests.security import hostile
from tests.security.figures import record

# per POST route: fewer on PostgreSQL, whose row counts before and after each post cost more (its deterministic
# every-field payloads, NUL bytes included, are the same)
EXAMPLES = int(os.environ.get("IS2IN_FUZZ_EXAMPLES") or (12 if os.environ.get("IS2IN_TEST_DATABASE_URL") else 20))
SEARCH_EXAMPLES = max(3, EXAMPLES // 4)  # per page with a search form or query links
REFUSED = {400, 403, 404, 405, 409, 410, 413, 415, 422, 429}
# Rows an answer that refuses may still write: the audit trail (it records refusals too).
MAY_WRITE = {"audit_event", "migration_history"}
USERS = [
    "issuer@demo.kz",
    "ceo@demo.kz",
    "broker@demo.kz",
    "auditor@demo.kz",
    "buyer1@demo.kz",
    "seller@demo.kz",
    "csd@demo.kz",
    "control@demo.kz",
    "listing@exchange.demo",
    "office@exchange.demo",
    "trading@exchange.demo",
    "board@exchange.demo",
    "monitoring@exchange.demo",
    "auditors@exchange.demo",
    "admin@exchange.demo",
]
# Never posted: it would end the session under test (the auth tests cover it).
SKIP = {"auth.logout"}
# Posted last: they change the acting users themselves or remove what the other routes work on.
LAST = ("cabinet.profile", "auth.change_password", "cabinet.set_language", "delete", "revoke", "withdraw", "end")
# GET pages not walked: files and machine endpoints, no forms there.
NOT_WALKED = re.compile(
    r"pdf|download|attachment|signing_document|letter_file|certificate|call_off_letter|"
    r"schema|feed|openapi|subscription_api|healthz|readyz"
)

FIGURES = Counter()
# Shrinking a failing page post re-renders big pages hundreds of times; the unshrunk example is reported.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


# --- the forms the pages show -------------------------------------------------------------------------------


class Forms(HTMLParser):
    """Every form of a page (and every htmx ``hx-post``), with its method, fields and the values offered."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links, self.form, self.select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-post") and tag != "form":
            self.forms.append({"method": "post", "action": a["hx-post"], "fields": {}})
        if tag == "form":
            post = a.get("method", "").lower() == "post" or a.get("hx-post")
            action = a.get("hx-post") or a.get("action") or ""
            self.form = {"method": "post" if post else "get", "action": action, "fields": {}}
            self.forms.append(self.form)
            return
        if self.form is None or not a.get("name"):
            if tag == "option" and self.select is not None:
                self.select["options"].append(a.get("value", ""))
            return
        name, kind = a["name"], a.get("type", "text").lower()
        if tag == "input":
            field = self.form["fields"].setdefault(name, {"type": kind, "options": []})
            if a.get("value") or kind in ("checkbox", "radio", "hidden", "submit"):
                field["options"].append(a.get("value", "y" if kind == "checkbox" else ""))
        elif tag == "button":
            self.form["fields"].setdefault(name, {"type": "submit", "options": []})["options"].append(
                a.get("value", "")
            )
        elif tag == "select":
            self.select = self.form["fields"].setdefault(name, {"type": "select", "options": []})
        elif tag == "textarea":
            self.form["fields"].setdefault(name, {"type": "textarea", "options": []})

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def _walk(app, client, user, found, pools, searches, budget=90):
    """Follow the links a user sees (GET pages only) and note every form that posts to a route of the app,
    and every search form or link with a query (``searches``: the GET parameters each page takes)."""
    from core.accounts.models import User

    adapter = app.url_map.bind("localhost")
    person = User.by_email(user) if user else None
    with app.test_request_context():
        start = ["/"] + [
            url
            for r in app.url_map.iter_rules()
            if "GET" in r.methods
            and not NOT_WALKED.search(r.endpoint)
            and r.endpoint != "auth.logout"
            and not r.endpoint.endswith("static")
            and (app.view_functions[r.endpoint].access.allows(person) or r.endpoint.startswith("auth."))
            for url in _fill(r, pools, set())
            if "999999" not in url and "nothing" not in url
        ]
    queue, seen, per_path = deque(start), set(), Counter()
    while queue and len(seen) < budget:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or per_path[path] >= 8:
            continue
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except HTTPException:
            continue
        if NOT_WALKED.search(endpoint):
            continue
        seen.add(url)
        per_path[path] += 1
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or url
            if not action.startswith("/"):
                continue
            if form["method"] == "get":
                searches.setdefault((user, urlsplit(action).path), {}).update(form["fields"])
                continue
            try:
                endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
            except HTTPException:
                continue
            known = found.setdefault(endpoint, {}).setdefault((user, action), {})
            known.update(form["fields"])
        for link in parser.links:
            if link.startswith("/") and not link.startswith("//") and link not in seen:
                queue.append(link)
            parts = urlsplit(link)
            if parts.query and link.startswith("/"):
                known = searches.setdefault((user, parts.path), {})
                for name, value in parse_qsl(parts.query, keep_blank_values=True):
                    known.setdefault(name, {"type": "text", "options": []})["options"].append(value)


# --- the state the forms work on ------------------------------------------------------------------------------


def _world(app, client, auth, make, make_subscription, members):
    """Applications, subscriptions, orders and people to act on; the ids for URLs no page links to."""
    from core.accounts.models import User
    from core.db import utcnow
    from plugins.subscription import service
    from plugins.subscription.models import Subscription

    auth.login("issuer@demo.kz")
    journey = Journey(client, auth)
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    Journey(client, auth).create()  # a draft
    filled = Journey(client, auth)
    filled.create()
    filled.fill_all()  # every stage open to the issuer's forms
    auth.logout()
    sub = make_subscription()
    make_subscription(state="draft")
    filed = make_subscription(state="filed")
    Subscription.update(filed_at=utcnow()).where(Subscription.id == filed.id).execute()  # as service.file sets it
    with app.test_request_context():
        service.submit_order(
            sub,
            members["buyer1"],
            {"kind": "limit", "price": Decimal("1000"), "quantity": 10, "account": members["acc1"]},
        )
    victim_org = make.org(roles=("issuer",))
    make.user(victim_org, email="victim@example.kz")
    acting = {u.id for u in User.select().where(User.email.in_(USERS))}
    acting_orgs = {u.organisation_id for u in User.select().where(User.email.in_(USERS))}
    return acting, acting_orgs


def _ids(app):
    """Candidate values of each URL argument: the ids in the database, and ones that exist nowhere."""
    from core import db as database

    tables = set(database.db.get_tables())
    by_arg = {
        "app_id": "application",
        "attachment_id": "attachment",
        "security_id": "application_security",
        "notification_id": "notification",
        "obligation_id": "disclosure_obligation",
        "insider_id": "insider",
        "doc_id": "regulatory_document",
        "day_id": "calendar_day",
        "node_id": "cascade_node",
        "mail_id": "mail_message",
        "partnership_id": "partnership",
        "policy_id": "signer_policy",
        "cert_id": "trust_certificate",
        "penalty_id": "subscription_penalty",
        "token_id": "subscription_api_token",
        "sub_id": "subscription",
        "change_id": "subscription_change",
        "deal_id": "subscription_deal",
        "order_id": "subscription_order",
        "buyer_id": "organisation",
    }
    pools = {}
    for arg, table in by_arg.items():
        rows = (
            database.db.execute_sql(f'SELECT id FROM "{table}" ORDER BY id DESC LIMIT 3').fetchall()
            if (table in tables)
            else []
        )
        pools[arg] = [str(r[0]) for r in rows] + ["999999"]
    return pools


def _fill(rule, pools, protected):
    urls = [rule.rule]
    for arg in rule.arguments:
        values = pools.get(arg) or ["nothing", "1"]
        values = [v for v in values if (arg, v) not in protected] or ["999999"]
        urls = [re.sub(rf"<(?:[a-z]+:)?{arg}>", v, url) for url in urls for v in values[:2]]
    return urls


def _module_fields(view) -> dict:
    """The fields of every form class the view's module defines or imports: for a route no page links to."""
    import inspect

    from flask_wtf import FlaskForm
    from wtforms import BooleanField, DateField, DecimalField, FileField, IntegerField, RadioField, SelectField
    from wtforms.fields.core import UnboundField

    module = inspect.getmodule(inspect.unwrap(view))
    fields = {}
    for cls in vars(module).values():
        if not (inspect.isclass(cls) and issubclass(cls, FlaskForm)) or cls is FlaskForm:
            continue
        for klass in cls.__mro__:
            for name, unbound in vars(klass).items():
                if not isinstance(unbound, UnboundField):
                    continue
                kind, options = "text", []
                field_class = unbound.field_class
                if issubclass(field_class, BooleanField):
                    kind, options = "checkbox", ["y"]
                elif issubclass(field_class, FileField):
                    kind = "file"
                elif issubclass(field_class, DecimalField | IntegerField):
                    kind = "number"
                elif issubclass(field_class, DateField):
                    kind = "date"
                elif issubclass(field_class, SelectField | RadioField):
                    kind = "select"
                    choices = unbound.kwargs.get("choices") or []
                    options = [str(c[0] if isinstance(c, tuple | list) else c) for c in choices if not callable(c)]
                fields.setdefault(name, {"type": kind, "options": options})
    return fields


def _counts(database) -> dict:
    tables = [t for t in database.get_tables() if t not in MAY_WRITE]
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    return dict(database.execute_sql(sql).fetchall())


# --- the values a field gets ----------------------------------------------------------------------------------


def _value(field):
    options = [o for o in field["options"] if o is not None]
    kind = field["type"]
    if kind == "file":
        return st.one_of(hostile.files, hostile.hostile_text)
    choices = [hostile.hostile_text, st.lists(hostile.hostile_text, min_size=2, max_size=3)]
    if kind in ("number", "range"):
        choices.append(hostile.numbers)
    if kind in ("date", "datetime-local", "time"):
        choices.append(hostile.dates)
    if options:  # what the page offers is the likeliest input: half the draws take it
        return st.one_of(st.sampled_from(options), st.sampled_from(options), *choices)
    return st.one_of(*choices)


def _submission(data, specs):
    (user, url), fields = data.draw(st.sampled_from(specs), label="form")
    values = {}
    for name, field in fields.items():
        if name == "csrf_token" or not data.draw(st.integers(0, 9)):  # now and then a field is left out
            continue
        values[name] = data.draw(_value(field), label=name)
    extras = data.draw(st.dictionaries(hostile.extra_names, hostile.hostile_text, max_size=2), label="extra fields")
    for name, value in extras.items():
        if name != "csrf_token":
            values.setdefault(name, value)
    if values and not data.draw(st.integers(0, 5)):  # one huge value now and then, past the size limits or not
        values[data.draw(st.sampled_from(sorted(values)))] = data.draw(hostile.huge, label="huge")
    return user, url, values


# Every field of a form at once: a NUL byte (PostgreSQL refuses it in text), numbers past every column.
EVERY_FIELD = ["a\x00b", "9" * 40, "-9" * 20, "sNaN", "1e999", "2147483648"]


def _every_field(specs):
    for (user, url), fields in specs[:2]:
        for payload in EVERY_FIELD:
            values = {}
            for name, field in fields.items():
                if name == "csrf_token":
                    continue
                if field["type"] == "file":
                    values[name] = (io.BytesIO(b"%PDF-1.4\n" + payload.encode()), payload + ".pdf")
                else:
                    values[name] = payload
            yield user, url, values


def _where(exc) -> str:
    """The app's own frames of a failure, and hypothesis's note of the input (cut: it may be huge)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "/tests/" not in f.filename and "/work/main/" in f.filename
    ]
    lines = [f"    {f.filename.split('/work/main/')[-1]}:{f.lineno} {f.line}" for f in frames[-4:]]
    notes = "\n".join(getattr(exc, "__notes__", []))
    return "\n".join(lines) + "\n" + notes[:1500]


def _order(endpoint):
    return (any(word in endpoint for word in LAST), endpoint)


def test_every_form_survives_hostile_input(app, client, auth, make, demo, make_subscription, members):
    """Every POST route, as each kind of user allowed to use it: no 500, no partial write."""
    from core import db as database
    from core.accounts.models import User

    app.config["PROPAGATE_EXCEPTIONS"] = True  # a server error is an exception here, with its traceback
    acting, acting_orgs = _world(app, client, auth, make, make_subscription, members)
    protected = {("user_id", str(i)) for i in acting} | {("org_id", str(i)) for i in acting_orgs}
    untouchable = [f"/staff/users/{i}/" for i in acting] + [f"/staff/organisations/{i}/" for i in acting_orgs]

    clients = {None: app.test_client()}
    for email in USERS:
        clients[email] = app.test_client()
        assert Auth(clients[email]).login(email).status_code == 302, email
    users = {email: User.by_email(email) for email in USERS}

    pools = _ids(app)
    started = time.monotonic()
    found, searches = {}, {}
    for email, browser in clients.items():
        _walk(app, browser, email, found, pools, searches)
    walked = time.monotonic() - started
    routes = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.endpoint not in SKIP and app.view_functions[r.endpoint].access.who != "token"
    ]
    failures, posted, refused, from_pages, timings = [], Counter(), Counter(), 0, {}
    for rule in sorted(routes, key=lambda r: _order(r.endpoint)):
        access = app.view_functions[rule.endpoint].access
        allowed = [None] if access.who == "public" else []
        with app.test_request_context():
            allowed += [email for email in USERS if access.allows(users[email])]
        specs = [
            ((user, url), fields)
            for (user, url), fields in found.get(rule.endpoint, {}).items()
            if user in allowed and not any(prefix in url for prefix in untouchable)
        ]
        from_pages += bool(specs)
        if not specs:  # no page links here: the URL from ids in the database, the fields of the module's forms
            fields = _module_fields(app.view_functions[rule.endpoint])
            specs = [((user, url), fields) for user in allowed[:3] for url in _fill(rule, pools, protected)]
        assert specs, f"nobody may post to {rule.rule}?"

        def check(user, url, values):
            before = _counts(database.db)
            response = clients[user].post(url, data=values, headers={"Accept": "text/html"})
            posted[rule.endpoint] += 1  # noqa: B023 - called within this iteration
            status = response.status_code
            assert status < 500, f"{status} from {url} as {user}"
            if status in REFUSED:
                refused[rule.endpoint] += 1  # noqa: B023
                after = _counts(database.db)
                changed = {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}
                assert not changed, f"{status} from {url} as {user}, yet rows changed: {changed}"

        @hostile.bounded(EXAMPLES, phases=NO_SHRINK)
        @given(data=st.data())
        def post(data):
            check(*_submission(data, specs))  # noqa: B023

        began = time.monotonic()
        try:
            for user, url, values in _every_field(specs):
                check(user, url, values)
            post()
        except Exception as exc:  # noqa: BLE001 - every route's failure is reported, not just the first
            failures.append(f"{rule.rule} ({rule.endpoint}): {type(exc).__name__}: {str(exc)[:300]}\n" + _where(exc))
        timings[rule.endpoint] = time.monotonic() - began
    searched = Counter()
    for (user, path), fields in sorted(searches.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):

        @hostile.bounded(SEARCH_EXAMPLES, phases=NO_SHRINK)
        @given(data=st.data())
        def search(data):
            values = {name: data.draw(_value(field), label=name) for name, field in fields.items()}  # noqa: B023
            response = clients[user].get(path, query_string=values)  # noqa: B023
            searched[path] += 1  # noqa: B023
            assert response.status_code < 500, f"{response.status_code} from {path} as {user}"  # noqa: B023

        try:
            search()
        except Exception as exc:  # noqa: BLE001
            failures.append(f"GET {path} as {user}: {type(exc).__name__}: {str(exc)[:300]}\n" + _where(exc))
    record(
        "hostile_forms",
        {
            "post_routes": len(routes),
            "post_routes_found_on_pages": from_pages,
            "inputs_tried": sum(posted.values()),
            "search_pages": len(searches),
            "search_inputs_tried": sum(searched.values()),
            "refused_answers_checked_for_partial_writes": sum(refused.values()),
            "walk_seconds": round(walked, 1),
            "examples_per_route": EXAMPLES,
            "slowest_routes_seconds": {k: round(v, 1) for k, v in sorted(timings.items(), key=lambda kv: -kv[1])[:5]},
            "post_routes_no_page_links_to": sorted(r.endpoint for r in routes if r.endpoint not in found),
        },
    )
    assert not failures, f"{len(failures)} route(s) failed:\n\n" + "\n\n".join(failures)
    assert from_pages >= len(routes) // 2, "the walk found too few of the forms"


# --- the parsers ----------------------------------------------------------------------------------------------

REGISTER_NS = "urn:kase:is2in:subscription:register:1"


def _count(key, n=1):
    FIGURES[key] += n
    record("hostile_parsers", {key: FIGURES[key]})


@hostile.bounded(300)
@given(hostile.file_bytes)
def test_sniff_tells_a_kind_or_none_and_never_raises(data):
    from core.files import KINDS, sniff

    assert sniff(data) in (None, *KINDS)
    _count("sniff")


@given(st.text(max_size=40), st.sampled_from(["pdf", "docx", "xlsx", "ole", "xml"]))
@hostile.bounded(200)
def test_safe_name_is_a_base_name_with_the_contents_extension(name, kind):
    from core.files import KINDS, safe_name

    shown = safe_name(name, kind)
    assert "/" not in shown and "\\" not in shown and shown.endswith(KINDS[kind][1]) and len(shown) <= 125
    _count("file_names")


def _register_xml(orders) -> bytes:
    """A register shaped like register-v1.xsd, its cells any text (escaped)."""
    from xml.sax.saxutils import escape

    def cells(values):
        number, submitted, price, quantity = values
        return (
            f"<Order><Number>{escape(number)}</Number><Submitted>{escape(submitted)}</Submitted>"
            f"<Accepted><Price>{escape(price)}</Price><Quantity>{escape(quantity)}</Quantity></Accepted>"
            f"<Satisfied><Price>{escape(price)}</Price><Quantity>{escape(quantity)}</Quantity></Satisfied></Order>"
        )

    body = "".join(cells(values) for values in orders)
    return f'<?xml version="1.0" encoding="UTF-8"?><Register xmlns="{REGISTER_NS}">{body}</Register>'.encode()


XML_CELL = st.one_of(hostile.hostile_text, st.integers().map(str)).map(
    lambda s: "".join(c for c in s if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd"))
)


@given(
    st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=1000).map(lambda b: b'<?xml version="1.0"?>' + b),
        st.sampled_from(hostile.HOSTILE_XML),
        st.lists(st.tuples(XML_CELL, XML_CELL, XML_CELL, XML_CELL), max_size=8).map(_register_xml),
        st.integers(1, 20_000).map(lambda depth: b"<Register>" + b"<a>" * depth + b"</a>" * depth + b"</Register>"),
    )
)
@hostile.bounded(250)
def test_register_xml_reader_refuses_entities_and_survives_anything(app, data):
    """defusedxml refuses DOCTYPEs, entities and external references before anything expands; any other bytes
    give rows or a report, never an exception; the schema check (lxml, entities and network off) likewise."""
    from plugins.subscription.registers.reader import Report, read_xml, validate_schema

    with app.test_request_context():
        report = Report()
        rows = read_xml(data, report, max_rows=5)
        assert rows is None and report or rows is not None
        if data in hostile.HOSTILE_XML or b"<!DOCTYPE" in data:
            assert rows is None and "DOCTYPE" in report.as_list()[0]["message"] or report
        validate_schema(data, Report())
    _count("register_xml")


def _workbook(rows, header=True) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    if header:
        sheet.append(["A"] + [str(n) for n in range(1, 18)])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bomb(size=40 * 1024 * 1024) -> bytes:
    """A zip whose sheet inflates a thousandfold: 40 MB of zeros in about 40 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return buffer.getvalue()


def _many_parts(n=1200) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            archive.writestr(f"xl/part{i}.xml", "")
    return buffer.getvalue()


def _with_doctype() -> bytes:
    data = io.BytesIO(_workbook([[1, 1, "01.01.2026 10:00:00", 1000]]))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                content = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + content.split(b"?>", 1)[-1]
            target.writestr(item, content)
    return out.getvalue()


XLSX_CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
)


@pytest.fixture(scope="module")
def bombs():
    return {"zip bomb": _bomb(), "too many parts": _many_parts(), "doctype": _with_doctype()}


@given(
    st.one_of(
        st.sampled_from(["zip bomb", "too many parts", "doctype"]),
        st.lists(st.lists(XLSX_CELL, max_size=14), max_size=6).map(_workbook),
        st.lists(st.lists(XLSX_CELL, max_size=5), max_size=3).map(lambda rows: _workbook(rows, header=False)),
        st.tuples(
            st.lists(st.lists(XLSX_CELL, max_size=5), max_size=3), st.integers(0, 5000), st.binary(max_size=8)
        ).map(
            lambda t: (lambda b: b[: t[1] % max(len(b), 1)] + t[2] + b[t[1] % max(len(b), 1) + len(t[2]) :])(
                _workbook(t[0])
            )
        ),
        st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
    )
)
@hostile.bounded(120)
def test_register_xlsx_reader_refuses_bombs_and_survives_anything(app, bombs, data):
    """Zip bombs, archives of too many parts and entity declarations are refused before anything inflates;
    broken archives and cells of any type give rows or a report, never an exception."""
    from plugins.subscription.registers.reader import Report, read_xlsx

    if isinstance(data, str):
        kind, data = data, bombs[data]
    else:
        kind = None
    with app.test_request_context():
        report = Report()
        rows = read_xlsx(data, report, max_rows=5)
        assert rows is None and report or rows is not None
        if kind:
            assert rows is None, kind
    _count("register_xlsx")


def test_a_huge_sheet_is_refused_at_the_row_limit(app):
    from plugins.subscription.registers.reader import Report, read_xlsx

    data = _workbook([[n, n, "01.01.2026 10:00:00", 1000, None, 10, 10000, 1000, None, 10, 10000] for n in range(3000)])
    with app.test_request_context():
        report = Report()
        started = time.monotonic()
        assert read_xlsx(data, report, max_rows=100) is None
        assert "больше строк" in report.as_list()[0]["message"] and time.monotonic() - started < 5
    _count("register_xlsx")


@pytest.fixture(scope="module")
def signature():
    from core.signing import pki

    ca = pki.make_ca("Fuzz CA")
    person = pki.make_person_cert(
        ca, surname="ТЕСТОВ", name="ТЕСТ", patronymic="", iin="800101300123", bin="", organisation="", purpose="sign"
    )
    return pki.sign_detached_with_openssl(b"document", person.cert_pem, person.key_pem)


@given(data=st.data())
@hostile.bounded(300)
def test_cms_parser_rejects_garbage_with_its_own_error(signature, data):
    """Random bytes, base64 and PEM of random bytes, and real signatures cut or with bytes changed: parse_cms
    returns a SignedData or raises SignatureRejected ("corrupt"), nothing else."""
    import base64

    from core.signing.verify import SignatureRejected, parse_cms, signed_digest, signer_certificate

    blob = data.draw(
        st.one_of(
            st.binary(max_size=600),
            st.binary(max_size=400).map(lambda b: b"\x30" + b),
            st.binary(max_size=400).map(base64.b64encode),
            st.tuples(st.sampled_from([b"CMS", b"PKCS7", b"CERTIFICATE", b""]), st.binary(max_size=300)).map(
                lambda t: b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (t[0], base64.encodebytes(t[1]), t[0])
            ),
            st.integers(0, len(signature)).map(lambda n: signature[:n]),
            st.tuples(st.integers(0, len(signature) - 1), st.integers(0, 255)).map(
                lambda t: signature[: t[0]] + bytes([t[1]]) + signature[t[0] + 1 :]
            ),
        )
    )
    try:
        info = parse_cms(blob)
    except SignatureRejected as exc:
        assert exc.code == "corrupt"
    else:
        assert info["content_type"].native == "signed_data"
    signed_digest(blob)  # both answer None for what they cannot read
    signer_certificate(blob)
    _count("cms")


@given(
    st.one_of(
        st.text(max_size=16),
        st.sampled_from(hostile.PAYLOADS),
        st.from_regex(r"[A-Z]{2}[A-Z0-9]{9}[0-9]", fullmatch=True),
    )
)
@hostile.bounded(400)
def test_isin_check_answers_for_any_text(code):
    from core.workflow.cascade import isin_problem, make_isin

    problem = isin_problem(code)
    assert problem in (None, "format", "check")
    if problem is None:
        assert make_isin(code[:11]) == code
    _count("isin")


@given(
    st.one_of(
        st.text(max_size=14),
        st.sampled_from(hostile.PAYLOADS),
        st.from_regex(r"[0-9]{12}", fullmatch=True),
        st.text(alphabet="0123456789¹²³١٢٣１２３", min_size=12, max_size=12),
    )
)
@hostile.bounded(400)
def test_iin_bin_check_answers_for_any_text(app, value):
    """The IIN/BIN check says yes or no, and the form validator gives its message, for any text (Unicode
    digits such as "¹²" included)."""
    from wtforms import Form, StringField
    from wtforms.validators import ValidationError

    from core.accounts.validators import XIN, is_valid_xin

    valid = is_valid_xin(value)
    assert valid in (True, False)
    if valid:
        assert value.isascii() and len(value) == 12

    class One(Form):
        xin = StringField()

    with app.test_request_context():
        form = One(data={"xin": value})
        try:
            XIN("ИИН")(form, form.xin)
        except ValidationError:
            assert not valid
    _count("iin_bin")


# --- the orders API's JSON bodies -------------------------------------------------------------------------------


def _json_body():
    from plugins.subscription.api import ORDER_INPUT

    valid_ish = {
        "account": st.sampled_from(["BUY1-KZT", "BUY2-KZT", "SELL-001"]),
        "kind": st.sampled_from(["limit", "market"]),
        "basis": st.sampled_from(["quantity", "money"]),
        "price": st.one_of(st.sampled_from(["1000", "999.99", "0", "-1"]), st.decimals().map(str)),
        "quantity": st.one_of(st.integers(1, 20), st.integers()),
        "money": st.decimals(allow_nan=False).map(str),
        "version": st.integers(0, 5),
        "client_ref": st.text(max_size=70),
    }
    fields = {
        name: st.one_of(valid_ish.get(name, st.nothing()), hostile.json_values)
        for name in (*ORDER_INPUT, "version", "client_ref")
    }
    order = st.fixed_dictionaries({}, optional=fields)
    extra = st.dictionaries(hostile.text, hostile.json_values, max_size=2)
    return st.one_of(
        st.tuples(order, extra).map(lambda pair: {**pair[1], **pair[0]}),
        order,
        hostile.json_values,
    )


def test_api_json_bodies_survive_hostile_input(app, members, make_subscription):
    """POST, PATCH and DELETE of orders and POST of batches with any JSON (or not JSON at all): no 500; a
    refusal (4xx) writes no row; an acceptance adds at most one order (a batch: the orders it says it took);
    the money blocked on each account always equals the blocks of its active orders."""
    import json

    from core import db as database
    from plugins.subscription import api
    from plugins.subscription.models import ApiToken, Order, TradeAccount

    app.config["PROPAGATE_EXCEPTIONS"] = True
    sub = make_subscription()
    raw = api.new_token()
    user = members["buyer1"]
    ApiToken.create(organisation=user.organisation_id, user=user, name="fuzz", token_hash=api.digest(raw))
    system = app.test_client()
    base = f"/api/v1/subscriptions/{sub.number}/orders"
    headers = {"Authorization": f"Bearer {raw}"}
    first = system.post(base, json={"account": "BUY1-KZT", "price": "1000", "quantity": 5}, headers=headers, csrf=False)
    assert first.status_code == 201, first.get_json()
    tried = Counter()

    @hostile.bounded(int(os.environ.get("IS2IN_FUZZ_API_EXAMPLES", "250")))
    @given(data=st.data())
    def call(data):
        method = data.draw(st.sampled_from(["POST", "PATCH", "DELETE", "BATCH"]), label="method")
        if method == "BATCH":
            url = f"{base}/batch"
        else:
            url = base if method == "POST" else f"{base}/{data.draw(st.sampled_from([1, 2, 3, 999999]), label='order')}"
        kind = data.draw(st.sampled_from(["json", "json", "json", "bytes", "text"]), label="body kind")
        if kind == "json":
            value = data.draw(_json_body(), label="body")
            if method == "BATCH" and data.draw(st.booleans(), label="as a batch"):
                value = {"orders": data.draw(st.lists(_json_body(), max_size=4), label="orders")}
            body = json.dumps(value, ensure_ascii=data.draw(st.booleans()))
            content_type = "application/json"
        else:
            body = data.draw(st.binary(max_size=300) if kind == "bytes" else hostile.hostile_text, label="body")
            content_type = data.draw(
                st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
            )
        before = _counts(database.db)
        verb = "POST" if method == "BATCH" else method
        response = system.open(url, method=verb, data=body, content_type=content_type, headers=headers)
        tried[method] += 1
        tried[response.status_code] += 1
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        assert response.is_json, response.mimetype
        after = _counts(database.db)
        if response.status_code >= 400:
            assert before == after, {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        elif method == "BATCH":
            taken = response.get_json()["taken"]
            assert after["subscription_order"] - before["subscription_order"] == taken <= 4
        else:
            assert after["subscription_order"] - before["subscription_order"] in (0, 1)

    call()
    for account in TradeAccount.select():
        active = Order.select().where((Order.account == account) & (Order.status == "active"))
        assert account.blocked == sum((o.blocked for o in active), Decimal(0)), account.code
    calls = sum(tried[m] for m in ("POST", "PATCH", "DELETE", "BATCH"))
    assert tried[201] + tried[200] and tried[422] and tried[400], tried  # accepted, refused and unreadable all seen
    record("hostile_parsers", {"api_json_bodies": calls})


def test_ids_no_column_holds_are_not_found(app, client, auth, demo):
    """Every route with an integer in its URL, given one past PostgreSQL's integer: 404, not a failed query."""
    from core.security import DatabaseIntConverter

    app.config["PROPAGATE_EXCEPTIONS"] = True
    auth.login("admin@exchange.demo")
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [a for a in rule.arguments if isinstance(rule._converters[a], DatabaseIntConverter)]
        if not ints:
            continue
        for huge in (2**31, 10**20):
            url = rule.rule
            for arg in rule.arguments:
                url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(huge) if arg in ints else "x", url)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
                assert response.status_code in (401, 404, 405), (method, url, response.status_code)
                checked += 1
    assert checked > 50
    record("hostile_parsers", {"huge_ids_in_urls": checked})
