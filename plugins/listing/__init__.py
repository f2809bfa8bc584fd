"""Listing procedures for the official list (G-12 category 1)."""

from flask_babel import lazy_gettext as _l

from core import Procedure, hookimpl

COMMON_DOCUMENTS = (
    _l("Заявление на включение ценных бумаг в официальный список"),
    _l("Устав и решение органа эмитента о выпуске ценных бумаг"),
    _l("Финансовая отчетность за последние три года с аудиторскими отчетами"),
    _l("Инвестиционный меморандум"),
    _l("Анкета по ПОД/ФТ"),
)

PROCEDURES = [
    Procedure("listing.shares", "listing", _l("Включение акций в официальный список"),
              _l("Основная площадка (категории «Премиум» и «Стандарт») или альтернативная площадка."),
              filers=("issuer",), consultant_files=True, order=10, documents=COMMON_DOCUMENTS),
    Procedure("listing.bonds", "listing", _l("Включение облигаций в официальный список"),
              filers=("issuer",), consultant_files=True, order=20, documents=COMMON_DOCUMENTS),
    Procedure("listing.bond_programme", "listing", _l("Включение облигационной программы в официальный список"),
              filers=("issuer",), consultant_files=True, order=30, documents=COMMON_DOCUMENTS),
    Procedure("listing.fund_units", "listing", _l("Включение паев инвестиционных фондов в официальный список"),
              filers=("issuer",), consultant_files=True, order=40),
    Procedure("listing.depositary_receipts", "listing",
              _l("Включение депозитарных расписок в официальный список"),
              filers=("issuer",), consultant_files=True, order=50),
    Procedure("listing.derivatives", "listing", _l("Включение производных ценных бумаг в официальный список"),
              filers=("issuer",), consultant_files=True, order=60),
    Procedure("listing.transfer", "listing", _l("Перевод ценных бумаг из одной категории официального списка в другую"),
              filers=("issuer",), consultant_files=True, order=70),
    Procedure("listing.delisting", "listing",
              _l("Исключение ценных бумаг из официального списка по инициативе инициатора допуска"),
              filers=("issuer",), consultant_files=True, order=80),
]


@hookimpl
def is2in_procedures():
    return PROCEDURES
