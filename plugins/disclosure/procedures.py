"""The disclosure procedures as data: one per kind of obligation, each on the plugin's own chain.

The chain (no office registration, no meeting: the monitoring department itself accepts):

    fill --send_to_head--> approval --approve--> signing --sign--> review
    approval --return--> fill;  signing --return--> fill
    review --accept--> archived                     (the obligation is met)
    review --return--> fill                         (returned for correction; approved and signed again)
    review --request_documents--> additional --answer--> resigning --sign--> review
    review, additional, resigning --withdraw--> withdrawn
"""

from dataclasses import replace

from flask_babel import lazy_gettext as _l

from core import FormSpec, Procedure, Process, Stage, standard_processes
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


FILL_TITLE = _l("Заполните сведения, приложите документы и направьте их первому руководителю")


def disclosure_processes(stages) -> tuple[Process, ...]:
    """The guide's chain (core's ``standard_processes``) without the office's registration, the meeting and
    the decision letter: the signed submission goes straight to the monitoring department, which accepts
    it (the obligation is met) or returns it for correction."""
    chain = {
        process.code: process
        for process in standard_processes(stages, fill_title=FILL_TITLE, review_days=REVIEW_DAYS, meeting=False)
    }
    chain["signing"] = replace(chain["signing"], transitions=(("sign", "review"), ("return", "fill")))
    chain["review"] = replace(
        chain["review"],
        title=_l("Рассмотрение департаментом мониторинга"),
        transitions=(("accept", "archived"), ("return", "fill"), ("request_documents", "additional")),
    )
    codes = ("fill", "approval", "signing", "review", "additional", "resigning", "archived", "withdrawn")
    return tuple(chain[code] for code in codes)


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
