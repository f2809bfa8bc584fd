"""The list of audit organisations recognised by the Exchange (G-12 category 3)."""

from flask_babel import lazy_gettext as _l

from core import Procedure, hookimpl

PROCEDURES = [
    Procedure(
        "auditors.inclusion",
        "auditors",
        _l("Включение в перечень аудиторских организаций, признаваемых Биржей"),
        filers=("auditor",),
        order=10,
    ),
    Procedure(
        "auditors.confirmation",
        "auditors",
        _l("Ежегодное подтверждение соответствия требованиям (мониторинг)"),
        filers=("auditor",),
        order=20,
    ),
    Procedure(
        "auditors.exclusion",
        "auditors",
        _l("Исключение из перечня аудиторских организаций, признаваемых Биржей"),
        filers=("auditor",),
        order=30,
    ),
]


@hookimpl
def is2in_procedures():
    return PROCEDURES
