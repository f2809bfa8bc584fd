"""`is2in mfa`: the operator's way to reset a lost second factor (when the only admin lost the phone)
and to exempt or stop exempting an account."""

import click
from flask.cli import with_appcontext


@click.group()
def mfa():
    """The second factor of signing in."""


def _user(email):
    from core.accounts.models import User
    from core.db import db

    db.connect(reuse_if_open=True)
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    return user


@mfa.command("reset")
@click.argument("email")
@with_appcontext
def reset(email):
    """Remove EMAIL's second factor and end its sessions (audited; the owner gets a mail)."""
    from core import tasks
    from core.auth import mfa as service

    user = _user(email)
    with tasks.change():  # one transaction; the owner's mail leaves once it has committed
        service.remove(user, operator=True)
    click.echo(f"second factor of {user.email} reset; it sets one up again at the next sign-in")


@mfa.command("exempt")
@click.argument("email")
@click.option("--clear", is_flag=True, help="Stop exempting: the account must set up a second factor.")
@with_appcontext
def exempt(email, clear):
    """Exempt EMAIL from the required second factor (staff, first heads), or with --clear stop it."""
    from core import tasks
    from core.auth import mfa as service

    user = _user(email)
    with tasks.change():
        service.set_exempt(user, not clear, by=None)
    click.echo(f"{user.email}: {'no longer exempt' if clear else 'exempt'}")
