"""An external plugin shipped as its own package. It implements seven hooks once each (procedures, blueprints,
menu links, staff screens, notification kinds, migrations, CLI commands), so the tests can prove that a team
outside the core contributes each of these kinds of thing; examples/is2in-example-sixth adds a category, a
department and an engine action."""

import click
import peewee as pw
from flask import Blueprint, render_template
from flask_login import current_user

from core import (
    BaseModel,
    Link,
    MigrationSet,
    NotificationKind,
    Procedure,
    client_required,
    hookimpl,
    notify,
    staff_required,
)

bp = Blueprint("example", __name__, template_folder="templates", url_prefix="/example")


class ExampleNote(BaseModel):
    text = pw.CharField()

    class Meta:
        table_name = "example_note"


@bp.route("/")
@client_required("issuer")
def index():
    return render_template("is2in_example_plugin/index.html", notes=list(ExampleNote.select()))


@bp.route("/ping", methods=["POST"])
@client_required("issuer")
def ping():
    ExampleNote.create(text="ping")
    notify([current_user], "example.ping", procedure="Выкуп облигаций (внешний плагин)", message="pong")
    return index()


@bp.route("/staff")
@staff_required("listing")
def staff():
    return "<h1>Пример для Биржи</h1>"


@hookimpl
def is2in_procedures():
    return [Procedure("example.bond_buyback", "listing", "Выкуп облигаций (внешний плагин)", filers=("issuer",))]


@hookimpl
def is2in_blueprints():
    return [bp]


@hookimpl
def is2in_menu_links(user):
    return [Link("example.index", "Пример", order=90)]


@hookimpl
def is2in_staff_screens(user):
    return [Link("example.staff", "Пример для Биржи", order=90)]


@hookimpl
def is2in_notification_kinds():
    return [NotificationKind("example.ping", "Пример уведомления")]


@hookimpl
def is2in_migrations():
    return MigrationSet("example", "is2in_example_plugin.migrations")


@click.command("example-count")
def example_count():
    """Print how many example notes there are."""
    click.echo(f"example notes: {ExampleNote.select().count()}")


@hookimpl
def is2in_cli_commands():
    return [example_count]
