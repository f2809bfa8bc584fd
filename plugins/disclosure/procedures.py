"""The disclosure procedures as data: one per kind of obligation, each on the plugin's own chain.

The chain (no office registration, no meeting: the monitoring department itself accepts):

    fill --send_to_head--> approval --approve--> signing --sign--> review
    approval --return--> fill;  signing --return--> fill
    review --accept--> archived                     (the obligation is met)
    review --return--> fill                         (returned for correction; approved and signed again)
    review --request_documents--> additional --answer--> resigning --sign--> review
    review, additional, resigning --withdraw--> withdrawn
"""

from flask_babel import lazy_gettext as _l

from core import SEND_TITLE, VIEW_TITLE, FormSpec, Procedure, Process, Stage, Subprocess
from plugins.disclosure import forms
from plugins.disclosure.rules import RULES

FORMS = {
    "annual_statements": FormSpec(
        "disclosure.annual_statements", _l("Сведения о годовой отчетности"), forms.AnnualStatementsForm
    ),
    "interim_statements": FormSpec(
        "disclosure.interim_statements", _l("Сведения о промежуточной отчетности"), forms.InterimStatementsForm
    ),
    "annual_report": FormSpec("disclosure.annual_report", _l("Сведения о годовом отчете"), forms.AnnualReportForm),
    "material_event": FormSpec("disclosure.material_event", _l("Сведения о событии"), forms.MaterialEventForm),
}

DOCUMENTS = {
    "annual_statements": (_l("Годовая финансовая отчетность"), _l("Аудиторский отчет")),
    "interim_statements": (_l("Промежуточная финансовая отчетность"),),
    "annual_report": (_l("Годовой отчет"),),
    "material_event": (_l("Документ, подтверждающий наступление события"),),
}

REVIEW_DAYS = 5  # working days the monitoring department takes to accept or return a submission


def disclosure_processes(stages) -> tuple[Process, ...]:
    view = Subprocess("view", VIEW_TITLE)
    return (
        Process(
            "fill",
            _l("Заполните сведения, приложите документы и направьте их первому руководителю"),
            "initiator",
            "draft",
            (Subprocess("fill", _l("Заполнение сведений"), tuple(stages)), Subprocess("send", SEND_TITLE)),
            (("send_to_head", "approval"),),
        ),
        Process(
            "approval",
            _l("Проверка и согласование первым руководителем"),
            "first_head",
            "approval",
            (Subprocess("check", _l("Проверка заявления и документов")),),
            (("return", "fill"), ("approve", "signing")),
        ),
        Process(
            "signing",
            _l("Подписание заявления ЭЦП первым руководителем"),
            "first_head",
            "signing",
            (Subprocess("sign", _l("Подписание ЭЦП")),),
            (("sign", "review"), ("return", "fill")),
        ),
        Process(
            "review",
            _l("Рассмотрение департаментом мониторинга"),
            "department",
            "submitted",
            (view,),
            (("accept", "archived"), ("return", "fill"), ("request_documents", "additional")),
            deadline_days=REVIEW_DAYS,
            withdrawable=True,
        ),
        Process(
            "additional",
            _l("Предоставление дополнительных документов"),
            "initiator",
            "revision",
            (view,),
            (("answer", "resigning"),),
            withdrawable=True,
        ),
        Process(
            "resigning",
            _l("Подписание ответа ЭЦП первым руководителем"),
            "first_head",
            "signing",
            (view,),
            (("sign", "review"),),
            withdrawable=True,
        ),
        Process("archived", _l("Архив"), "none", "archived", (view,)),
        Process("withdrawn", _l("Заявление отозвано"), "none", "withdrawn", (view,)),
    )


def procedure(rule) -> Procedure:
    spec = FORMS[rule.kind]
    return Procedure(
        rule.procedure,
        "disclosure",
        rule.title,
        rule.deadline,
        filers=("issuer",),
        order=rule.order,
        documents=DOCUMENTS[rule.kind],
        department="monitoring",
        decision_body=_l("Департамент мониторинга"),
        prefix=rule.prefix,
        processes=disclosure_processes(
            (
                Stage("report", spec.title, forms=(spec,)),
                Stage("documents", _l("Документы"), kind="documents", documents=DOCUMENTS[rule.kind]),
            )
        ),
    )


PROCEDURES = [procedure(rule) for rule in RULES]
