"""is2in ("Issuers to investors"): the minimal Flask core that procedure plugins build on."""

import logging
import os
from pathlib import Path

import pluggy
from flask import Flask

hookimpl = pluggy.HookimplMarker("is2in")

# The public surface: what a plugin may use, each name -> "module:attribute", or "module" for the attribute of
# that name (the module itself when the name is the module's own: "engine", "audit").
# A plugin imports only ``from core import ...`` (tests/core/test_public_surface.py holds every plugin to it), so
# the core may move its insides without breaking plugins. Names resolve lazily (PEP 562): importing ``core``
# imports none of them, and no import cycle runs through this file. A public name is never the name of another
# submodule of core: importing ``core.x`` sets ``core.x`` on the package, which would shadow an export "x".
EXPORTS = {
    # the hook types
    "Category": "core.registry",
    "Department": "core.registry",
    "Link": "core.hooktypes",
    "MigrationSet": "core.db",
    "NotificationKind": "core.hooktypes",
    "PeriodicJob": "core.hooktypes",
    "StepAction": "core.registry",
    # procedures: definitions, the standard chain, the engine
    "AML": "core.workflow.shared",
    "CATEGORIES": "core.workflow.definitions",
    "FILL_TITLE": "core.workflow.definitions",
    "FormSpec": "core.workflow.definitions",
    "Procedure": "core.workflow.definitions",
    "Process": "core.workflow.definitions",
    "SEND_TITLE": "core.workflow.definitions",
    "Stage": "core.workflow.definitions",
    "Subprocess": "core.workflow.definitions",
    "VIEW_TITLE": "core.workflow.definitions",
    "standard_processes": "core.workflow.definitions",
    "WorkflowError": "core.workflow.engine",
    "engine": "core.workflow.engine",
    "today": "core.workflow.engine",
    "isin_problem": "core.workflow.cascade",
    "make_isin": "core.workflow.cascade",
    # models a plugin may read and reference
    "DEPARTMENTS": "core.accounts.models",
    "ORG_ROLES": "core.accounts.models",
    "Organisation": "core.accounts.models",
    "OrganisationRole": "core.accounts.models",
    "StaffRole": "core.accounts.models",
    "User": "core.accounts.models",
    "Application": "core.workflow.models",
    "ApplicationMember": "core.workflow.models",
    "Attachment": "core.workflow.models",
    "FormData": "core.workflow.models",
    "Transition": "core.workflow.models",
    "StoredFile": "core.files",
    # the database
    "BaseModel": "core.db",
    "bulk_insert": "core.db",
    "bulk_update": "core.db",
    "insert_one": "core.db",
    "Prepared": "core.db",
    "Slot": "core.db",
    "database": "core.db:db",  # the database proxy ("db" is the module core.db, once anything imports it)
    "matches": "core.db",
    "utcnow": "core.db",
    # services: audit trail, notifications, tasks, the Exchange's clock and calendar, webhooks, the file store
    "audit": "core.audit",
    "clock": "core.clock",
    "notify": "core.notifications.service",
    "reminders": "core.notifications.reminders",
    "tasks": "core.tasks",
    "exchange_crontab": "core.tasks",
    "workdays": "core.workdays",
    "add_working_days": "core.workdays",
    "days_left": "core.workdays",
    "is_working_day": "core.workdays",
    "working_days_between": "core.workdays",
    "webhooks": "core.integrations.webhooks",
    "openapi": "core.integrations.openapi",
    "FileIntegrityError": "core.files",
    "file_kind": "core.files:sniff",
    "store_file": "core.files:store",
    "store_path": "core.files",
    "temp_path": "core.files",
    # pages: access rules, rendering, forms, PDFs, lists
    "Rule": "core.access",
    "client_required": "core.access",
    "login_required": "core.access",
    "public": "core.access",
    "requires": "core.access",
    "staff_required": "core.access",
    "external_url": "core.web",
    "render": "core.web",
    "pdf_response": "core.pdf",
    "render_pdf": "core.pdf",
    "Page": "core.pagination",
    "paginate": "core.pagination",
    "DecimalField": "core.forms",
    "IntegerField": "core.forms",
    "choices": "core.forms",
    "db_int": "core.forms",
    "PICK": "core.forms",
    "YES_NO": "core.forms",
    "required": "core.forms",
    "number_required": "core.forms",
    "not_negative": "core.forms",
    "company_names": "core.forms",
    "company_registration": "core.forms",
    "actual_address_field": "core.forms",
    "company_contacts": "core.forms",
    "MultiCheckboxField": "core.accounts.forms",
    "XIN": "core.accounts.validators",
    "make_xin": "core.accounts.validators",
    "hash_password": "core.auth.passwords",  # nosec B105: a module path, not a secret
    # machine APIs: bearer tokens, rate limits, CSRF exemption
    "bearer_token": "core.tokens:bearer",  # nosec B105: a module path, not a secret
    "new_token": "core.tokens:new",  # nosec B105: a module path, not a secret
    "token_digest": "core.tokens:digest",  # nosec B105: a module path, not a secret
    "tokens": "core.tokens",  # tokens.required: how a route's bearer token is read (Flask-Login's request_loader)
    "csrf_exempt": "core.security",
    "rate_limit": "core.security",
}

__all__ = ["create_app", "hookimpl", *EXPORTS]


def __getattr__(name):
    """Resolve a public name on first use (PEP 562) and keep it, so the next use is a plain attribute."""
    target = EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    import importlib

    module_name, _sep, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    if not attribute and module_name.rsplit(".", 1)[-1] == name:
        value = module  # a module exported under its own name (engine, audit, clock...)
    else:
        value = getattr(module, attribute or name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
    # The inbox, the partnerships' register and publishing regulations are open to every department that reviews
    # an installed procedure, a plugin's own included: the core names none of the plugins' departments.
    reviewers = sorted({p.department for p in versions.values()})
    for endpoint in ("workflow.inbox", "partnerships.staff_index", "regulations.publish", "regulations.withdraw"):
        access.widen(app, endpoint, reviewers)

    from core.confirmation import service as confirmation
    from core.notifications import service as notifications

    notifications.init_app(app, list(confirmation.KINDS) + collect(pm, "is2in_notification_kinds"))
    confirmation.init_app(app)
    webhooks.init_app(app)

    from core.db import MigrationSet

    app.extensions["is2in.migrations"] = [MigrationSet("core", "core.migrations")] + collect(pm, "is2in_migrations")
    from core.delegation.service import remind_ending

    tasks.periodic(app, remind_ending, tasks.exchange_crontab(minute="0", hour="9"))
    for job in collect(pm, "is2in_periodic_jobs"):
        tasks.periodic(app, job.function, job.schedule)
    for command in collect(pm, "is2in_cli_commands"):
        app.cli.add_command(command)

    templating.init_app(app)
    return app
