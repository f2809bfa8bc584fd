"""Exchange membership (G-12 category 4): admission, an additional category and termination, reviewed
by the monitoring department and decided by the Management Board. An archived positive decision
gives or takes the organisation's role "member" and its categories (``Membership``)."""

import datetime

import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from core import Category, Department, Link, MigrationSet, NotificationKind, hookimpl


@hookimpl
def is2in_categories():
    return [Category("membership", _l("Членство на Бирже"), 4)]


@hookimpl
def is2in_departments():
    return [Department("monitoring", _l("Департамент мониторинга"), 3)]


@hookimpl
def is2in_procedures():
    from plugins.membership.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_blueprints():
    from plugins.membership.views import bp

    return [bp]


@hookimpl
def is2in_menu_links(user):
    # The core shows it only to those its view lets in: organisations with the role member or candidate.
    return [Link("membership.index", _l("Членство на Бирже"), order=45)]


@hookimpl
def is2in_public_pages():
    return [Link("membership.members", _l("Члены Биржи"), order=20)]


@hookimpl
def is2in_notification_kinds():
    return [NotificationKind("membership.changed", _l("Изменение членства на Бирже"))]


@hookimpl
def is2in_migrations():
    return MigrationSet("membership", "plugins.membership.migrations")


@hookimpl
def is2in_application_transition(application, action, from_process, to_process, user):
    from plugins.membership.service import on_transition

    on_transition(application, action, to_process, user)


@hookimpl
def is2in_member_categories(organisation):
    from plugins.membership.models import Membership

    return Membership.recorded_categories(organisation)


# The demo members' categories (every one trades shares, so the subscription module's demo works).
DEMO_CATEGORIES = {
    "BRKR": ("stock", "currency"),
    "SELL": ("stock",),
    "BUY1": ("stock", "derivatives"),
    "BUY2": ("stock",),
}


@hookimpl
def is2in_demo_data(echo):
    from core import Organisation
    from plugins.membership.models import Membership

    for code, categories in DEMO_CATEGORIES.items():
        organisation = Organisation.get_or_none(Organisation.code == code)
        # Only where nothing is recorded yet: a demo member that has since left stays out.
        if organisation is None or not organisation.has_role("member"):
            continue
        if Membership.recorded_categories(organisation) is not None:
            continue
        Membership.grant(organisation, categories, datetime.date(2015, 1, 5))
        echo(f"membership {code}: {', '.join(categories)}")


@click.command("membership-record")
@click.argument("code")
@click.argument("categories", nargs=-1, required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Member since (YYYY-MM-DD); today if omitted.")
@with_appcontext
def record_membership(code, categories, since):
    """Record an organisation's membership admitted before the portal: CODE stock currency derivatives."""
    from core import Organisation, audit, today
    from core import database as db
    from plugins.membership.models import CATEGORIES, Membership, set_member_role

    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise click.BadParameter(f"unknown categories {unknown}; use {', '.join(CATEGORIES)}")
    db.connect(reuse_if_open=True)
    organisation = Organisation.get_or_none(Organisation.code == code)
    if organisation is None:
        raise click.BadParameter(f"no organisation with the code {code}")
    with db.atomic():
        opened = Membership.grant(organisation, categories, since.date() if since else today())
        set_member_role(organisation, True)
        audit.record("membership.record", organisation, categories=opened)
    click.echo(f"{code}: member in {', '.join(Membership.categories_of(organisation)) or '-'}")


@hookimpl
def is2in_cli_commands():
    return [record_membership]
