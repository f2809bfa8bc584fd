"""The three procedures of the list of audit organisations (G-12 category 3) as data: their stages,
forms, documents and chains. All three follow the guide's chain (standard_processes)."""

from flask_babel import lazy_gettext as _l

from core import FormSpec, Procedure, Stage, standard_processes
from plugins.auditors import forms
from plugins.auditors.models import CONFIRM_BY

COMMITTEE = _l("Комитет совета директоров по аудиту эмитентов")

FIRM = FormSpec("auditors.firm", _l("Сведения об аудиторской организации"), forms.FirmForm, reusable=True)
LICENCE = FormSpec("auditors.licence", _l("Лицензия и членство"), forms.LicenceForm, reusable=True)
PEOPLE = FormSpec("auditors.people", _l("Партнеры и квалифицированные аудиторы"), forms.PeopleForm, reusable=True)
QUALITY = FormSpec("auditors.quality", _l("Контроль качества"), forms.QualityForm, reusable=True)
CLIENTS = FormSpec("auditors.clients", _l("Клиенты среди эмитентов"), forms.ClientsForm, reusable=True)
INSURANCE = FormSpec("auditors.insurance", _l("Страхование и членство в сети"), forms.InsuranceForm, reusable=True)
STATEMENT = FormSpec("auditors.statement", _l("Заявление"), forms.StatementForm)
CONFIRMATION = FormSpec("auditors.confirmation", _l("Подтверждение соответствия"), forms.ConfirmationForm)
EXCLUSION = FormSpec("auditors.exclusion", _l("Заявление об исключении"), forms.ExclusionForm)

INCLUSION_DOCUMENTS = (
    _l("Лицензия на занятие аудиторской деятельностью"),
    _l("Квалификационные свидетельства аудиторов"),
    _l("Документ о членстве в профессиональной аудиторской организации"),
    _l("Договор страхования ответственности аудиторской организации"),
    _l("Отчет о результатах внешней проверки контроля качества"),
)
CONFIRMATION_DOCUMENTS = (
    _l("Договор страхования ответственности аудиторской организации"),
    _l("Отчет о результатах внешней проверки контроля качества"),
)
EXCLUSION_DOCUMENTS = (_l("Решение органа аудиторской организации об исключении из перечня"),)

FILL_TITLE = _l(
    "Заполните сведения об аудиторской организации, заявление, подтвердите соответствие требованиям Биржи "
    "и приложите пакет документов"
)


def form_stage(code, spec):
    return Stage(code, spec.title, forms=(spec,))


def documents(titles):
    return Stage("documents", _l("Документы"), kind="documents", documents=tuple(titles))


INCLUSION = Procedure(
    "auditors.inclusion",
    "auditors",
    _l("Включение в перечень аудиторских организаций, признаваемых Биржей"),
    _l("Аудиторская организация подает заявление; решение принимает комитет совета директоров по аудиту эмитентов."),
    filers=("auditor",),
    order=10,
    documents=INCLUSION_DOCUMENTS,
    department="auditors",
    decision_body=COMMITTEE,
    prefix="AU",
    processes=standard_processes(
        (
            form_stage("general", FIRM),
            form_stage("licence", LICENCE),
            form_stage("people", PEOPLE),
            form_stage("quality", QUALITY),
            form_stage("clients", CLIENTS),
            form_stage("insurance", INSURANCE),
            form_stage("statement", STATEMENT),
            documents(INCLUSION_DOCUMENTS),
        ),
        fill_title=FILL_TITLE,
        decision_body=COMMITTEE,
    ),
)

CONFIRMATION_PROCEDURE = Procedure(
    "auditors.confirmation",
    "auditors",
    _l("Ежегодное подтверждение соответствия требованиям (мониторинг)"),
    _l(
        "Организация из перечня ежегодно, не позднее %(date)s, подтверждает соответствие требованиям Биржи.",
        date=f"{CONFIRM_BY[1]:02d}.{CONFIRM_BY[0]:02d}",
    ),
    filers=("auditor",),
    order=20,
    documents=CONFIRMATION_DOCUMENTS,
    department="auditors",
    decision_body=_l("Уполномоченное лицо Биржи"),
    prefix="AC",
    processes=standard_processes(
        (
            form_stage("general", FIRM),
            form_stage("people", PEOPLE),
            form_stage("quality", QUALITY),
            form_stage("insurance", INSURANCE),
            form_stage("confirmation", CONFIRMATION),
            documents(CONFIRMATION_DOCUMENTS),
        ),
        fill_title=FILL_TITLE,
        meeting=False,
        review_days=10,
    ),
)

EXCLUSION_PROCEDURE = Procedure(
    "auditors.exclusion",
    "auditors",
    _l("Исключение из перечня аудиторских организаций, признаваемых Биржей"),
    _l("По заявлению самой аудиторской организации; решение принимает комитет совета директоров по аудиту эмитентов."),
    filers=("auditor",),
    order=30,
    documents=EXCLUSION_DOCUMENTS,
    department="auditors",
    decision_body=COMMITTEE,
    prefix="AX",
    processes=standard_processes(
        (form_stage("statement", EXCLUSION), documents(EXCLUSION_DOCUMENTS)),
        fill_title=FILL_TITLE,
        decision_body=COMMITTEE,
    ),
)

PROCEDURES = [INCLUSION, CONFIRMATION_PROCEDURE, EXCLUSION_PROCEDURE]
