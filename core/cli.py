"""The ``is2in`` command: Flask's own (run, routes, shell) plus db, demo and worker."""

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


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
    """Load the demo organisations and accounts (idempotent; password Demo!2345)."""
    from core.db import db as database
    from core.demo import load

    database.connect(reuse_if_open=True)
    load(echo=click.echo)
    if scale:
        from core import demo_scale

        try:
            demo_scale.load(factor=factor, echo=click.echo)
        except demo_scale.AlreadyLoaded as exc:
            raise click.ClickException(str(exc)) from None


@main.command("serve")
@click.option("--production", is_flag=True, help="Serve with gunicorn (settings from IS2IN_BIND, IS2IN_WORKERS...).")
def serve(production):
    """Serve the app: gunicorn for production, Flask's server otherwise."""
    if production:
        from core.ops.serve import run

        run()
    else:
        from core import create_app

        create_app().run(host="127.0.0.1", port=5000, threaded=True)


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
    """Check the audit trail's hash chain: report every edited or deleted row."""
    from core import audit as trail
    from core.db import db as database

    database.connect(reuse_if_open=True)
    problems = trail.verify()
    for line in problems:
        click.echo(line)
    click.echo(f"audit trail: {'intact' if not problems else f'{len(problems)} problem(s)'}")
    raise SystemExit(1 if problems else 0)


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
