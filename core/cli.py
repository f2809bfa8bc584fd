"""The ``is2in`` command: Flask's own (run, routes, shell) plus db, demo and worker."""

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, get_debug_flag, with_appcontext
from flask.cli import run_command as flask_run
from werkzeug.serving import is_running_from_reloader


def _create_app():
    from core import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """is2in: the KASE document-flow portal."""


def _add_core_groups():
    from core.auth.mfa.cli import mfa
    from core.signing.cli import pki, verify

    main.add_command(mfa)
    main.add_command(pki)
    main.add_command(verify)


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply every pending migration of the core and of each plugin."""
    from core import db as database

    database.db.connect(reuse_if_open=True)
    ran = database.upgrade(current_app.extensions["is2in.migrations"], echo=click.echo)
    click.echo(f"database is up to date ({len(ran)} migration(s) applied)")


@main.command("demo")
@click.option(
    "--scale",
    is_flag=True,
    help="Also load the scale demo: 1,000 companies, 5,000 users, 20,000 applications with their histories, "
    "200,000 notifications (once per database).",
)
@click.option("--factor", default=1.0, show_default=True, help="With --scale: a fraction of those sizes.")
@with_appcontext
def demo(scale, factor):
    """Load the demo organisations and accounts, applications in every process, subscriptions at their
    steps and the demo keys (idempotent; password Demo!2345)."""
    from core.db import db as database
    from core.demo import load

    database.connect(reuse_if_open=True)
    load(echo=click.echo, scenes=True)
    if scale:
        from core.demo import scale as demo_scale

        try:
            demo_scale.load(factor=factor, echo=click.echo)
        except demo_scale.AlreadyLoaded as exc:
            raise click.ClickException(str(exc)) from None


def _serve_with_worker(ctx, worker, workers, **options):
    """Flask's development server and, unless --no-worker, the task queue's consumer in the same process,
    so that one command runs the whole system: mail, register checks, deals, periodic jobs.

    With the reloader (--debug or --reload) Flask runs the server in a child process and restarts it on
    every change; the consumer runs in that child only, so there is never a second one."""
    reload = options.get("reload")
    if reload is None:
        reload = get_debug_flag()
    consumer = None
    if worker and (not reload or is_running_from_reloader()):
        from core.tasks import start_consumer

        app = ctx.ensure_object(ScriptInfo).load_app()  # the same app object Flask's run serves
        consumer = start_consumer(app, workers)
        if consumer is not None:
            click.echo(f" * task worker: {workers} thread(s) in this process (is2in run --no-worker to leave it out)")
    try:
        ctx.invoke(flask_run.callback, **options)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


run_command = click.Command(
    "run",
    callback=click.pass_context(_serve_with_worker),
    params=[
        *flask_run.params,
        click.Option(
            ["--worker/--no-worker"],
            default=True,
            show_default=True,
            help="Run the task queue's consumer (mail, registers, deals, periodic jobs) in this process. "
            "Production runs `is2in worker` beside gunicorn instead.",
        ),
        click.Option(["--workers"], default=2, show_default=True, help="Worker threads of the in-process consumer."),
    ],
    help="Run the development server with the task worker: the whole system in one process, for trying it "
    "out. Not for production: use `is2in serve --production` and `is2in worker`.",
    short_help="Run the development server and the task worker.",
)
main.add_command(run_command)


@main.command("serve")
@click.option("--production", is_flag=True, help="Serve with gunicorn (settings from IS2IN_BIND, IS2IN_WORKERS...).")
def serve(production):
    """Serve the app: gunicorn for production (run `is2in worker` beside it), otherwise Flask's server with
    the task worker in the same process, as `is2in run`."""
    if production:
        from core.ops.serve import run

        run()
    else:
        from core import create_app
        from core.tasks import start_consumer

        app = create_app()
        consumer = start_consumer(app)
        try:
            app.run(host="127.0.0.1", port=5000, threaded=True)
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write the database and the file store to PATH (a .tar.gz), consistently while the app runs."""
    from core.ops.backup import backup

    manifest = backup(current_app.config, path)
    click.echo(f"backup written to {path}: {manifest['database']} database, {manifest['files']} file(s)")


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    """Replace the database and restore the files from a backup made by `is2in backup`."""
    from core.ops.backup import restore

    if not yes:
        click.confirm("This replaces the current database. Are the app servers and workers stopped?", abort=True)
    manifest = restore(current_app.config, path)
    click.echo(
        f"restored {manifest['database']} database from {manifest['created_at']}; "
        f"{manifest['restored_files']} file(s) copied back"
    )


@main.command("files")
@click.argument("action", type=click.Choice(["verify"]))
@with_appcontext
def files_command(action):
    """`is2in files verify`: report stored files that are missing or altered."""
    from core.db import db as database
    from core.ops.backup import verify_files

    database.connect(reuse_if_open=True)
    problems = verify_files()
    for line in problems:
        click.echo(line)
    click.echo(f"{len(problems)} problem(s)")
    raise SystemExit(1 if problems else 0)


@main.group()
def audit():
    """The audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Check the audit trail's keyed chain and its anchors: report every edited, deleted or recomputed row
    and a trail that ends before its last anchor (newest rows removed)."""
    from core import audit as trail
    from core.db import db as database

    database.connect(reuse_if_open=True)
    problems = trail.verify()
    for line in problems:
        click.echo(line)
    last = trail.last_anchor()
    click.echo(
        f"last anchor: row {last['id']} at {last['at']} ({trail.anchor_file()})"
        if last
        else f"no anchor yet ({trail.anchor_file()}): run `is2in audit anchor` or the worker"
    )
    click.echo(f"audit trail: {'intact' if not problems else f'{len(problems)} problem(s)'}")
    raise SystemExit(1 if problems else 0)


@audit.command("anchor")
@with_appcontext
def audit_anchor():
    """Append the chain's head (row id and MAC) to the anchor file outside the database."""
    from core import audit as trail
    from core.db import db as database

    database.connect(reuse_if_open=True)
    mark = trail.anchor()
    if mark:
        click.echo(f"anchored row {mark['id']} {mark['hash']} in {trail.anchor_file()}")
    else:
        click.echo("nothing new to anchor")


@main.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def worker(workers):
    """Run the task queue consumer (mail, reminders, scheduled jobs)."""
    huey = current_app.extensions["huey"]
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    click.echo(f"is2in worker: {type(huey).__name__}, {workers} thread(s)")
    consumer.run()


_add_core_groups()
