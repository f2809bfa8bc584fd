"""The sector "Нелистинговые ценные бумаги" and KASE Private Market (G-12 category 2): two admission
procedures decided by the Management Board, and the KASE Private Market instrument catalogue."""

from core import MigrationSet, hookimpl


@hookimpl
def is2in_procedures():
    from plugins.nonlisting.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_migrations():
    return MigrationSet("nonlisting", "plugins.nonlisting.migrations")
