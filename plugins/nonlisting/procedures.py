"""The unlisted sector and KASE Private Market as data: their stages, forms, documents and the
Exchange's chain, decided by the Management Board rather than the listing commission."""

from flask_babel import lazy_gettext as _l

from core import AML, FormSpec, Procedure, Stage, standard_processes  # the questionnaire every category shares
from plugins.nonlisting import forms

ISSUER = FormSpec("nonlisting.issuer", _l("Сведения об эмитенте"), forms.IssuerForm, reusable=True)
ADMISSION = FormSpec("nonlisting.application", _l("Заявление"), forms.AdmissionForm)
PRIVATE_APPLICATION = FormSpec("nonlisting.kpm_application", _l("Заявление"), forms.PrivateMarketApplicationForm)
SECURITIES = FormSpec("nonlisting.securities", _l("Сведения о ценных бумагах"), forms.SecuritiesForm)
# The requirement forms that the leaves of the "kpm" cascade name (see migrations/0001_catalogue.py).
PRIVATE_PACKAGES = (
    FormSpec("nonlisting.kpm_shares", _l("Требования к акциям"), forms.PrivateSharesForm),
    FormSpec("nonlisting.kpm_bonds", _l("Требования к облигациям"), forms.PrivateBondsForm),
    FormSpec("nonlisting.kpm_units", _l("Требования к паям инвестиционных фондов"), forms.PrivateUnitsForm),
)
PRIVATE_CATALOGUE = "kpm"
PRIVATE_LEVELS = (_l("Тип инструмента"), _l("Вид инструмента"))

FILL_TITLE = _l(
    "Заполните сведения об эмитенте, заявление, сведения о финансовых инструментах и приложите пакет документов"
)
DECISION_BODY = _l("Правление Биржи")

SECTOR_DOCUMENTS = (
    _l("Устав эмитента"),
    _l("Решение органа эмитента о выпуске ценных бумаг"),
    _l("Документ о государственной регистрации выпуска ценных бумаг"),
    _l("Проспект выпуска ценных бумаг"),
    _l("Годовая финансовая отчетность за последний завершенный год с аудиторским отчетом"),
)
PRIVATE_DOCUMENTS = (
    _l("Устав эмитента"),
    _l("Решение уполномоченного органа эмитента о выпуске финансовых инструментов"),
    _l("Документ, определяющий условия выпуска (проспект выпуска, правила паевого инвестиционного фонда)"),
    _l("Инвестиционный меморандум"),
    _l("Финансовая отчетность за последний завершенный год"),
)


def issuer():
    return Stage("issuer", _l("Сведения об эмитенте"), forms=(ISSUER,))


def consultant():
    return Stage("consultant", _l("Сведения о финансовом консультанте"), kind="consultant", skippable=True)


def statement(spec):
    return Stage("statement", _l("Заявление"), forms=(spec,))


def documents(titles):
    return Stage("documents", _l("Документы"), kind="documents", documents=tuple(titles))


def aml():
    return Stage("aml", _l("Анкета по ПОД/ФТ"), forms=(AML,))


def procedure(code, title, order, stages, *, description, documents_list, prefix):
    return Procedure(
        code,
        "nonlisting",
        title,
        description,
        filers=("issuer",),
        consultant_files=True,
        order=order,
        documents=tuple(documents_list),
        processes=standard_processes(stages, fill_title=FILL_TITLE, decision_body=DECISION_BODY),
        department="listing",
        decision_body=DECISION_BODY,
        prefix=prefix,
    )


PROCEDURES = [
    procedure(
        "nonlisting.admission",
        _l("Допуск ценных бумаг к обращению в секторе «Нелистинговые ценные бумаги»"),
        10,
        (
            issuer(),
            consultant(),
            statement(ADMISSION),
            Stage("instrument", _l("Сведения о ценных бумагах"), forms=(SECURITIES,)),
            documents(SECTOR_DOCUMENTS),
            aml(),
        ),
        description=_l(
            "Ценные бумаги, не включенные в официальный список, допускаются к обращению решением Правления Биржи."
        ),
        documents_list=SECTOR_DOCUMENTS,
        prefix="N",
    ),
    procedure(
        "nonlisting.private_market",
        _l("Допуск финансовых инструментов на площадку KASE Private Market"),
        20,
        (
            issuer(),
            consultant(),
            statement(PRIVATE_APPLICATION),
            Stage(
                "instruments",
                _l("Сведения о финансовых инструментах"),
                kind="securities",
                forms=PRIVATE_PACKAGES,
                catalogue=PRIVATE_CATALOGUE,
                levels=PRIVATE_LEVELS,
            ),
            documents(PRIVATE_DOCUMENTS),
            aml(),
        ),
        description=_l(
            "Площадка для размещения и обращения акций, облигаций и паев инвестиционных фондов частных компаний."
        ),
        documents_list=PRIVATE_DOCUMENTS,
        prefix="KPM",
    ),
]
