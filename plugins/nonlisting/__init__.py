"""The sector "Нелистинговые ценные бумаги" and KASE Private Market (G-12 category 2): two admission
procedures decided by the Management Board, and the KASE Private Market instrument catalogue."""

from flask_babel import lazy_gettext as _l

from core import Category, Department, MigrationSet, hookimpl


@hookimpl
def is2in_categories():
    return [Category("nonlisting", _l("Сектор «Нелистинговые ценные бумаги» и KASE Private Market"), 2)]


@hookimpl
def is2in_departments():
    return [Department("listing", _l("Департамент листинга"), 1)]


@hookimpl
def is2in_procedures():
    from plugins.nonlisting.procedures import PROCEDURES

    return PROCEDURES


@hookimpl
def is2in_migrations():
    return MigrationSet("nonlisting", "plugins.nonlisting.migrations")
