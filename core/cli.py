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
    from core.signing.cli import pki

    main.add_command(pki)


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
@with_appcontext
def demo():
    """Load the demo organisations and accounts (idempotent; password Demo!2345)."""
    from core.db import db as database
    from core.demo import load

    database.connect(reuse_if_open=True)
    load(echo=click.echo)


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
