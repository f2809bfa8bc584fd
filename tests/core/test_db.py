"""core.db helpers on the test database (SQLite, and PostgreSQL in the second run)."""

from decimal import Decimal

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


def test_the_sqlite_task_queue_syncs_like_the_database_not_on_every_task(app, monkeypatch):
    """WAL with synchronous=NORMAL: a queued task survives the process without a disk sync per task."""
    from core import tasks

    monkeypatch.setitem(app.config, "TASKS_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    storage = tasks.make_huey(app).storage
    assert isinstance(storage, tasks.QueueStorage)
    assert storage.conn.execute("pragma synchronous").fetchone() == (1,)
    assert storage.conn.execute("pragma journal_mode").fetchone() == ("wal",)


def test_prepared_writes_a_querys_sql_once_and_checks_its_parameters(app, make, monkeypatch):
    import pytest

    from core import db as core_db

    first, second = make.org("PRPA"), make.org("PRPB")

    def by_code(code):
        return Organisation.select().where(Organisation.code == code).limit(1)

    assert [o.id for o in core_db.prepared("test.org_by_code", by_code("PRPA"), "PRPA", 1)] == [first.id]
    written = []
    monkeypatch.setattr(type(db.obj), "get_sql_context", lambda *a, **k: written.append(1))
    rows = core_db.prepared("test.org_by_code", by_code("PRPB"), "PRPB", 1)
    assert [(o.id, o.code) for o in rows] == [(second.id, "PRPB")] and written == []  # bound, not written again
    assert core_db.prepared("test.org_by_code", by_code("NONE"), "NONE", 1) == []
    monkeypatch.undo()
    with pytest.raises(ValueError, match="binds"):  # parameters that are not the query's are refused
        core_db.prepared("test.org_by_other_code", by_code("PRPA"), "PRPB", 1)
