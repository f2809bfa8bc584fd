"""The lists and the application page at size (issue #8): a fixed number of queries whatever the page holds, the
search and the deadlines exactly as before, nothing of another organisation, and the indexes the lists use."""

import datetime
import logging

import pytest

from core import db as database
from core.db import utcnow
from core.workdays import working_days_between
from core.workdays.models import CalendarDay
from core.workflow import engine
from core.workflow.models import Application, ApplicationMember


class Queries(logging.Handler):
    """Counts the statements peewee sends (its logger reports each one at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        self.count += 1

    def __enter__(self):
        self.logger = logging.getLogger("peewee")
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)


def _queries(client, url, **kwargs):
    with Queries() as counted:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return counted.count, response.get_data(as_text=True)


def _application(org, author, number, status="submitted", process="review", **fields):
    app = Application.create(
        number=number,
        organisation=org,
        procedure=fields.pop("procedure", "listing.shares"),
        status=status,
        author=author,
        process=process,
        submitted_at=fields.pop("submitted_at", utcnow()),
        **fields,
    )
    ApplicationMember.create(application=app, user=author, role="author")
    return app


def _people(make, n):
    org = make.org(code="ALFA")
    return org, [make.user(org, email=f"a{i}@example.kz", last_name=f"Автор{i}") for i in range(n)]


@pytest.mark.parametrize("url", ["/applications", "/archive"])
def test_a_clients_list_costs_the_same_queries_for_one_row_or_a_full_page(client, auth, make, url):
    org, authors = _people(make, 1)
    status = "archived" if url == "/archive" else "submitted"
    _application(org, authors[0], "L-2026-00001", status=status)
    auth.login("a0@example.kz")
    one, html = _queries(client, url)
    assert "L-2026-00001" in html
    for n in range(2, 31):
        colleague = make.user(org, email=f"c{n}@example.kz")
        app = _application(org, colleague, f"L-2026-{n:05d}", status=status, executor=colleague)
        ApplicationMember.create(application=app, user=authors[0], role="executor")
    full, html = _queries(client, url)
    assert "L-2026-00030" in html and "Страница 1 из 2" in html
    assert full == one  # no query per row: procedures, authors and executors are read once per page


def test_the_inbox_costs_the_same_queries_for_any_number_of_rows_and_deadlines(client, auth, make):
    org, authors = _people(make, 1)
    make.staff("listing", email="listing@example.kz")
    today = engine.today()
    _application(org, authors[0], "L-2026-00001", deadline=today + datetime.timedelta(days=3))
    auth.login("listing@example.kz")
    _queries(client, "/staff/inbox?department=listing")  # the process's first request builds its calendar
    one, _html = _queries(client, "/staff/inbox?department=listing")
    for n in range(2, 31):
        _application(org, authors[0], f"L-2026-{n:05d}", deadline=today + datetime.timedelta(days=n - 15))
    full, html = _queries(client, "/staff/inbox?department=listing")
    assert "L-2026-00002" in html  # the inbox opens with the fewest working days left: the most overdue first
    assert full == one  # the calendar is read once for all the page's deadlines


def test_the_inbox_counts_working_days_to_each_deadline_as_the_calendar_says(client, auth, make):
    org, authors = _people(make, 1)
    make.staff("listing", email="listing@example.kz")
    today = engine.today()
    # a transferred day off and a working Saturday inside the span the page covers
    CalendarDay.create(date=today + datetime.timedelta(days=4), working=False, note="перенос")
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 + 7)
    CalendarDay.create(date=saturday, working=True, note="рабочая суббота")
    deadlines = [today + datetime.timedelta(days=d) for d in (-20, -3, -1, 0, 1, 4, 9, 16, 40)]
    for n, deadline in enumerate(deadlines):
        _application(org, authors[0], f"L-2026-{n:05d}", deadline=deadline)
    auth.login("listing@example.kz")
    html = client.get("/staff/inbox?department=listing&sort=deadline&dir=asc").get_data(as_text=True)
    shown = []
    for deadline in deadlines:
        left = working_days_between(today, deadline)
        note = f"осталось раб. дней: {left}" if left >= 0 else f"просрочено на {-left} раб. дн."
        css = "status status-failed" if left < 0 else "muted"
        shown.append(html.index(f'{deadline:%d.%m.%Y}</span><br><span class="{css}">{note}</span>'))
    assert shown == sorted(shown)


def test_search_finds_the_number_the_procedure_and_the_company_in_any_case(client, auth, make):
    org = make.org(code="ALFA")
    other = make.org(code="БЕТА")
    make.staff("listing", email="listing@example.kz")
    author = make.user(org)
    _application(org, author, "L-2026-00001", status="archived")
    _application(org, author, "L-2026-00002", status="archived", procedure="listing.bonds")
    _application(other, make.user(other), "LD-2026-00003", status="archived", procedure="listing.delisting")
    _application(org, author, "L-2026-00004", status="submitted")  # not archived: never in the archive
    auth.login("listing@example.kz")

    def found(q):
        html = client.get("/archive", query_string={"q": q}).get_data(as_text=True)
        return {n for n in ("L-2026-00001", "L-2026-00002", "LD-2026-00003", "L-2026-00004") if n in html}

    assert found("alfa") == {"L-2026-00001", "L-2026-00002"}  # the company's code, any case
    assert found("l-2026-00001") == {"L-2026-00001"}  # the number
    assert found("BONDS") == {"L-2026-00002"}  # the procedure's code
    assert found("бета") == {"LD-2026-00003"}  # Cyrillic folds too
    assert found("LD-") == {"LD-2026-00003"}
    assert found("%") == set() and found("_") == set()  # wildcards are searched for, not obeyed
    assert found("nothing") == set()


def test_a_client_never_sees_another_organisations_applications_in_a_list_or_a_search(client, auth, make):
    mine, theirs = make.org(code="MINE"), make.org(code="THEIRS")
    me = make.user(mine, email="me@example.kz")
    _application(mine, me, "L-2026-00001")
    _application(theirs, make.user(theirs), "L-2026-00002")
    _application(theirs, make.user(theirs), "L-2026-00003", status="archived")
    auth.login("me@example.kz")
    for url in ("/applications", "/applications?q=THEIRS", "/applications?q=L-2026", "/archive?q=THEIRS"):
        html = client.get(url).get_data(as_text=True)
        assert "L-2026-00002" not in html and "L-2026-00003" not in html, url
    assert "L-2026-00001" in client.get("/applications?q=mine").get_data(as_text=True)


def test_the_pager_counts_every_match_and_a_page_past_the_end_shows_the_last(client, auth, make):
    org, authors = _people(make, 1)
    for n in range(60):
        _application(org, authors[0], f"L-2026-{n:05d}")
    auth.login("a0@example.kz")
    html = client.get("/applications?page=99&sort=number&dir=asc").get_data(as_text=True)
    assert "Страница 3 из 3" in html and "L-2026-00059" in html and "L-2026-00049" not in html
    html = client.get("/applications?page=2&sort=number&dir=desc").get_data(as_text=True)
    assert "Страница 2 из 3" in html and "L-2026-00034" in html and "L-2026-00035" not in html


def test_the_lists_indexes_exist_after_the_migrations(app):
    connection = database.db.obj
    names = {index.name for index in connection.get_indexes("application")}
    assert {"application_status_created_at", "application_search_count"} <= names
    assert "application_clock_left" in names  # the inbox's sort (migration 0022)
    assert "application_inbox_lists" in names  # the inbox's statuses and sorts (0023, replacing 0012's and 0022's)
    assert "auditevent_object_type_object_id" in {index.name for index in connection.get_indexes("audit_event")}


def test_the_lists_labels_follow_the_readers_language(client, auth, make):
    """The labels a list shows are kept per language: switching the language switches them."""
    org, authors = _people(make, 1)
    _application(org, authors[0], "L-2026-00001")
    auth.login("a0@example.kz")
    assert "Включение акций в официальный список" in client.get("/applications").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/applications"})
    english = client.get("/applications").get_data(as_text=True)
    assert "Inclusion of shares in the official list" in english and "Under review" in english
    assert "Включение акций в официальный список" not in english
    client.post("/language", data={"lang": "ru", "next": "/applications"})
    assert "Включение акций в официальный список" in client.get("/applications").get_data(as_text=True)


def test_a_lists_company_code_is_titled_with_the_companys_name(client, auth, make):
    """Each row's company code carries the company's name as its title (the lists read the name with the row, issue
    #20): not «None «None»» as when only the code was read."""
    org, authors = _people(make, 1)
    make.staff("listing", email="listing@example.kz")
    _application(org, authors[0], "L-2026-00001")
    auth.login("listing@example.kz")
    _count, html = _queries(client, "/staff/inbox?department=listing")
    assert f'<abbr title="{org.display_name}">ALFA</abbr>' in html
    assert "None" not in org.display_name


def test_a_pages_rows_come_in_the_lists_order_whichever_way_it_is_sorted(client, auth, make):
    """The page's ids are chosen in order and its rows read by id (issue #20): the rows keep the order chosen."""
    import re

    org, authors = _people(make, 1)
    for n in (3, 1, 4, 5, 2):
        _application(org, authors[0], f"L-2026-{n:05d}")
    auth.login("a0@example.kz")
    for direction, expected in (("asc", [1, 2, 3, 4, 5]), ("desc", [5, 4, 3, 2, 1])):
        html = client.get(f"/applications?sort=number&dir={direction}").get_data(as_text=True)
        shown = [int(n) for n in re.findall(r"<td data-label=\"[^\"]+\">L-2026-(\d{5})</td>", html)]
        assert shown == expected, direction
