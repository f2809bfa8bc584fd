"""The membership procedures as data: admission, an additional category, termination. The
monitoring department reviews them and the Management Board decides."""

from flask_babel import lazy_gettext as _l

from core import AML, FormSpec, Procedure, Stage, standard_processes  # the questionnaire every category shares
from plugins.membership import forms

ORGANISATION = FormSpec("membership.organisation", _l("Сведения об организации"), forms.OrganisationForm, reusable=True)
LICENCES = FormSpec("membership.licences", _l("Лицензии"), forms.LicencesForm)
ADMISSION = FormSpec("membership.categories", _l("Заявление"), forms.AdmissionForm)
ADDITIONAL = FormSpec("membership.additional", _l("Заявление"), forms.AdditionalCategoryForm)
TERMINATION = FormSpec("membership.termination", _l("Заявление"), forms.TerminationForm)
STAFF = FormSpec("membership.staff", _l("Квалифицированный персонал"), forms.StaffForm)
TECHNICAL = FormSpec("membership.technical", _l("Техническая готовность"), forms.TechnicalForm)

# Where each procedure keeps the categories it asks for (read when its decision is archived).
CATEGORY_FORMS = {
    "membership.admission": ADMISSION.code,
    "membership.add_category": ADDITIONAL.code,
    "membership.termination": TERMINATION.code,
}

FILL_TITLE = _l("Заполните сведения об организации, заявление и приложите пакет документов")
DECISION_BODY = _l("Правление Биржи")

ADMISSION_DOCUMENTS = (
    _l("Устав организации"),
    _l("Лицензия на осуществление деятельности на рынке ценных бумаг"),
    _l("Решение уполномоченного органа организации о вступлении в члены Биржи"),
    _l("Годовая финансовая отчетность за последний завершенный год с аудиторским отчетом"),
    _l("Квалификационные свидетельства работников"),
)
ADDITIONAL_DOCUMENTS = (
    _l("Лицензия на осуществление деятельности на рынке ценных бумаг"),
    _l("Квалификационные свидетельства работников"),
)
TERMINATION_DOCUMENTS = (_l("Решение уполномоченного органа организации о прекращении членства на Бирже"),)


def stage(code, title, spec):
    return Stage(code, title, forms=(spec,))


def organisation():
    return stage("organisation", _l("Сведения об организации"), ORGANISATION)


def documents(titles):
    return Stage("documents", _l("Документы"), kind="documents", documents=tuple(titles))


def procedure(code, title, order, stages, *, filers, documents_list, prefix, description=""):
    return Procedure(
        code,
        "membership",
        title,
        description,
        filers=filers,
        order=order,
        documents=tuple(documents_list),
        processes=standard_processes(stages, fill_title=FILL_TITLE, decision_body=DECISION_BODY),
        department="monitoring",
        decision_body=DECISION_BODY,
        prefix=prefix,
    )


PROCEDURES = [
    procedure(
        "membership.admission",
        _l("Прием в члены Биржи"),
        10,
        (
            organisation(),
            stage("licences", _l("Лицензии"), LICENCES),
            stage("statement", _l("Заявление"), ADMISSION),
            stage("staff", _l("Квалифицированный персонал"), STAFF),
            stage("technical", _l("Техническая готовность"), TECHNICAL),
            documents(ADMISSION_DOCUMENTS),
            stage("aml", _l("Анкета по ПОД/ФТ"), AML),
        ),
        filers=("candidate",),
        documents_list=ADMISSION_DOCUMENTS,
        prefix="M",
        description=_l("По одной или нескольким категориям: фондовая, валютная, деривативы."),
    ),
    procedure(
        "membership.add_category",
        _l("Присвоение члену Биржи дополнительной категории"),
        20,
        (
            organisation(),
            stage("licences", _l("Лицензии"), LICENCES),
            stage("statement", _l("Заявление"), ADDITIONAL),
            stage("staff", _l("Квалифицированный персонал"), STAFF),
            stage("technical", _l("Техническая готовность"), TECHNICAL),
            documents(ADDITIONAL_DOCUMENTS),
        ),
        filers=("member",),
        documents_list=ADDITIONAL_DOCUMENTS,
        prefix="MC",
    ),
    procedure(
        "membership.termination",
        _l("Прекращение членства на Бирже"),
        30,
        (
            organisation(),
            stage("statement", _l("Заявление"), TERMINATION),
            documents(TERMINATION_DOCUMENTS),
        ),
        filers=("member",),
        documents_list=TERMINATION_DOCUMENTS,
        prefix="MT",
        description=_l("По всем категориям или по отдельным из них."),
    ),
]
