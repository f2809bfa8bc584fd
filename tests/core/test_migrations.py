"""`is2in db upgrade`: numbered migrations, one history per plugin, and old databases brought up to date."""

import peewee

from core import create_app
from core import db as database
from core.accounts.validators import make_xin


def _sets():
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:", "PLUGIN_ENTRY_POINTS": False}).extensions[
        "is2in.migrations"
    ]


def test_a_database_made_by_the_first_migration_upgrades_to_the_latest(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    connection = database.open_database(url)
    database.db.initialize(connection)
    connection.connect()
    # the core's first migration only; every plugin history waits for the core
    target = {mset.app: "" for mset in _sets()} | {"core": "0001_accounts"}
    first = database.upgrade(_sets(), database=connection, target=target, echo=lambda *_: None)
    assert first == ["core.0001_accounts"]
    assert "notification" not in connection.get_tables()
    connection.execute_sql(
        "INSERT INTO organisation (code, legal_form, name_ru, name_kk, name_en, bin, is_active, created_at) "
        "VALUES ('OLD', 'АО', 'Старая', 'Ескі', 'Old', ?, 1, '2025-01-01 00:00:00')",
        (make_xin("95010100001"),),
    )

    rest = database.upgrade(_sets(), database=connection, echo=lambda *_: None)
    assert rest[0] == "core.0002_notifications" and len(rest) >= 4
    assert {"notification", "mail_message", "partnership", "application"} <= set(connection.get_tables())
    assert connection.execute_sql("SELECT code FROM organisation").fetchall() == [("OLD",)]
    # The yearly confirmation of users counts from the upgrade for an organisation that was already there
    # (created 2025-01-01, it would otherwise be overdue and its users suspended the morning after).
    assert connection.execute_sql("SELECT confirmed_by_id FROM user_confirmation").fetchall() == [(None,)]
    assert database.upgrade(_sets(), database=connection, echo=lambda *_: None) == []  # idempotent
    connection.close()


def test_live_models_match_the_migrated_tables(app):
    """Every live model's columns exist in the migrated schema (frozen migrations kept in step)."""
    connection = database.db.obj
    for model in _models():
        columns = {c.name for c in connection.get_columns(model._meta.table_name)}
        assert {f.column_name for f in model._meta.sorted_fields} <= columns, model.__name__


def _models():
    from core.accounts import models as accounts
    from core.audit.models import AuditEvent
    from core.auth.mfa.models import RecoveryCode, UserMfa
    from core.confirmation.models import UserConfirmation, UserConfirmationEvent
    from core.files import StoredFile
    from core.insiders.models import Insider
    from core.notifications.models import MailMessage, Notification
    from core.partnerships.models import Partnership
    from core.regulations.models import RegulatoryDocument
    from core.workdays.models import CalendarDay
    from core.workflow import models as workflow

    return [
        accounts.Organisation,
        accounts.OrganisationRole,
        accounts.User,
        accounts.StaffRole,
        accounts.UserSession,
        accounts.PasswordToken,
        AuditEvent,
        UserConfirmation,
        UserConfirmationEvent,
        UserMfa,
        RecoveryCode,
        StoredFile,
        Insider,
        MailMessage,
        Notification,
        Partnership,
        RegulatoryDocument,
        CalendarDay,
        workflow.Application,
        workflow.ApplicationMember,
        workflow.Questionnaire,
        workflow.StageState,
        workflow.FormData,
        workflow.Comment,
        workflow.Transition,
        workflow.OutgoingLetter,
        workflow.Attachment,
        workflow.Signature,
        workflow.ApplicationSecurity,
        workflow.CascadeNode,
        workflow.ClockEvent,
        workflow.Snapshot,
    ]


def test_cli_db_upgrade_and_demo_are_idempotent(tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    env = {"IS2IN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "IS2IN_INSTANCE_PATH": str(tmp_path)}
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert "applied core.0001_accounts" in first.output
    assert "0 migration(s) applied" in runner.invoke(main, ["db", "upgrade"], env=env).output
    demo = runner.invoke(main, ["demo"], env=env)
    assert demo.exit_code == 0, demo.output
    again = runner.invoke(main, ["demo"], env=env)
    assert again.exit_code == 0 and "user issuer@demo.kz" not in again.output
    check = peewee.SqliteDatabase(str(tmp_path / "cli.db"))
    assert check.execute_sql("SELECT count(*) FROM users").fetchone()[0] >= 16
