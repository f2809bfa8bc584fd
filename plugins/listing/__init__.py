"""Listing procedures for the official list (G-12 category 1)."""

from core import MigrationSet, hookimpl


@hookimpl
def is2in_procedures():
    from plugins.listing.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_migrations():
    return MigrationSet("listing", "plugins.listing.migrations")
