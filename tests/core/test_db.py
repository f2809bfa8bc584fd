"""core.db helpers on the test database (SQLite, and PostgreSQL in the second run)."""

from decimal import Decimal

import pytest

from core.accounts.models import Organisation
from core.db import bulk_update, db
from plugins.subscription.models import TradeAccount


def test_bulk_update_sets_each_row_its_own_values_and_nothing_else(app, make):
    org = make.org("BULK")
    accounts = [
        TradeAccount.create(organisation=org, code=f"BULK-{n}", currency="KZT", balance=Decimal("100.50"))
        for n in range(5)
    ]
    with db.atomic():
        changed = bulk_update(
            TradeAccount,
            [TradeAccount.blocked, TradeAccount.currency],
            ((a.id, Decimal(n) + Decimal("0.25"), "USD") for n, a in enumerate(accounts[:4])),
            batch=3,  # two statements on PostgreSQL: the batching itself is exercised
        )
    assert changed == 4
    after = {a.code: a for a in TradeAccount.select().where(TradeAccount.organisation == org)}
    for n in range(4):
        assert after[f"BULK-{n}"].blocked == Decimal(n) + Decimal("0.25")
        assert after[f"BULK-{n}"].currency == "USD"
        assert after[f"BULK-{n}"].balance == Decimal("100.50")
    assert after["BULK-4"].blocked == 0 and after["BULK-4"].currency == "KZT"
    assert Organisation.get_by_id(org.id).code == "BULK"


def test_bulk_update_of_nothing_is_no_statement(app):
    with db.atomic():
        assert bulk_update(TradeAccount, [TradeAccount.blocked], iter(())) == 0


def test_insert_one_returns_the_new_rows_id_and_stores_what_the_orm_would(app, make):
    """core.db.insert_one (issue #20): one statement, values converted by each field, the id handed back."""
    from core.db import insert_one

    org = make.org("ONE1")
    fields = [TradeAccount.organisation, TradeAccount.code, TradeAccount.currency, TradeAccount.balance]
    fields.append(TradeAccount.blocked)
    with db.atomic():
        first = insert_one(TradeAccount, fields, [org, "ONE-1", "KZT", Decimal("10.25"), 0])
        second = insert_one(TradeAccount, fields, [org.id, "ONE-2", "USD", Decimal("3"), 0])
    assert second != first
    stored = TradeAccount.get_by_id(first)
    assert (stored.organisation_id, stored.code, stored.currency, stored.balance) == (
        org.id,
        "ONE-1",
        "KZT",
        Decimal("10.25"),
    )
    assert TradeAccount.get_by_id(second).code == "ONE-2"


def test_the_sqlite_task_queue_syncs_like_the_database_not_on_every_task(app, monkeypatch):
    """WAL with synchronous=NORMAL: a queued task survives the process without a disk sync per task."""
    from core import tasks

    monkeypatch.setitem(app.config, "TASKS_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    storage = tasks.make_huey(app).storage
    assert isinstance(storage, tasks.QueueStorage)
    assert storage.conn.execute("pragma synchronous").fetchone() == (1,)
    assert storage.conn.execute("pragma journal_mode").fetchone() == ("wal",)


def test_a_prepared_query_is_built_once_and_answers_as_the_query_itself(app, make):
    """core.db.Prepared (issue #20): the SQL is built on the first run only; each run gets its own values, converted
    as the field converts them (an organisation given as a model is its id), and yields what the query yields."""
    import peewee

    from core.accounts.models import OrganisationRole, User
    from core.db import Prepared, Slot

    first = make.org("PREP1", roles=("issuer", "member"))
    second = make.org("PREP2", roles=("csd",))
    person = make.user(first)
    built = []

    def build():
        built.append(1)
        return (
            OrganisationRole.select(OrganisationRole.role)
            .where(OrganisationRole.organisation == Slot("organisation"))
            .order_by(OrganisationRole.role)
            .tuples()
        )

    roles = Prepared(build)
    assert [r for (r,) in roles.rows(organisation=first)] == ["issuer", "member"]
    assert [r for (r,) in roles.rows(organisation=second.id)] == ["csd"]
    assert roles.first(organisation=0) is None
    assert built == [1]
    # a join yields its models as the query does: the user with the organisation it joined
    people = Prepared(lambda: User.select(User, Organisation).join(Organisation).where(User.email == Slot("email")))
    found = people.first(email=person.email)
    assert found.id == person.id and found.organisation.code == "PREP1"
    with pytest.raises(KeyError):  # a slot without its value is an error, never a NULL
        people.first()
    assert isinstance(people.rows(email="nobody@example.kz"), peewee.CursorWrapper)


def test_a_prepared_query_matches_its_columns_once_and_each_run_makes_its_own_rows(app, make):
    """Issue #20: peewee's matching of the cursor's columns to the fields (which model, which converter) is done on
    the first run of a Prepared query and reused; later runs still make their own models with their own values,
    converted (a decimal stays a Decimal), joined models included, and a run with no row is empty."""
    from core.accounts.models import User
    from core.db import Prepared, Slot

    orgs = [make.org(f"COLS{n}") for n in range(3)]
    people = [make.user(org) for org in orgs]
    accounts = [
        TradeAccount.create(organisation=org, code=f"COLS-{n}", currency="KZT", balance=Decimal(f"{n}.25"))
        for n, org in enumerate(orgs)
    ]
    joined = Prepared(lambda: User.select(User, Organisation).join(Organisation).where(User.email == Slot("email")))
    plain = Prepared(lambda: TradeAccount.select().where(TradeAccount.organisation == Slot("organisation")))
    tuples = Prepared(
        lambda: (
            TradeAccount.select(TradeAccount.code, TradeAccount.balance)
            .where(TradeAccount.organisation == Slot("organisation"))
            .tuples()
        )
    )
    assert joined.first(email="nobody@example.kz") is None  # matched on a run without rows, used on the next
    for n, (org, person, account) in enumerate(zip(orgs, people, accounts, strict=True)):
        found = joined.first(email=person.email)
        assert (found.id, found.organisation.id, found.organisation.code) == (person.id, org.id, org.code)
        row = plain.first(organisation=org)
        assert (row.id, row.code, row.balance, row.organisation_id) == (
            account.id,
            account.code,
            Decimal(f"{n}.25"),
            org.id,
        )
        assert isinstance(row.balance, Decimal) and not row.is_dirty()
        assert list(tuples.rows(organisation=org.id)) == [(account.code, Decimal(f"{n}.25"))]
    assert plain.first(organisation=0) is None
