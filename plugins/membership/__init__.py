"""Admission to Exchange membership (G-12 category 4)."""

from flask_babel import lazy_gettext as _l

from core import Procedure, hookimpl

PROCEDURES = [
    Procedure(
        "membership.admission",
        "membership",
        _l("Прием в члены Биржи по категориям (фондовая, валютная, деривативы)"),
        filers=("candidate",),
        order=10,
    ),
    Procedure(
        "membership.add_category",
        "membership",
        _l("Присвоение члену Биржи дополнительной категории"),
        filers=("member",),
        order=20,
    ),
    Procedure(
        "membership.termination", "membership", _l("Прекращение членства на Бирже"), filers=("member",), order=30
    ),
]


@hookimpl
def is2in_procedures():
    return PROCEDURES
