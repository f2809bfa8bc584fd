"""``is2in disclosure-calendar YEAR``: the year's obligations of every admission initiator."""

import click
from flask.cli import with_appcontext


@click.command("disclosure-calendar")
@click.argument("year", type=click.IntRange(2000, 2100))
@with_appcontext
def disclosure_calendar(year):
    """Create the disclosure obligations of every admission initiator falling due in YEAR (idempotent)."""
    from core import database as db
    from plugins.disclosure.service import generate_all

    db.connect(reuse_if_open=True)
    with db.atomic():
        created = generate_all(year)
    click.echo(f"disclosure calendar {year}: {created} new obligation(s)")
