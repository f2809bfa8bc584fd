"""The procedure: the standard chain of the guide, with the department's check of the obligations between the
review and the decision of the Management Board."""

from dataclasses import replace
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import (
    VIEW_TITLE,
    FormSpec,
    Procedure,
    Process,
    Stage,
    Subprocess,
    WorkflowError,
    audit,
    engine,
    standard_processes,
)
from is2in_market_making.forms import TermsForm

CODE = "market_making.status"
CHECK = "market_making_check"
TERMS = FormSpec("market_making.terms", _l("Обязательства маркет-мейкера"), TermsForm)

STAGES = (
    Stage("terms", _l("Обязательства маркет-мейкера"), forms=(TERMS,)),
    Stage(
        "documents",
        _l("Документы"),
        kind="documents",
        documents=(
            _l("Заявление на присвоение статуса маркет-мейкера"),
            _l("Договор об оказании услуг маркет-мейкера"),
        ),
    ),
)


def _chain():
    chain = standard_processes(STAGES, decision_body=_l("Правление"), meeting=False)
    review = next(p for p in chain if p.code == "review")
    checked = Process(
        "assessment",
        _l("Оценка исполнения обязательств маркет-мейкера"),
        "department",
        "submitted",
        (Subprocess("view", VIEW_TITLE),),
        (("decide", "result"),),
        deadline_days=5,
    )
    out = []
    for process in chain:
        if process is review:
            process = replace(review, transitions=(("request_documents", "additional"), (CHECK, "assessment")))
            out += [process, checked]
        else:
            out.append(process)
    return tuple(out)


PROCEDURE = Procedure(
    CODE,
    "market_making",
    _l("Присвоение статуса маркет-мейкера по финансовому инструменту"),
    _l("Член Биржи берёт на себя обязательства по поддержанию котировок инструмента."),
    filers=("member",),
    department="market_making",
    decision_body=_l("Правление"),
    prefix="MM",
    processes=_chain(),
)


def check_obligations(form, user):
    """The department's check: the measured spread and quoting time against the obligations in the application,
    recorded in the audit trail (and so in the application's history)."""

    def effect(application):
        terms = engine.form_values(application, TERMS.code)
        if not terms.get("max_spread") or not terms.get("quoting_share"):
            raise WorkflowError(_("В заявлении нет обязательств маркет-мейкера: проверять нечего."))
        met = form.spread.data <= Decimal(str(terms["max_spread"])) and form.share.data >= int(terms["quoting_share"])
        audit.record(
            "market_making.check",
            application,
            organisation=application.organisation,
            spread=str(form.spread.data),
            share=form.share.data,
            met=met,
        )

    return effect
