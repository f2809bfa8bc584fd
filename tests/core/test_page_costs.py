"""Issue #20, the pages: what every page shares is read once. An htmx fragment is rendered without the page's frame
(no menu, no unread count), the menu is built once per process and role set, and a user's roles in an application
are read once per request; the pages show exactly what they showed."""

import datetime
import logging
import re

from flask import g

from core import templating
from core.accounts.models import User
from core.notifications.models import Notification
from core.plugins import collect
from core.workflow import cascade, engine
from core.workflow.models import Application, ApplicationMember, CascadeNode
from tests.plugins.listing.conftest import Listing

HTMX = {"HX-Request": "true"}


class Statements(logging.Handler):
    """The statements peewee sends while it is open (its logger reports each one at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = []

    def emit(self, record):
        self.sql.append(str(record.msg))

    def on(self, table: str) -> list[str]:
        return [s for s in self.sql if f'"{table}"' in s]

    def __enter__(self):
        self.logger = logging.getLogger("peewee")
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)


def _tokenless(html: str) -> str:
    """A page without its CSRF tokens: a token carries the second it was signed, so two loads may differ there."""
    return re.sub(r'(csrf_token" value="|X-CSRFToken": ")[^"]+', r"\1", html)


def _draft_with_a_cascade(client, auth, demo):
    auth.login("issuer@demo.kz")
    journey = Listing(client, auth)
    journey.create()
    Notification.create(user=demo["issuer@demo.kz"], kind="listing.update", message="Непрочитанное")
    return journey, journey.premium_path()[0]


def test_the_cascade_fragment_reads_neither_the_menu_nor_the_notifications(client, auth, demo):
    journey, main = _draft_with_a_cascade(client, auth, demo)
    url = journey.url(f"?stage=additional&cascade=1&level0={main}")
    client.get(url, headers=HTMX)
    with Statements() as seen:
        fragment = client.get(url, headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and "Долговые ценные бумаги" in html
    assert seen.on("notification") == []  # no unread count
    assert seen.on("staff_role") == []
    # the session with its user and company, the company's roles, the application, the user's roles in it (once,
    # not once per check) and the catalogue (one read for all its levels): nothing for the frame of a page (8 before
    # issue #20)
    assert len(seen.sql) == 5, seen.sql
    # the whole page carries the same cascade, and its frame: the menu and the unread count
    with Statements() as whole:
        page = client.get(journey.url(f"?stage=additional&level0={main}")).get_data(as_text=True)
    assert len(whole.on("notification")) == 1
    assert 'class="badge"' in page and 'class="badge"' not in html
    assert "Нормативная база" in page and "Нормативная база" not in html
    assert html.strip() in page


def _menu_by_the_rules(app, user) -> list:
    """The menu as the access rules define it, built afresh for this one user."""
    pm = app.extensions["is2in.pm"]
    if user.is_staff:
        links = list(templating.STAFF_MENU) + collect(pm, "is2in_staff_screens", user=user)
    else:
        links = list(templating.CLIENT_MENU) + collect(pm, "is2in_menu_links", user=user)
    allowed = []
    for link in sorted(links, key=lambda link: link.order):
        rule = getattr(app.view_functions.get(link.endpoint), "access", None)
        if rule is not None and rule.allows(user):
            allowed.append(link)
    return allowed


def test_the_menu_is_built_once_per_role_set_and_is_each_users_own(app, demo, make):
    people = [User.get_by_id(u.id) for u in demo.values()]
    people += [make.staff("listing"), make.staff("trading"), make.staff("admin"), make.user(make.org(roles=()))]
    with app.test_request_context("/"):
        for user in people:
            assert templating.menu_for(app, user) == _menu_by_the_rules(app, user), user.email
        kinds = {templating.role_key(u) for u in people}
        assert len(app.extensions["is2in.menus"]) == len(kinds) < len(people)
        # a route with a predicate of its own (the subscriptions: members, issuers...) is asked per user: a
        # company without those roles shares no menu entry with one that has them
        member = next(u for u in people if "member" in u.organisation.roles)
        bare = people[-1]
        assert "subscription.index" in {link.endpoint for link in templating.menu_for(app, member)}
        assert "subscription.index" not in {link.endpoint for link in templating.menu_for(app, bare)}
        # a company given a role gets the links of that role at once (a new role set, a new menu)
        bare.organisation.set_roles({"member"})
        assert templating.menu_for(app, bare) == _menu_by_the_rules(app, bare)
        assert "subscription.index" in {link.endpoint for link in templating.menu_for(app, bare)}


def test_the_pages_menu_is_the_same_for_two_users_of_one_role_set(client, auth, make):
    org = make.org(roles=("issuer",))
    make.user(org, email="one@example.kz", is_org_admin=True)
    make.user(org, email="two@example.kz", is_org_admin=True)
    menus = []
    for email in ("one@example.kz", "two@example.kz"):
        auth.login(email)
        html = client.get("/applications").get_data(as_text=True)
        menus.append(re.search(r'<nav class="usermenu".*?</nav>', html, re.S).group(0))
        auth.logout()
    assert menus[0] == menus[1] and 'aria-current="page"' in menus[0] and "Пользователи" in menus[0]


def test_the_stage_page_reads_the_users_roles_in_the_application_once(client, auth, demo):
    journey, _main = _draft_with_a_cascade(client, auth, demo)
    client.get(journey.url("?stage=general"))
    with Statements() as seen:
        page = client.get(journey.url("?stage=general"))
    assert page.status_code == 200 and 'name="general-full_name"' in page.get_data(as_text=True)
    assert len(seen.on("application_member")) == 1


def test_a_change_of_the_members_is_seen_within_the_same_request(app, make):
    org = make.org()
    author, colleague = make.user(org), make.user(org)
    application = Application.create(number="L-2026-00001", organisation=org, procedure="listing.shares", author=author)
    ApplicationMember.create(application=application, user=author, role="author")
    with app.test_request_context("/"):
        with Statements() as seen:
            assert engine.member_roles(author, application) == {"author"}
            assert engine.may_view(author, application) and engine.is_initiator(author, application)
        assert len(seen.on("application_member")) == 1
        assert not engine.may_view(colleague, application)
        ApplicationMember.create(application=application, user=colleague, role="consultant")
        engine.forget_member_roles()
        assert engine.member_roles(colleague, application) == {"consultant"}
        assert g.get(engine.MEMBER_ROLES)
    with app.app_context():  # outside a request (a job, a command) nothing is kept
        assert engine.member_roles(author, application) == {"author"}
        assert engine.MEMBER_ROLES not in g


def test_the_lists_show_each_instant_on_the_almaty_calendar_day(client, auth, make):
    """Each day's text is formatted once per page now; an instant late in the UTC evening is still the next day in
    Almaty, and two instants of one Almaty day show the same date."""
    org = make.org(code="ALFA")
    author = make.user(org, email="a@example.kz")
    evening = datetime.datetime(2026, 3, 1, 19, 30)  # 00:30 on 2 March in Almaty
    morning = datetime.datetime(2026, 3, 1, 18, 59)  # 23:59 on 1 March in Almaty
    for number, created, submitted in (("L-2026-00001", evening, evening), ("L-2026-00002", morning, evening)):
        app = Application.create(
            number=number,
            organisation=org,
            procedure="listing.shares",
            author=author,
            status="submitted",
            process="review",
            created_at=created,
            submitted_at=submitted,
        )
        ApplicationMember.create(application=app, user=author, role="author")
    auth.login("a@example.kz")
    html = client.get("/applications?sort=number&dir=asc").get_data(as_text=True)
    first, second = html.split("L-2026-00002")[0].split("L-2026-00001")[1], html.split("L-2026-00002")[1]
    assert first.count("02.03.2026") == 2 and "01.03.2026" not in first
    assert second.index("01.03.2026") < second.index("02.03.2026")  # created the 1st, submitted the 2nd


def test_the_archive_search_of_the_exchange_costs_the_same_queries_for_one_row_or_a_full_page(client, auth, make):
    org = make.org(code="ALFA")
    make.staff("listing", email="listing@example.kz")
    authors = [make.user(org) for _ in range(30)]

    def archived(n):
        app = Application.create(
            number=f"L-2026-{n:05d}",
            organisation=org,
            procedure="listing.shares",
            author=authors[n - 1],
            executor=authors[n - 1],
            status="archived",
            process="review",
            submitted_at=datetime.datetime(2026, 1, 1) + datetime.timedelta(hours=n),
        )
        ApplicationMember.create(application=app, user=authors[n - 1], role="author")

    archived(1)
    auth.login("listing@example.kz")
    url = "/archive?q=alfa"
    client.get(url)
    with Statements() as one:
        assert "L-2026-00001" in client.get(url).get_data(as_text=True)
    for n in range(2, 31):
        archived(n)
    with Statements() as full:
        html = client.get(url).get_data(as_text=True)
    assert "L-2026-00030" in html and "Страница 1 из 2" in html
    assert len(full.sql) == len(one.sql)  # the page's authors and executors in one read, whatever its rows


def _resolved_level_by_level(catalogue, chosen, depth):
    """The cascade as it was read before issue #20: one query per level shown."""
    levels, parent = [], None
    for level in range(depth):
        options = CascadeNode.options(catalogue, parent.id if parent else None)
        if not options:
            break
        raw = chosen[level] if level < len(chosen) else None
        selected = next((o for o in options if str(o.id) == str(raw or "")), None)
        levels.append({"level": level, "options": options, "selected": selected})
        if selected is None:
            break
        parent = selected
    return levels


def _shown(levels):
    return [(lv["level"], [o.id for o in lv["options"]], lv["selected"] and lv["selected"].id) for lv in levels]


def test_the_cascade_is_read_in_one_query_and_resolves_every_path_as_before(app):
    nodes = list(CascadeNode.select().where(CascadeNode.catalogue == "listing"))
    assert nodes  # the catalogue the migrations seed
    by_parent = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    # a branch switched off by the Exchange disappears from the lists, and what was chosen under it is dropped
    off = by_parent[None][0]
    off.is_active = False
    off.save()

    def paths(parent_id, prefix):
        yield prefix
        for child in by_parent.get(parent_id, []):
            yield from paths(child.id, [*prefix, child.id])

    every = list(paths(None, []))
    tampered = [[by_parent[None][-1].id, by_parent[by_parent[None][0].id][0].id], ["x"], [str(nodes[0].id), "", "1"]]
    with app.test_request_context("/"):
        for chosen in every + tampered:
            with Statements() as seen:
                levels = cascade.resolve("listing", chosen, 4)
            assert len(seen.sql) == 1
            assert _shown(levels) == _shown(_resolved_level_by_level("listing", chosen, 4)), chosen


def test_a_signed_in_request_builds_no_sql_for_its_session_roles_or_unread_count(client, auth, demo, monkeypatch):
    """The session's lookup (with its user and company), the company's roles, the staff's departments, the unread
    count and the menu's power-of-attorney check run on every page: their SQL is built once per process
    (core.db.Prepared), so a page's second load builds none of it, and reads the same."""
    import peewee

    auth.login("issuer@demo.kz")
    client.get("/")  # what the sign-in flashes is shown once
    first = client.get("/").get_data(as_text=True)
    built = []
    original = peewee.Context.sql

    def counting(self, obj):
        if isinstance(obj, peewee.Select):
            built.append(obj)
        return original(self, obj)

    monkeypatch.setattr(peewee.Context, "sql", counting)
    with Statements() as seen:
        again = client.get("/").get_data(as_text=True)
    assert _tokenless(again) == _tokenless(first)
    tables = ("user_session", "organisation_role", "staff_role", "power_of_attorney")
    assert [s for s in seen.sql if any(f'"{t}"' in s for t in tables)]  # read, as before...
    assert not [q for q in built if getattr(q, "model", None) and q.model._meta.table_name in tables]  # ...not built


def test_the_stage_page_builds_the_sql_of_its_every_load_reads_once(client, auth, demo, monkeypatch):
    """The application's page reads the application with its company, the user's roles in it, the stages' states,
    the comments, the note in force, the files, the review clock and the last snapshot on every load: that SQL is
    built once per process (core.db.Prepared); the page reads the same."""
    import peewee

    journey, _main = _draft_with_a_cascade(client, auth, demo)
    url = journey.url("")
    client.get(url)
    first = client.get(url).get_data(as_text=True)
    built = []
    original = peewee.Context.sql

    def counting(self, obj):
        if isinstance(obj, peewee.Select) and getattr(obj, "model", None):
            built.append(obj.model._meta.table_name)
        return original(self, obj)

    monkeypatch.setattr(peewee.Context, "sql", counting)
    again = client.get(url).get_data(as_text=True)
    assert _tokenless(again) == _tokenless(first)
    every_load = {"application", "application_member", "stage_state", "comment", "transition", "attachment"}
    assert "stage-form" in first  # a stage of forms: what they saved is read on every load too
    every_load |= {"form_data"}
    assert not set(built) & (every_load | {"clock_event", "snapshot", "calendar_day", "user_session"}), built


def test_the_menus_labels_are_kept_per_language_and_follow_the_readers_switch(client, auth, demo):
    """The menu's labels are translated once per process, role set and language (core.templating.shown_menu):
    switching the language shows the other language's labels, and switching back the first's."""
    auth.login("issuer@demo.kz")
    assert "Нормативная база" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert "Regulations" in english and "Нормативная база" not in english
    client.post("/language", data={"lang": "kk", "next": "/"})
    assert "Нормативтік база" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "ru", "next": "/"})
    assert "Нормативная база" in client.get("/").get_data(as_text=True)


def test_the_templates_url_for_remembers_addresses_and_builds_each_as_flask_does(app):
    """core.web.memo_url_for: the same address as Flask's url_for, whatever the app's mount point, the values'
    types (1 and True are equal keys) or a blueprint-relative endpoint; a build error is still raised."""
    import pytest
    from flask import url_for
    from werkzeug.routing import BuildError

    memo = app.jinja_env.globals["url_for"]
    cases = [
        ("workflow.application", {"app_id": 5, "stage": "general"}),
        ("workflow.application", {"app_id": 5, "stage": "a b&c/ä"}),
        ("workflow.application", {"app_id": 5, "stage": "s", "page": 2}),
        ("workflow.application", {"app_id": 5, "page": 2, "stage": "s"}),
        ("workflow.application", {"app_id": True}),
        ("workflow.application", {"app_id": 1}),
        ("static", {"filename": "is2in.css"}),
        ("workflow.application", {"app_id": 5, "_anchor": "x y"}),
        ("workflow.application", {"app_id": 5, "page": [1, 2]}),
    ]
    for root in ("", "/portal", ""):
        with app.test_request_context("/applications", base_url=f"http://localhost{root}"):
            for endpoint, values in cases:
                for _ in range(2):
                    assert memo(endpoint, **values) == url_for(endpoint, **values)
    with app.test_request_context("/applications/5"):
        app.preprocess_request()
        assert memo(".application", app_id=5) == url_for(".application", app_id=5) == "/applications/5"
    with app.test_request_context("/"):
        assert memo("workflow.application", app_id=1) == "/applications/1"
        with pytest.raises(BuildError):
            memo("workflow.application")
        with pytest.raises(BuildError):
            memo("workflow.no_such_page", app_id=1)


def test_the_date_filters_write_what_babel_writes_in_each_language(app):
    """The ``d`` and ``dt`` filters keep what they wrote per value, pattern, language and zone (core.templating):
    the same text as Babel's, in every language, for dates and instants, before and after a switch."""
    from flask import session
    from flask_babel import format_date, format_datetime, refresh

    d, dt = app.jinja_env.filters["d"], app.jinja_env.filters["dt"]
    day = datetime.date(2026, 3, 8)
    moment = datetime.datetime(2026, 3, 8, 20, 30)  # UTC: the next day in Almaty
    with app.test_request_context("/"):
        for lang in ("ru", "kk", "en", "ru"):
            session["lang"] = lang
            refresh()
            for _ in range(2):
                assert d(day) == format_date(day, "dd.MM.yyyy") and d(None) == ""
                assert d(moment) == format_date(moment, "dd.MM.yyyy") == "09.03.2026"
                assert dt(moment) == format_datetime(moment, "dd.MM.yyyy HH:mm")
                assert d(day, "d MMMM yyyy") == format_date(day, "d MMMM yyyy")


def test_the_clients_active_list_builds_no_sql_for_its_count_and_page(client, auth, demo, monkeypatch):
    """«На рассмотрении» counts its applications and chooses its page's ids in SQL built once per process
    (lists.CLIENT_ACTIVE), in each order; a search still builds its own; the page reads the same."""
    import peewee

    _draft_with_a_cascade(client, auth, demo)
    for url in ("/applications", "/applications?sort=number&dir=asc", "/applications?q=L"):
        client.get(url)
        first = client.get(url).get_data(as_text=True)
        built = []
        original = peewee.Context.sql

        def counting(self, obj, built=built, original=original):
            if isinstance(obj, peewee.Select) and getattr(obj, "model", None):
                built.append(obj.model._meta.table_name)
            return original(self, obj)

        monkeypatch.setattr(peewee.Context, "sql", counting)
        again = client.get(url).get_data(as_text=True)
        monkeypatch.undo()
        assert _tokenless(again) == _tokenless(first) and "<table" in again
        assert ("application" in built) == ("q=" in url), (url, built)
