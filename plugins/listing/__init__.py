"""Listing procedures for the official list (G-12 category 1)."""

from flask_babel import lazy_gettext as _l

from core import Category, Department, MigrationSet, hookimpl


@hookimpl
def is2in_categories():
    return [Category("listing", _l("Листинговые процедуры"), 1)]


@hookimpl
def is2in_departments():
    return [Department("listing", _l("Департамент листинга"), 1)]


@hookimpl
def is2in_procedures():
    from plugins.listing.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_migrations():
    return MigrationSet("listing", "plugins.listing.migrations")
