"""The sector "Нелистинговые ценные бумаги" and KASE Private Market (G-12 category 2)."""

from flask_babel import lazy_gettext as _l

from core import Procedure, hookimpl

PROCEDURES = [
    Procedure(
        "nonlisting.admission",
        "nonlisting",
        _l("Допуск ценных бумаг к обращению в секторе «Нелистинговые ценные бумаги»"),
        filers=("issuer",),
        consultant_files=True,
        order=10,
    ),
    Procedure(
        "nonlisting.private_market",
        "nonlisting",
        _l("Допуск финансовых инструментов на площадку KASE Private Market"),
        filers=("issuer",),
        consultant_files=True,
        order=20,
    ),
]


@hookimpl
def is2in_procedures():
    return PROCEDURES
