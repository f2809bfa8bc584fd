"""Procedure definitions that plugins contribute (G-11), filed under the categories plugins declare (G-12).

A procedure is a chain of processes; a process is a set of subprocesses; a subprocess a set of stages;
a stage a set of forms. Who acts in each process and where each action leads are data too, so a
plugin describes a procedure without writing views.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from core.registry import Category, LiveCategories, LiveMap, categories  # noqa: F401  (Category: its old home)

# G-12: the procedure categories. Each plugin declares its own (``is2in_categories``); these read the current app's.
CATEGORIES = LiveCategories()
CATEGORY_BY_CODE = LiveMap(lambda: {c.code: c for c in categories()}, lambda c: c)


@dataclass(frozen=True)
class FormSpec:
    """A form (G-11): a WTForms class under a code unique across all procedures.

    ``reusable`` forms are kept as questionnaires ("Анкеты") when the application is archived and
    offered as a pre-fill wherever the same form appears again (G-9.6).
    """

    code: str
    title: str
    form: type
    reusable: bool = False
    # What the Exchange already knows of the company, as the form's values: ``prefill(organisation) -> dict``.
    # Shown in a form not yet saved (with what the company gave in its latest earlier application), editable.
    prefill: object = None

    @property
    def prefix(self) -> str:
        """The field-name prefix on a page (forms of one stage must differ in it)."""
        return self.code.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Stage:
    """A tab of the filling process (G-14).

    ``kind``: "form" (fill ``forms``), "consultant" (pick an employee of the partner consultant),
    "securities" (the dynamic cascade of G-16 over ``catalogue``), "documents" (upload ``documents``).
    """

    code: str
    title: str
    kind: str = "form"
    forms: tuple[FormSpec, ...] = ()
    skippable: bool = False
    documents: tuple[str, ...] = ()
    several: tuple[str, ...] = ()  # documents of ``documents`` that may have several files; others have one
    catalogue: str = ""
    levels: tuple[str, ...] = ()  # the cascade's level names, e.g. Площадка, Сектор, Категория, Пакеты


@dataclass(frozen=True)
class Subprocess:
    code: str
    title: str
    stages: tuple[Stage, ...] = ()


# Who acts in a process.
ACTORS = {
    "initiator": _l("Инициатор допуска"),
    "first_head": _l("Первый руководитель"),
    "office": _l("Канцелярия Биржи"),
    "department": _l("Уполномоченное лицо Биржи"),
    "none": "",
}


@dataclass(frozen=True)
class Process:
    """A step of the chain. ``transitions`` maps an action code to the process it leads to;
    ``status`` is the application's status while it is here."""

    code: str
    title: str
    actor: str
    status: str
    subprocesses: tuple[Subprocess, ...] = ()
    transitions: tuple[tuple[str, str], ...] = ()
    deadline_days: int | None = None
    withdrawable: bool = False
    # G-24: a review deadline in working days that stops while the client owes documents and restarts, with the
    # days left, when the answer arrives (the FCA's statutory clock). None: on wherever the process has a deadline
    # and a request for documents; a procedure sets False to count its deadline afresh on every return instead.
    clock_stops: bool | None = None

    @property
    def stopping_clock(self) -> bool:
        if self.clock_stops is not None:
            return self.clock_stops and self.deadline_days is not None
        return self.deadline_days is not None and "request_documents" in self.actions

    def next_for(self, action: str) -> str | None:
        return dict(self.transitions).get(action)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.transitions)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(stage for sub in self.subprocesses for stage in sub.stages)


@dataclass(frozen=True)
class Procedure:
    """A procedure a client can file (G-11). ``code`` is unique across all plugins; an application
    keeps the ``version`` it was created with, so a plugin adds a new version instead of editing one
    that applications already follow.

    ``filers`` names the organisation roles whose users may file it; a financial consultant may
    also file for a partner issuer when ``consultant_files`` is set (G-13). ``department`` is the
    Exchange department that reviews it; ``decision_body`` who decides.
    """

    code: str
    category: str
    title: str
    description: str = ""
    filers: tuple[str, ...] = ("issuer",)
    consultant_files: bool = False
    version: int = 1
    order: int = 100
    documents: tuple[str, ...] = field(default=())
    processes: tuple[Process, ...] = ()
    department: str = "listing"
    decision_body: str = ""
    prefix: str = "A"

    def __post_init__(self):
        # The category, the department and the actions are checked at start-up against what the installed
        # plugins declare (core.registry.check_procedure): a plugin builds its procedures before any app exists.
        codes = [p.code for p in self.processes]
        if len(codes) != len(set(codes)):
            raise ValueError(f"procedure {self.code}: duplicate process codes")
        for process in self.processes:
            for action, target in process.transitions:
                if target not in codes:
                    raise ValueError(f"procedure {self.code}: {process.code}.{action} leads to unknown {target!r}")

    @property
    def can_be_filed(self) -> bool:
        return bool(self.processes)

    def process(self, code: str) -> Process:
        for process in self.processes:
            if process.code == code:
                return process
        raise KeyError(code)

    @property
    def first_process(self) -> Process:
        return self.processes[0]

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(stage for process in self.processes for stage in process.stages)

    def stage(self, code: str) -> Stage:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(code)

    def form_spec(self, code: str) -> FormSpec:
        for stage in self.stages:
            for spec in stage.forms:
                if spec.code == code:
                    return spec
        raise KeyError(code)


FILL_TITLE = _l(
    "Заполните необходимые сведения, заявление, подтвердите соответствие эмитента и его ценных "
    "бумаг листинговым критериям (требованиям) и приложите пакет документов"
)
SEND_TITLE = _l("Направьте первому руководителю заявление и документы с целью их проверки и дальнейшего подписания")
VIEW_TITLE = _l("Просмотр заявления и документов, направленных на Биржу")


def standard_processes(
    stages,
    *,
    fill_title=FILL_TITLE,
    decision_body=_l("Листинговая комиссия"),
    review_days=10,
    meeting=True,
    clock_stops=True,
) -> tuple[Process, ...]:
    """The chain of the guide (G-13..G-25): filling, first head's approval and signature,
    registration by the office, review with requests for more documents, the decision body's
    meeting, the Exchange's letter, archive. ``meeting=False`` leaves out the meeting (decided by
    the department itself); ``clock_stops=False`` counts the review's deadline afresh after each answer instead of
    stopping its clock while the client owes documents."""
    view = Subprocess("view", VIEW_TITLE)
    review_next = ("schedule", "meeting") if meeting else ("decide", "result")
    chain = [
        Process(
            "fill",
            fill_title,
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
            (("sign", "registration"), ("return", "fill")),
        ),
        Process(
            "registration",
            _l("Регистрация канцелярией Биржи заявления от инициатора допуска"),
            "office",
            "submitted",
            (view,),
            (("register", "review"),),
            deadline_days=1,
            withdrawable=True,
        ),
        Process(
            "review",
            _l("Рассмотрение заявления и документов уполномоченным лицом Биржи"),
            "department",
            "submitted",
            (view,),
            (("request_documents", "additional"), review_next),
            deadline_days=review_days,
            withdrawable=True,
            clock_stops=clock_stops,
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
    ]
    if meeting:
        chain.append(
            Process(
                "meeting",
                _l("Рассмотрение на заседании: %(body)s", body=decision_body),
                "department",
                "submitted",
                (view,),
                (("decide", "result"),),
            )
        )
    chain += [
        Process(
            "result",
            _l("Решение Биржи: письмо (заключение)"),
            "department",
            "submitted",
            (view,),
            (("issue_letter", "closing"),),
            deadline_days=3,
        ),
        Process("closing", _l("Архивация заявления"), "department", "submitted", (view,), (("archive", "archived"),)),
        Process("archived", _l("Архив"), "none", "archived", (view,)),
        Process("withdrawn", _l("Заявление отозвано"), "none", "withdrawn", (view,)),
    ]
    return tuple(chain)
