"""The lists' search from indexes and the inbox's statuses by name (issue 20, migrations 0023 and 0024): the same
applications, in the same order, with the same counts as the conditions they replace, for staff and for clients, on
SQLite (with its trigram index of numbers) and on PostgreSQL."""

import datetime
import re

import peewee
import pytest

from core import clock
from core import db as database
from core.accounts.models import User
from core.db import utcnow
from core.workflow import lists, reviewclock
from core.workflow.models import Application, ApplicationMember

from .test_pages_lists import Queries

# What people type: companies' codes whole and in part, in any case, Cyrillic, numbers whole and in part, procedures'
# codes, LIKE's wildcards and its escape, one or two letters (too short for a trigram), nothing that matches.
SEARCHES = (
    "ALFA", "alfa", "Alf", "lf", "A", "a", "БЕТА", "бета", "Бе", "е", "GAMMA", "gam", "A_B", "a_b", "_", "%", "\\",
    "K%1", "L-2026-00001", "l-2026-0000", "2026", "-2026-", "00012", "Б-2026", "б-2026-0", "L_2026", "listing",
    "LISTING.BONDS", "bonds", "delist", "gone", "nonlisting.adm", ".", "-", "zzz", "ЖЖЖ", "ə", "İ",
)  # fmt: skip

SORTS = ("created", "number", "status", "submitted", "deadline")


def _old_search(q):
    """The lists' search as it was before issue 20's indexes (a condition on each application)."""
    return lists._search(q)


@pytest.fixture()
def varied(make):
    """Five companies (one with LIKE's wildcard in its code), numbers in two alphabets and with an underscore,
    installed procedures and one no longer installed, every status (one no procedure of ours uses), drafts never
    sent, deadlines and stopped clocks; a client who takes part in some of another company's applications."""
    codes = ("ALFA", "БЕТА", "GAMMA", "A_B", "K%1")
    orgs = [make.org(code=code) for code in codes]
    authors = [make.user(org, email=f"author{i}@example.kz") for i, org in enumerate(orgs)]
    procedures = ("listing.shares", "listing.bonds", "listing.delisting", "nonlisting.admission", "gone.procedure")
    statuses = ("archived", "archived", "archived", "submitted", "revision", "withdrawn", "signing", "odd_status")
    prefixes = ("L-2026-", "Б-2026-", "L_2026_", "LD-2026-")
    today = datetime.date.today()
    start = utcnow() - datetime.timedelta(days=200)
    apps = []
    for n in range(1, 121):
        org = orgs[n % len(orgs)]
        status = statuses[n % len(statuses)]
        draft = n % 11 == 0
        app = Application.create(
            number=f"{prefixes[n % len(prefixes)]}{n:05d}",
            organisation=org,
            procedure=procedures[n % len(procedures)],
            status="draft" if draft else status,
            author=authors[n % len(orgs)],
            process="review",
            created_at=start + datetime.timedelta(days=n % 37, hours=n),  # some days shared: the id breaks ties
            submitted_at=None if draft else start + datetime.timedelta(days=n % 23),
            deadline=None if n % 5 == 0 else today + datetime.timedelta(days=(n * 7) % 41 - 20),
            clock_left=(n % 4) - 1 if n % 6 == 0 else None,
            # a procedure no longer installed is shown by its code; its row names a person as executor (the
            # executor's label of a department needs the procedure's definition, a page error as before)
            executor=authors[n % len(orgs)] if n % len(procedures) == 4 else None,
        )
        ApplicationMember.create(application=app, user=authors[n % len(orgs)], role="author")
        apps.append(app)
    # the client of ALFA also executes some of GAMMA's applications: those, and only those, are its too
    for app in apps:
        if app.organisation_id == orgs[2].id and app.id % 3 == 0:
            ApplicationMember.create(application=app, user=authors[0], role="executor")
    return {"orgs": orgs, "authors": authors, "apps": apps}


def _numbers(html):
    return re.findall(r'<td data-label="Номер">([^<]*)</td>', html)


def _expected(query, sort, desc, page=1):
    column = lists.SORTS[sort]
    ordered = query.order_by(column.desc() if desc else column.asc(), Application.id.desc())
    total = query.count()
    numbers = [a.number for a in ordered.paginate(page, 25)]
    return numbers, total


def _escape(number):
    return number.replace("&", "&amp;").replace("<", "&lt;")


@pytest.mark.parametrize("q", SEARCHES)
def test_the_search_finds_from_indexes_exactly_what_its_condition_finds(app, varied, q):
    found = {i for (i,) in Application.select(lists.SQL('"found"."id"')).from_(_aliased(q)).tuples()}
    expected = {i for (i,) in Application.select(Application.id).where(_old_search(q)).tuples()}
    assert found == expected


@pytest.mark.parametrize("q", ("ALFA", "L-2026-00001", "2026", "б-2026"))
def test_without_the_trigram_index_the_search_reads_the_numbers(app, varied, monkeypatch, q):
    """An SQLite without FTS5's trigram tokenizer (before 3.34) has no index of numbers (migration 0024 skips it):
    the search reads the numbers and finds the same."""
    monkeypatch.setattr(lists, "_trigrams", lambda database: False)
    found = {i for (i,) in Application.select(lists.SQL('"found"."id"')).from_(_aliased(q)).tuples()}
    assert found == {i for (i,) in Application.select(Application.id).where(_old_search(q)).tuples()}
    assert "application_number_search" not in lists._found(q).sql


def _aliased(q):
    return lists.NodeList((lists._found(q), lists.SQL('AS "found"')))


def test_the_archive_and_its_search_show_the_same_rows_in_the_same_order_as_before(client, auth, make, varied):
    """For the Exchange's staff (every company's archive) and for a client (only what it takes part in), each search
    and each sort: the page's numbers in order, and the count of pages, are those of the conditions replaced."""
    make.staff("listing", email="listing@example.kz")
    for email in ("listing@example.kz", "author0@example.kz"):
        auth.login(email)
        user = User.get(User.email == email)
        for q in ("",) + SEARCHES:
            for sort in SORTS:
                for desc in (True, False):
                    base = Application.archived_for(user)
                    query = base.where(_old_search(q)) if q else base
                    numbers, total = _expected(query, sort, desc)
                    html = client.get(
                        "/archive", query_string={"q": q, "sort": sort, "dir": "desc" if desc else "asc"}
                    ).get_data(as_text=True)
                    assert _numbers(html) == [_escape(n) for n in numbers], (email, q, sort, desc)
                    pages = -(-total // 25)
                    assert (f"Страница 1 из {pages}" in html) == (pages > 1), (email, q, sort, desc)
        auth.logout()


def test_the_inbox_shows_every_unfinished_status_and_counts_as_before(app, client, auth, make, varied):
    """The inbox asks for the statuses present by name: a status no procedure of ours uses still shows; archived and
    withdrawn never do; rows, order and count are those of ``status NOT IN ('archived', 'withdrawn')``."""
    make.staff("listing", email="listing@example.kz")
    auth.login("listing@example.kz")
    versions = app.extensions["is2in.procedure_versions"]
    codes = {code for (code, _v), p in versions.items() if p.department == "listing"}
    old = Application.select().where(
        Application.submitted_at.is_null(False)
        & Application.status.not_in(("archived", "withdrawn"))
        & Application.procedure.in_(codes)
    )
    assert old.where(Application.status == "odd_status").count()  # the dataset has the odd status in the inbox
    for q in ("", "ALFA", "2026", "bonds", "б-2026"):
        for sort in SORTS:
            query = old.where(_old_search(q)) if q else old
            numbers, total = _expected(query, sort, True)
            html = client.get("/staff/inbox", query_string={"department": "listing", "q": q, "sort": sort}).get_data(
                as_text=True
            )
            assert _numbers(html) == [_escape(n) for n in numbers], (q, sort)
            pages = -(-total // 25)
            assert (f"Страница 1 из {pages}" in html) == (pages > 1), (q, sort)
    # the default sort, by the working days left (a CASE over the stopped clocks), and the overdue filter
    # the sort as it was: CASE clock_left WHEN <count> THEN <the date it would end restarted today> ... ELSE deadline
    counts = {a.clock_left for a in Application.select(Application.clock_left) if a.clock_left is not None}
    today = clock.today()
    key = peewee.Case(Application.clock_left, [(n, reviewclock.shift(today, n)) for n in counts], Application.deadline)
    expected = [a.number for a in old.order_by(key.asc(), Application.id.desc()).limit(25)]
    html = client.get("/staff/inbox?department=listing").get_data(as_text=True)
    assert _numbers(html) == [_escape(n) for n in expected]
    assert set(lists.present_statuses()) == {a.status for a in Application.select(Application.status)}


def test_the_number_index_follows_every_insert_change_and_delete(client, auth, make):
    """Migration 0024's triggers keep SQLite's trigram index of numbers with the applications, in the same
    transaction: a new number is found at once, a changed one by its new number only, a deleted one no more."""
    org = make.org(code="ALFA")
    author = make.user(org)
    make.staff("listing", email="listing@example.kz")
    auth.login("listing@example.kz")

    def found(q):
        html = client.get("/archive", query_string={"q": q}).get_data(as_text=True)
        return _numbers(html)

    app = Application.create(
        number="QX-2026-00077",
        organisation=org,
        procedure="listing.shares",
        status="archived",
        author=author,
        process="review",
        submitted_at=utcnow(),
    )
    assert found("qx-2026-000") == ["QX-2026-00077"]
    Application.update(number="QY-2026-00078").where(Application.id == app.id).execute()
    assert found("QX-2026") == [] and found("qy-2026-00078") == ["QY-2026-00078"]
    Application.delete().where(Application.id == app.id).execute()
    assert found("QY-2026") == []
    if isinstance(database.db.obj, peewee.SqliteDatabase):
        count = database.db.execute_sql(
            """SELECT COUNT(*) FROM "application_number_search" WHERE "number" LIKE '%QY-2026%'"""
        ).fetchone()[0]
        assert count == 0


def test_the_archive_search_costs_the_same_queries_whatever_is_typed(client, auth, make, varied):
    """The search's union is one subquery of the count and of the page, whether a trigram index serves it or not."""
    make.staff("listing", email="listing@example.kz")
    auth.login("listing@example.kz")
    client.get("/archive?q=ALFA")  # the first search of a process looks once for the trigram index
    counts = set()
    for q in ("ALFA", "al", "бета", "a_b", "2026-0000", "bonds"):  # each finds some: an empty list reads no rows
        with Queries() as counted:
            assert client.get("/archive", query_string={"q": q}).status_code == 200
        counts.add(counted.count)
    assert len(counts) == 1


def test_the_lists_search_indexes_exist_after_the_migrations(app):
    connection = database.db.obj
    names = {index.name for index in connection.get_indexes("application")}
    assert {"application_inbox_lists", "application_inbox_process"} <= names  # migration 0023
    assert not {"application_inbox", "application_inbox_left"} & names  # replaced by it
    if isinstance(connection, peewee.SqliteDatabase):  # migration 0024: SQLite only
        tables = {row[0] for row in connection.execute_sql("SELECT name FROM sqlite_master").fetchall()}
        assert {
            "application_number_search",
            "application_number_search_insert",
            "application_number_search_update",
            "application_number_search_delete",
        } <= tables


def test_a_searchs_later_pages_and_a_page_past_the_end_show_what_they_showed(client, auth, make, varied):
    """A search's page carries its count (COUNT(*) OVER ()); a page past the end still shows the last page, and
    an empty search its empty list, as the count asked apart showed them."""
    make.staff("listing", email="listing@example.kz")
    auth.login("listing@example.kz")
    user = User.get(User.email == "listing@example.kz")
    for q in ("2026", "a", "listing", "zzz"):
        query = Application.archived_for(user).where(_old_search(q))
        total = query.count()
        pages = max(1, -(-total // 25))
        for page in (1, 2, 99):
            shown = min(page, pages)
            numbers, _total = _expected(query, "created", True, shown)
            html = client.get("/archive", query_string={"q": q, "page": page}).get_data(as_text=True)
            assert _numbers(html) == [_escape(n) for n in numbers], (q, page)
            if pages > 1:
                assert f"Страница {shown} из {pages}" in html, (q, page)
            elif not total:
                assert "В архиве пока нет заявлений" in html, (q, page)
