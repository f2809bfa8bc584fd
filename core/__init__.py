"""is2in ("Issuers to investors"): the minimal Flask core that procedure plugins build on."""

import logging
import os
from pathlib import Path

import pluggy
from flask import Flask

hookimpl = pluggy.HookimplMarker("is2in")

from core.db import MigrationSet  # noqa: E402  (re-exported for plugin authors)
from core.hooktypes import Link, NotificationKind, PeriodicJob  # noqa: E402
from core.registry import Category, Department, StepAction  # noqa: E402
from core.workflow.definitions import CATEGORIES, Procedure  # noqa: E402

__all__ = [
    "create_app",
    "hookimpl",
    "Link",
    "NotificationKind",
    "PeriodicJob",
    "MigrationSet",
    "Procedure",
    "CATEGORIES",
    "Category",
    "Department",
    "StepAction",
]

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, plugins=None) -> Flask:
    """Build the app. ``plugins`` (module names) replaces the built-in list, for tests."""
    from core import access, db, i18n, security, tasks
    from core.plugins import DEFAULT_PLUGINS, collect, get_plugin_manager

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("IS2IN_INSTANCE_PATH")
    app = Flask(
        "core",
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        template_folder=str(ROOT / "templates"),
    )
    from core.config import from_environment

    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    # One clock (core.clock): the pages' times follow the Exchange's zone, whichever way it was set.
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if app.config.get("JSON_LOGS"):
        from core.ops import logging as json_logging

        json_logging.configure()
    elif not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    pm = get_plugin_manager(
        DEFAULT_PLUGINS if plugins is None else plugins,
        disabled=app.config["DISABLED_PLUGINS"],
        entry_points=app.config.get("PLUGIN_ENTRY_POINTS", True),
    )
    app.extensions["is2in.pm"] = pm
    from core.auth.passwords import use_fast_hashing

    use_fast_hashing(bool(app.config.get("FAST_PASSWORD_HASHING")))
    if app.config["PROXY_COUNT"]:
        # Behind nginx the client's address and scheme come from X-Forwarded-*: the rate limiter,
        # the audit trail and Secure cookies depend on them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from htmx_flask import Htmx

    Htmx(app)
    db.init_app(app)
    i18n.init_app(app, [module for _, module in pm.list_name_plugin()])
    security.init_app(app)
    tasks.init_app(app)
    from core import audit

    audit.init_app(app)  # the chain's key and the periodic anchor (after the task queue exists)
    from core.ops import logging as request_logging

    request_logging.init_app(app)
    app.before_request(access.enforce_declared)
    app.after_request(access.record_refusals)
    app.after_request(tasks.flush)

    from core import auth, templating
    from core.accounts import views as accounts_views
    from core.auth import views as auth_views
    from core.cabinet import views as cabinet_views
    from core.confirmation import views as confirmation_views
    from core.delegation import views as delegation_views
    from core.insiders import views as insiders_views
    from core.integrations import api as integrations_api
    from core.integrations import views as integrations_views
    from core.integrations import webhooks
    from core.notifications import views as notifications_views
    from core.ops import views as ops_views
    from core.partnerships import views as partnerships_views
    from core.regulations import views as regulations_views
    from core.signing import views as signing_views
    from core.staff import views as staff_views
    from core.workdays import views as workdays_views
    from core.workflow import views as workflow_views

    auth.init_app(app)
    for blueprint in (
        auth_views.bp,
        cabinet_views.bp,
        accounts_views.bp,
        notifications_views.bp,
        partnerships_views.bp,
        regulations_views.bp,
        insiders_views.bp,
        staff_views.bp,
        workflow_views.bp,
        workdays_views.bp,
        ops_views.bp,
        signing_views.bp,
        confirmation_views.bp,
        integrations_views.bp,
        integrations_api.bp,
        delegation_views.bp,
    ):
        app.register_blueprint(blueprint)
    for blueprint in collect(pm, "is2in_blueprints"):
        app.register_blueprint(blueprint)

    # The categories, departments and step actions the core and the plugins declare (core.registry).
    from core import registry

    registry.collect_into(app, pm)

    # Every version of every procedure stays known, so old applications keep the definition they
    # were created with; "Процедуры" offers the newest.
    versions, procedures = {}, {}
    for procedure in collect(pm, "is2in_procedures"):
        registry.check_procedure(app, procedure)
        key = (procedure.code, procedure.version)
        if key in versions:
            raise ValueError(f"procedure {procedure.code!r} version {procedure.version} is defined twice")
        versions[key] = procedure
        if procedure.code not in procedures or procedures[procedure.code].version < procedure.version:
            procedures[procedure.code] = procedure
    app.extensions["is2in.procedure_versions"] = versions
    app.extensions["is2in.procedures"] = procedures
    # The inbox is open to every department that reviews an installed procedure, a plugin's own included.
    access.widen(app, "workflow.inbox", sorted({p.department for p in versions.values()}))

    from core.confirmation import service as confirmation
    from core.notifications import service as notifications

    notifications.init_app(app, list(confirmation.KINDS) + collect(pm, "is2in_notification_kinds"))
    confirmation.init_app(app)
    webhooks.init_app(app)

    app.extensions["is2in.migrations"] = [MigrationSet("core", "core.migrations")] + collect(pm, "is2in_migrations")
    from core.delegation.service import remind_ending

    tasks.periodic(app, remind_ending, tasks.exchange_crontab(minute="0", hour="9"))
    for job in collect(pm, "is2in_periodic_jobs"):
        tasks.periodic(app, job.function, job.schedule)
    for command in collect(pm, "is2in_cli_commands"):
        app.cli.add_command(command)

    templating.init_app(app)
    return app
