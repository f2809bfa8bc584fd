"""Monitoring of information disclosure by admission initiators (G-12 category 5)."""

from flask_babel import lazy_gettext as _l

from core import Procedure, hookimpl

PROCEDURES = [
    Procedure(
        "disclosure.annual_statements",
        "disclosure",
        _l("Годовая финансовая отчетность с аудиторским отчетом"),
        filers=("issuer",),
        order=10,
    ),
    Procedure(
        "disclosure.interim_statements",
        "disclosure",
        _l("Промежуточная финансовая отчетность"),
        filers=("issuer",),
        order=20,
    ),
    Procedure("disclosure.annual_report", "disclosure", _l("Годовой отчет"), filers=("issuer",), order=30),
    Procedure(
        "disclosure.material_event", "disclosure", _l("Сообщение о существенном событии"), filers=("issuer",), order=40
    ),
]


@hookimpl
def is2in_procedures():
    return PROCEDURES
