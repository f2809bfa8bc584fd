"""The lists of applications (G-9.4..G-9.6): the client's "На рассмотрении" and "Анкеты", the archive with its
search, and the Exchange's inbox. Their routes are on the workflow blueprint (``core.workflow.views.bp``), so their
endpoints stay ``workflow.active``, ``workflow.archive``, ``workflow.inbox``...; they live apart from the application's
page because they share their own machinery (search, a page of rows read in four queries, labels kept per language)
and nothing else."""

import datetime

from flask import abort, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import OP, SQL, Expression, NodeList, Select, SqliteDatabase, Table, Value, fn

from core import clock
from core.access import client_required, login_required, staff_required
from core.accounts.models import DEPARTMENTS, Organisation, User
from core.db import Prepared, Slot, db, matches
from core.pagination import Page
from core.web import render
from core.workdays import days_left
from core.workflow import engine, reviewclock
from core.workflow.models import STATUSES, Application, ApplicationMember, Questionnaire
from core.workflow.views import bp

SORTS = {
    "number": Application.number,
    "created": Application.created_at,
    "submitted": Application.submitted_at,
    "status": Application.status,
    "deadline": Application.deadline,
}


def _icontains(column, text: str):
    """``matches`` (case-insensitive, Cyrillic and Kazakh letters folded too) at the database's own speed where it
    can be: ASCII text needs no folding beyond what LIKE (SQLite) and ILIKE (PostgreSQL) do themselves, whereas
    ``matches`` on SQLite calls a Python ``lower()`` for every row it looks at (a scan of the archive cost 50 ms)."""
    return column.contains(text) if text.isascii() else matches(column, text)


def _search(q: str):
    """The lists' search as a condition: the number, the procedure's code or the company's code contains ``q``.
    Companies are matched in their own small table, so the applications are never joined to them just to be
    filtered. ``_found`` finds the same applications from indexes; this is what they must equal (the tests compare)."""
    companies = Organisation.select(Organisation.id).where(_icontains(Organisation.code, q))
    return (
        _icontains(Application.number, q)
        | _icontains(Application.procedure, q)
        | Application.organisation.in_(companies)
    )


def _present(column):
    """The distinct values of an indexed column of the applications, one seek of its index each (a loose index scan:
    each step asks for the least value above the last; SQLite and PostgreSQL answer it from the index in microseconds
    where a DISTINCT reads all 20,000 entries). As a query with one column, ``value``."""
    inner = Application.alias("present_step")
    step_column = getattr(inner, column.name)
    seed = Application.select(fn.MIN(column)).cte("present", recursive=True, columns=("value",))
    step = Select((seed,), (inner.select(fn.MIN(step_column)).where(step_column > seed.c.value),)).where(
        seed.c.value.is_null(False)
    )
    present = seed.union_all(step)
    return present.select_from(present.c.value).where(present.c.value.is_null(False)), present.c.value


def _contains(column, ascii: bool, escaped: bool):
    """``_icontains(column, q)`` with its pattern as the slot ``pattern``: what peewee builds for it (``contains``: an
    ILIKE, which it writes LIKE on SQLite; ``matches``: the same of LOWER(column)), ESCAPE included where peewee
    includes it (when ``q`` has LIKE's wildcards or the escape itself, which ``_pattern`` escapes as peewee does)."""
    pattern = Slot("pattern")
    if escaped:
        pattern = NodeList((pattern, SQL("ESCAPE"), Value("\\", converter=False)))
    return Expression(column if ascii else fn.LOWER(column), OP.ILIKE, pattern)


def _pattern(q: str) -> str:
    """The LIKE pattern peewee's ``contains`` builds for ``q`` (``ColumnBase._escape_like_expr``), lowered where
    ``matches`` lowers it."""
    text = q if q.isascii() else q.lower()
    return "%" + text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def _found_query(trigram: bool, ascii: bool, escaped: bool):
    """The ids the search finds, from indexes: those whose number contains ``q``, those of the procedures present
    whose code contains it (the procedure index, seek by seek: ``_present``) and those of the companies whose code
    contains it (the company index); ``_search``'s condition as a union that reads only what matches.

    The number: with ``trigram`` (SQLite, three ASCII letters or more and no LIKE wildcard), the candidates that
    migration 0024's trigram index (FTS5, case folded) finds, each checked with the lists' own condition; else the
    condition alone (PostgreSQL; what a trigram cannot find; letters beyond ASCII, which the index folds otherwise
    than ``matches``). The index only narrows what is checked, so the result is the same."""
    by_number = Application.alias("found_number")
    by_procedure = Application.alias("found_procedure")
    by_company = Application.alias("found_company")
    number = _contains(by_number.number, ascii, escaped)
    if trigram:
        trigrams = Table("application_number_search", ("rowid", "number"))
        candidates = trigrams.select(trigrams.rowid).where(Expression(trigrams.number, OP.ILIKE, Slot("trigrams")))
        number = by_number.id.in_(candidates) & number
    procedures, value = _present(Application.procedure)
    companies = Organisation.select(Organisation.id).where(_contains(Organisation.code, ascii, escaped))
    return (
        by_number.select(by_number.id).where(number)
        | by_procedure.select(by_procedure.id).where(
            by_procedure.procedure.in_(procedures.where(_contains(value, ascii, escaped)))
        )
        | by_company.select(by_company.id).where(by_company.organisation.in_(companies))
    )


_FOUND: dict = {}
_TRIGRAMS: dict = {}


def _trigrams(database) -> bool:
    """Whether ``database`` has migration 0024's trigram index of numbers (SQLite with FTS5's trigram tokenizer),
    looked up once per database file."""
    if not isinstance(database, SqliteDatabase):
        return False
    found = _TRIGRAMS.get(database.database)
    if found is None:
        found = _TRIGRAMS[database.database] = "application_number_search" in database.get_tables()
    return found


def _found(q: str):
    """``_found_query`` for ``q`` as SQL built once per process and shape (peewee built this union's SQL twice a
    page, a millisecond each, more than the database took to answer it), in parentheses, to read as a table."""
    database = db.obj
    ascii = q.isascii()
    escaped = bool(set(q) & set("%_\\"))
    trigram = len(q) >= 3 and ascii and not escaped and _trigrams(database)
    key = (trigram, ascii, escaped)
    prepared = _FOUND.get(key)
    if prepared is None:
        prepared = _FOUND[key] = Prepared(lambda: _found_query(trigram, ascii, escaped))
    sql, args = prepared.statement(database, pattern=_pattern(q), trigrams=f"%{q}%")
    return SQL(f"({sql})", args)


# What a row of the lists shows: the applications' long texts (the decision) never leave the database for them.
LIST_COLUMNS = (
    Application.id,
    Application.number,
    Application.organisation,
    Application.procedure,
    Application.procedure_version,
    Application.process,
    Application.status,
    Application.author,
    Application.executor,
    Application.created_at,
    Application.submitted_at,
    Application.deadline,
    Application.clock_left,
)


# What a row shows of the company: its code, and its name (the code's title) as the reader's language writes it.
COMPANY_COLUMNS = (
    Organisation.id,
    Organisation.code,
    Organisation.legal_form,
    Organisation.name_ru,
    Organisation.name_kk,
    Organisation.name_en,
)


class PreparedList:
    """A list's count and its page of ids in SQL built once per process (``core.db.Prepared``), for a list whose
    query has one shape whatever the user (the user a ``Slot``): peewee built both anew on every load, a quarter of
    "На рассмотрении"'s CPU. ``build`` returns the list's applications (no join) with its slots; a page's ids are
    prepared once per sort and direction."""

    def __init__(self, build):
        self._build = build
        self._count = Prepared(lambda: build().select(fn.COUNT(Application.id)).tuples())
        self._ids = {}

    def count(self, **slots) -> int:
        return self._count.first(**slots)[0]

    def ids(self, key, ordering, number, per_page, **slots) -> list:
        prepared = self._ids.get(key)
        if prepared is None:
            prepared = self._ids[key] = Prepared(
                lambda: (
                    self._build()
                    .select(Application.id)
                    .order_by(*ordering)
                    .limit(Slot("limit"))
                    .offset(Slot("offset"))
                    .tuples()
                )
            )
        return [i for (i,) in prepared.rows(limit=per_page, offset=(number - 1) * per_page, **slots)]


def _client_active():
    """``Application.active_for`` a client, the user a slot (the test compares the two)."""
    mine = ApplicationMember.select(ApplicationMember.application).where(ApplicationMember.user == Slot("user"))
    return (
        Application.select().where(Application.id.in_(mine)).where(Application.status.not_in(("archived", "withdrawn")))
    )


CLIENT_ACTIVE = PreparedList(_client_active)


def _page_of(query, ordering, per_page=25, searched=False, prepared=None) -> Page:
    """``paginate`` for the lists: the total is counted on the applications alone (no join), the page's ids are
    chosen by a query that the indexes of migrations 0012 and 0023 answer without reading the rows, and only those
    rows are read, with their companies: the database sorts ids and dates, not whole joined rows. ``prepared``
    (a ``PreparedList``, its ordering's key and its slots) counts and chooses them in prepared SQL instead.

    A search's matches are found (``_found``) and sorted whole whatever is counted, so its page carries the count
    (COUNT(*) OVER (): the matches are found once, not twice); the count is asked apart only for a page past the end,
    which then shows the last, as a list's does."""
    try:
        number = max(1, int(request.args.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    ids = None
    if searched:
        rows = list(
            query.select(Application.id, fn.COUNT(1).over()).order_by(*ordering).paginate(number, per_page).tuples()
        )
        if rows or number == 1:
            ids, total = [i for i, _total in rows], (rows[0][1] if rows else 0)
    if ids is None:
        total = prepared[0].count(**prepared[2]) if prepared else query.count()
        number = min(number, max(1, -(-total // per_page)))
        if not total:
            return Page([], number, per_page, total)
        if prepared:
            listing, key, slots = prepared
            ids = listing.ids(key, ordering, number, per_page, **slots)
        else:
            ids = [i for (i,) in query.select(Application.id).order_by(*ordering).paginate(number, per_page).tuples()]
    if not ids:
        return Page([], number, per_page, total)
    # the rows of those ids, put in their order here: a prepared read (its SQL built once per process) that neither
    # carries the sort's expression again nor sorts again
    slots = {f"id{n}": ids[n] if n < len(ids) else None for n in range(per_page)}
    found = {row.id: row for row in _rows_of(per_page).rows(**slots)}
    return Page([found[i] for i in ids if i in found], number, per_page, total)


_PAGES: dict = {}

# The names of a page's authors and executors (two a row at most, 50 slots), its SQL built once per process.
_PEOPLE = Prepared(
    lambda: User.select(User.id, User.first_name, User.last_name, User.middle_name).where(
        User.id.in_([Slot(f"id{n}") for n in range(50)])
    )
)


def _slots(values, size: int) -> list:
    """``values`` as ``size`` slots' values, the rest NULL (which IN never matches)."""
    values = list(values)
    return values + [None] * (size - len(values))


def _rows_of(per_page: int) -> Prepared:
    """The read of a page's rows by their ids (up to ``per_page`` of them, the rest of the slots NULL)."""
    prepared = _PAGES.get(per_page)
    if prepared is None:
        prepared = _PAGES[per_page] = Prepared(
            lambda: (
                Application.select(*LIST_COLUMNS, *COMPANY_COLUMNS)
                .join(Organisation, on=(Application.organisation == Organisation.id))
                .where(Application.id.in_([Slot(f"id{n}") for n in range(per_page)]))
            )
        )
    return prepared


def _listing(query, template, block, prepared=None, **extra):
    """A list of applications: ``query`` selects the applications (no join), here searched, counted, sorted and
    read one page at a time with their companies, authors and executors (five queries, whatever the page).
    ``prepared`` (a ``PreparedList`` and its slots) is the same query prepared, used when nothing is searched."""
    q = request.args.get("q", "").strip()
    default_sort = extra.pop("default_sort", "created")
    sort = request.args.get("sort", default_sort)
    # the inbox opens with the fewest working days left first (issue 19.2); the other lists newest first
    desc = request.args.get("dir", "asc" if sort == "left" and "dir" not in request.args else "desc") != "asc"
    if q:
        # the search's matches, found from indexes (``_found``), and the list's applications read only among them:
        # the CROSS JOIN makes SQLite read the matches first (its planner, with no statistics, would rather walk
        # the 11,000 archived applications by status and test each); PostgreSQL plans it as any join
        found = NodeList((_found(q), SQL('AS "found"')))
        query = query.from_(NodeList((found, SQL("CROSS JOIN"), Application))).where(
            Application.id == SQL('"found"."id"')
        )
    column = reviewclock.sort_key() if sort == "left" else SORTS.get(sort, Application.created_at)
    ordering = (column.desc() if desc else column.asc(), Application.id.desc())
    # the days-left order depends on today and on the clocks stopped (reviewclock.sort_key): never prepared
    if prepared is not None and not q and sort != "left":
        listing, slots = prepared
        key = (sort if sort in SORTS else "created", desc)
        page = _page_of(query, ordering, prepared=(listing, key, slots))
    else:
        page = _page_of(query, ordering, searched=bool(q))
    people = {a.author_id for a in page.items} | {a.executor_id for a in page.items if a.executor_id}
    users = {u.id: u for u in _PEOPLE.rows(**{f"id{n}": i for n, i in enumerate(_slots(people, 50))})} if people else {}
    today = engine.today()
    left = days_left(today, (a.deadline for a in page.items)) if extra.get("show_deadline") else {}
    return render(
        template,
        block,
        page=page,
        rows=_rows(page.items, users, left),
        q=q,
        sort=sort,
        desc=desc,
        users=users,
        procedures=current_app.extensions["is2in.procedures"],
        versions=current_app.extensions["is2in.procedure_versions"],
        today=today,
        **extra,
    )


def _label(key, make, *args):
    """A label of the lists that depends only on the language: a procedure's and a process's title, a status, a
    department as executor. The app's definitions and catalogues are loaded when it starts and never change while it
    runs, so each label is translated (a lookup of the catalogue through the request's context) once per app and
    language, and kept with the app."""
    labels = current_app.extensions.setdefault("workflow.list_labels", {})
    try:
        return labels[key]
    except KeyError:
        value = labels[key] = make(*args)
        return value


def _rows(items, users, left) -> list:
    """What each row of a list shows, as text: labels are kept per language (``_label``), deadlines are formatted
    once per page. Labels are escaped here exactly as the template escaped them, so the page's HTML is the same."""
    versions = current_app.extensions["is2in.procedure_versions"]
    day = current_app.jinja_env.filters["d"]
    locale = str(get_locale())
    memo = {}

    def once(key, make, *args):
        if key not in memo:
            memo[key] = make(*args)
        return memo[key]

    def shown_day(value):
        # the "d" filter shows the reader's calendar day of an instant, on the Exchange's clock (Babel's zone is the
        # Exchange's, core.create_app): the day is found here with zoneinfo (pytz, through Babel, cost as much as the
        # formatting), and each day's text is formatted once per process and language (Babel's formatting cost a
        # tenth of the inbox, two dates a row; the days a list shows are a few thousand at most)
        if isinstance(value, datetime.datetime):
            value = clock.to_local(value).date()
        return _label((locale, "day", value), day, value) if value else day(value)

    def procedure_labels(app):
        definition = versions.get((app.procedure, app.procedure_version))
        if definition is None:
            return escape(app.procedure), None
        process = escape(definition.process(app.process).title) if definition.processes else None
        return escape(definition.title), process

    def deadline_note(days):
        # the text is our own catalogue's, and Markup's % escapes what goes into it (an integer here)
        if days >= 0:
            return Markup(_("осталось раб. дней: %(n)s")) % {"n": days}  # nosec B704
        return Markup(_("просрочено на %(n)s раб. дн.")) % {"n": -days}  # nosec B704

    def stopped_note(days):
        if days >= 0:
            return Markup(_("срок остановлен, осталось раб. дней: %(n)s")) % {"n": days}  # nosec B704
        return Markup(_("срок остановлен, просрочено на %(n)s раб. дн.")) % {"n": -days}  # nosec B704

    rows = []
    for app in items:
        step = (app.procedure, app.procedure_version, app.process)
        if (app.procedure, app.procedure_version) in versions:
            procedure, process = _label((locale, "procedure", *step), procedure_labels, app)
        else:  # a procedure no longer installed: shown by its code
            procedure, process = procedure_labels(app)
        author = users[app.author_id].full_name if app.author_id in users else "—"
        if app.executor_id in users:
            executor = users[app.executor_id].full_name
        elif app.executor_id is None:  # the process's actor: a department or nobody yet
            executor = _label((locale, "executor", *step), lambda a: escape(engine.executor_label(a) or "—"), app)
        else:
            executor = escape(engine.executor_label(app) or "—")
        row = {
            # the company's name as the reader's language writes it, once per company a page (it asks the locale)
            "company": once(("company", app.organisation_id), lambda a: a.organisation.display_name, app),
            "procedure": procedure,
            "process": process,
            "author": author,
            "executor": executor,
            "status": _label((locale, "status", app.status), lambda a: escape(a.status_label), app),
            "created": shown_day(app.created_at),
            "submitted": shown_day(app.submitted_at) or "—",
        }
        if app.clock_left is not None:  # the review's clock stopped: the client owes documents (issue 19.2)
            row["deadline"] = _label((locale, "day", app.deadline), day, app.deadline) if app.deadline else "—"
            row["left"] = app.clock_left
            row["left_note"] = once(("stopped", app.clock_left), stopped_note, app.clock_left)
            row["stopped"] = True
        elif app.deadline and app.deadline in left:
            row["deadline"] = _label((locale, "day", app.deadline), day, app.deadline)
            row["left"] = left[app.deadline]
            row["left_note"] = once(("left", row["left"]), deadline_note, row["left"])
        rows.append((app, row))
    return rows


@bp.route("/applications")
@client_required()
def active():
    """G-9.4: active applications the user takes part in."""
    user = current_user._get_current_object()
    return _listing(
        Application.active_for(user),
        "workflow/active.html",
        "application_list",
        prepared=(CLIENT_ACTIVE, {"user": user.id}) if not user.is_staff else None,
    )


@bp.route("/archive")
@login_required
def archive():
    """G-9.5: finished applications with the status "Архив"."""
    return _listing(Application.archived_for(current_user), "workflow/archive.html", "application_list")


@bp.route("/questionnaires")
@client_required()
def questionnaires():
    """G-9.6: forms of the organisation's archived applications, for reuse."""
    return render("workflow/questionnaires.html", items=list(Questionnaire.of(current_user.organisation)))


# The distinct statuses of the applications, one seek of the status index each (``_present``), its SQL built once.
_PRESENT_STATUSES = Prepared(lambda: _present(Application.status)[0].tuples())


def present_statuses() -> list[str]:
    """The statuses the applications have now (whatever the procedures call them), in order."""
    return [status for (status,) in _PRESENT_STATUSES.rows()]


def unfinished():
    """The applications neither archived nor withdrawn, as ``status NOT IN ('archived', 'withdrawn')`` selected them,
    but asked by the statuses present, by name: an index seeks an IN, never a NOT IN (migration 0023)."""
    return Application.status.in_([s for s in present_statuses() if s not in ("archived", "withdrawn")])


# The office and the board read every department's; create_app adds each department that reviews an installed
# procedure (access.widen). "trading" (the subscription plugin's) keeps the inbox it always had.
@bp.route("/staff/inbox")
@staff_required("office", "board", "trading")
def inbox():
    """The Exchange's inbox: applications waiting for the user's department, with deadlines."""
    user = current_user._get_current_object()
    versions = current_app.extensions["is2in.procedure_versions"]
    department = request.args.get("department") or next(iter(sorted(user.departments - {"admin"})), "office")
    if not user.is_admin and department not in user.departments:
        abort(403)
    codes = [key for key, p in versions.items() if p.department == department or department == "office"]
    process_filter = request.args.get("process", "")
    query = Application.select().where(Application.submitted_at.is_null(False) & unfinished())
    if department == "office":
        query = query.where(Application.process == "registration")
    else:
        query = query.where(Application.procedure.in_({c for c, _v in codes}))
    if process_filter:
        query = query.where(Application.process == process_filter)
    if request.args.get("overdue"):
        # on the Exchange's time only (issue 19.2): a stopped clock is overdue only if it was when it stopped, and
        # the client's date for documents is not the Exchange's deadline
        query = query.where(
            (Application.clock_left.is_null() & (Application.deadline < engine.today())) | (Application.clock_left < 0)
        )
    return _listing(
        query,
        "workflow/inbox.html",
        "application_list",
        department=department,
        departments={
            d: DEPARTMENTS[d]
            for d in (user.departments if not user.is_admin else DEPARTMENTS)
            if d not in ("admin", "security")
        },
        process_filter=process_filter,
        statuses=STATUSES,
        show_deadline=True,
        default_sort="left",
    )
