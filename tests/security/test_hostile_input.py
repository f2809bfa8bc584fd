"""Random and hostile input (hypothesis) to every form of the app and to every parser of uploaded files: no
answer is a server error, and an answer that refuses the input wrote nothing (every table keeps its row count).

The forms are found the way a person finds them: each kind of signed-in user walks the pages, and every
``<form method="post">`` (and htmx ``hx-post``) found is filled with hostile values for its own fields plus
fields it does not have. A POST route no page links to is still posted to, at URLs made from the ids in the
database. The parsers (file sniffing, the satisfied-register XML and XLSX readers, CMS signatures, ISIN and
IIN/BIN checks) and the orders API's JSON bodies get their own properties. The number of inputs tried goes to
test-artifacts/security_figures.json."""

import io
import os
import re
import time
import traceback
import zipfile
from collections import Counter, deque
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from tests.conftest import Auth
from tests.plugins.listing.conftest import Journey
from tests.security import hostile
from tests.security.figures import record

EXAMPLES = int(os.environ.get("IS2IN_FUZZ_EXAMPLES", "30"))  # per POST route
REFUSED = {400, 403, 404, 405, 409, 410, 413, 415, 422, 429}
# Rows an answer that refuses may still write: the audit trail of refusals and the sign-in bookkeeping.
MAY_WRITE = {"audit_event", "user_session", "job_run", "migration_history"}
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


# --- the forms the pages show -------------------------------------------------------------------------------


class Forms(HTMLParser):
    """Every POST form of a page (and every htmx ``hx-post``), with its fields and the values offered."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links, self.form, self.select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-post") and tag != "form":
            self.forms.append({"action": a["hx-post"], "fields": {}})
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or ""
            self.form = (
                {"action": action, "fields": {}}
                if (a.get("method", "").lower() == "post" or a.get("hx-post"))
                else None
            )
            if self.form is not None:
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


def _walk(app, client, user, found, budget=40):
    """Follow the links a user sees (GET pages only) and note every form that posts to a route of the app."""
    adapter = app.url_map.bind("localhost")
    start = ["/"] + [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and not r.arguments and not NOT_WALKED.search(r.endpoint) and r.endpoint != "auth.logout"
    ]
    queue, seen = deque(start), set()
    while queue and len(seen) < budget:
        url = queue.popleft()
        path = urlsplit(url).path
        if path in seen:
            continue
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except HTTPException:
            continue
        if NOT_WALKED.search(endpoint):
            continue
        seen.add(path)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or url
            if not action.startswith("/"):
                continue
            try:
                endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
            except HTTPException:
                continue
            found.setdefault(endpoint, {})[(user, action)] = form["fields"]
        for link in parser.links:
            if link.startswith("/") and not link.startswith("//") and urlsplit(link).path not in seen:
                queue.append(link)


# --- the state the forms work on ------------------------------------------------------------------------------


def _world(app, client, auth, make, make_subscription, members):
    """Applications, subscriptions, orders and people to act on; the ids for URLs no page links to."""
    from core.accounts.models import User
    from plugins.subscription import service

    auth.login("issuer@demo.kz")
    journey = Journey(client, auth)
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    Journey(client, auth).create()  # a draft
    auth.logout()
    sub = make_subscription()
    make_subscription(state="draft")
    make_subscription(state="filed")
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


def _submissions(specs):
    @st.composite
    def submission(draw):
        (user, url), fields = draw(st.sampled_from(specs))
        data = {}
        for name, field in fields.items():
            if name == "csrf_token" or not draw(st.integers(0, 9)):  # now and then a field is left out
                continue
            data[name] = draw(_value(field))
        for name, value in draw(st.dictionaries(hostile.extra_names, hostile.hostile_text, max_size=2)).items():
            if name != "csrf_token":
                data.setdefault(name, value)
        return user, url, data

    return submission()


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

    started = time.monotonic()
    found = {}
    for email, browser in clients.items():
        _walk(app, browser, email, found)
    walked = time.monotonic() - started

    pools = _ids(app)
    routes = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.endpoint not in SKIP and app.view_functions[r.endpoint].access.who != "token"
    ]
    failures, posted, refused, from_pages = [], Counter(), Counter(), 0
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
        if not specs:  # no page links here: the URL from ids in the database, no known fields
            specs = [((user, url), {}) for user in allowed[:3] for url in _fill(rule, pools, protected)]
        assert specs, f"nobody may post to {rule.rule}?"

        @hostile.bounded(EXAMPLES)
        @given(_submissions(specs))
        def post(submission):
            user, url, data = submission
            before = _counts(database.db)
            browser = clients[user]
            response = browser.post(url, data=data, headers={"Accept": "text/html"})
            posted[rule.endpoint] += 1
            status = response.status_code
            assert status < 500, f"{status} from {url} as {user}"
            if status in REFUSED:
                refused[rule.endpoint] += 1
                after = _counts(database.db)
                changed = {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}
                assert not changed, f"{status} from {url} as {user}, yet rows changed: {changed}"

        try:
            post()
        except Exception as exc:  # noqa: BLE001 - every route's failure is reported, not just the first
            failures.append(
                f"{rule.rule} ({rule.endpoint}): {type(exc).__name__}: {exc}\n"
                + "".join(traceback.format_exception(exc)[-6:])
            )
    FIGURES["form_posts"] = sum(posted.values())
    record(
        "hostile_forms",
        {
            "post_routes": len(routes),
            "post_routes_found_on_pages": from_pages,
            "inputs_tried": sum(posted.values()),
            "refused_answers_checked_for_partial_writes": sum(refused.values()),
            "walk_seconds": round(walked, 1),
            "examples_per_route": EXAMPLES,
        },
    )
    assert not failures, f"{len(failures)} route(s) failed:\n\n" + "\n\n".join(failures)
    assert from_pages >= len(routes) // 2, "the walk found too few of the forms"
