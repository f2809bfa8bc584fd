"""The listing procedures as data: their stages, forms, documents and the Exchange's chain."""

from flask_babel import lazy_gettext as _l

from core import AML, FormSpec, Procedure, Stage, standard_processes  # the questionnaire every category shares
from plugins.listing import forms


def known_of(organisation) -> dict:
    """ "Общие сведения" as the Exchange knows the company: its names in three languages and its BIN."""
    return {
        "full_name": f"{organisation.legal_form} «{organisation.name_ru}»",
        "short_name": organisation.name_ru,
        "name_kk": organisation.name_kk,
        "name_en": organisation.name_en,
        "bin": organisation.bin,
    }


GENERAL = FormSpec("listing.general", _l("Общие сведения"), forms.GeneralInfoForm, reusable=True, prefill=known_of)
APPLICATION = FormSpec("listing.application", _l("Заявление"), forms.ApplicationForm)
TRANSFER = FormSpec("listing.transfer", _l("Заявление о переводе"), forms.TransferForm)
DELISTING = FormSpec("listing.delisting", _l("Заявление об исключении"), forms.DelistingForm)
BASIC = FormSpec("listing.basic", _l("Базовые требования"), forms.BasicRequirementsForm)
# The requirement packages that the cascade's leaves name (see migrations/0001_catalogue.py).
PACKAGES = (
    FormSpec("listing.req_premium", _l("Пакет требований к акциям категории «Премиум»"), forms.PremiumSharesForm),
    FormSpec("listing.req_standard", _l("Пакет требований к акциям категории «Стандарт»"), forms.StandardSharesForm),
    FormSpec("listing.req_bonds", _l("Пакет требований к облигациям"), forms.BondsForm),
)

LEVELS = (_l("Площадка"), _l("Сектор"), _l("Категория"), _l("Пакеты требований"))

COMMON_DOCUMENTS = (
    _l("Устав эмитента"),
    _l("Решение органа эмитента о выпуске ценных бумаг"),
    _l("Годовая финансовая отчетность за последние три года с аудиторскими отчетами"),
    _l("Инвестиционный меморандум"),
)


def general():
    return Stage("general", _l("Общие сведения"), forms=(GENERAL,))


def consultant():
    return Stage("consultant", _l("Сведения о финансовом консультанте"), kind="consultant", skippable=True)


def statement(spec=APPLICATION):
    return Stage("statement", _l("Заявление"), forms=(spec,))


def basic():
    return Stage("basic", _l("Базовые требования"), forms=(BASIC,))


def additional():
    return Stage(
        "additional",
        _l("Дополнительные требования"),
        kind="securities",
        forms=PACKAGES,
        catalogue="listing",
        levels=LEVELS,
    )


def documents(extra=()):
    return Stage(
        "documents",
        _l("Документы"),
        kind="documents",
        documents=COMMON_DOCUMENTS + tuple(extra),
        several=(COMMON_DOCUMENTS[2],),  # three years' statements and audit reports: a file each, or one
    )


def aml():
    return Stage("aml", _l("Анкета по ПОД/ФТ"), forms=(AML,))


def inclusion(code, title, order, *, extra_documents=(), description="", prefix="L"):
    stages = (general(), consultant(), statement(), basic(), additional(), documents(extra_documents), aml())
    return Procedure(
        code,
        "listing",
        title,
        description,
        filers=("issuer",),
        consultant_files=True,
        order=order,
        documents=tuple(s for s in COMMON_DOCUMENTS + tuple(extra_documents)),
        processes=standard_processes(stages),
        department="listing",
        decision_body=_l("Листинговая комиссия"),
        prefix=prefix,
    )


PROCEDURES = [
    inclusion(
        "listing.shares",
        _l("Включение акций в официальный список"),
        10,
        description=_l("Основная площадка (категории «Премиум» и «Стандарт») или альтернативная площадка."),
        extra_documents=(_l("Выписка из реестра держателей акций"),),
    ),
    inclusion(
        "listing.bonds",
        _l("Включение облигаций в официальный список"),
        20,
        extra_documents=(_l("Проспект выпуска облигаций"), _l("Договор с представителем держателей облигаций")),
    ),
    inclusion(
        "listing.bond_programme",
        _l("Включение облигационной программы в официальный список"),
        30,
        extra_documents=(_l("Проспект облигационной программы"),),
    ),
    inclusion(
        "listing.fund_units",
        _l("Включение паев инвестиционных фондов в официальный список"),
        40,
        extra_documents=(_l("Правила паевого инвестиционного фонда"),),
    ),
    inclusion(
        "listing.depositary_receipts",
        _l("Включение депозитарных расписок в официальный список"),
        50,
        extra_documents=(_l("Депозитарный договор"),),
    ),
    inclusion(
        "listing.derivatives",
        _l("Включение производных ценных бумаг в официальный список"),
        60,
        extra_documents=(_l("Проспект выпуска производных ценных бумаг"),),
    ),
    Procedure(
        "listing.transfer",
        "listing",
        _l("Перевод ценных бумаг из одной категории официального списка в другую"),
        filers=("issuer",),
        consultant_files=True,
        order=70,
        department="listing",
        processes=standard_processes((general(), consultant(), statement(TRANSFER), basic(), documents(), aml())),
        decision_body=_l("Листинговая комиссия"),
        prefix="LT",
    ),
    Procedure(
        "listing.delisting",
        "listing",
        _l("Исключение ценных бумаг из официального списка по инициативе инициатора допуска"),
        filers=("issuer",),
        consultant_files=True,
        order=80,
        department="listing",
        processes=standard_processes(
            (
                general(),
                statement(DELISTING),
                Stage(
                    "documents",
                    _l("Документы"),
                    kind="documents",
                    documents=(_l("Решение органа эмитента об исключении ценных бумаг"),),
                ),
                aml(),
            )
        ),
        decision_body=_l("Листинговая комиссия"),
        prefix="LD",
    ),
]
