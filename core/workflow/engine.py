"""The workflow engine: who may see and act on an application, and every state change it goes
through. Each change is one transaction, audited, and guarded by the application's version so that
a double click or a second tab never advances it twice."""

import datetime
import json

import peewee
from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from core import audit, clock
from core.accounts.models import DEPARTMENTS, StaffRole, User
from core.db import Prepared, Slot, db, utcnow
from core.integrations import webhooks
from core.notifications.service import notify
from core.partnerships.models import Partnership
from core.registry import LiveMap, step_actions
from core.workdays import add_working_days
from core.workflow.definitions import Procedure, Process, Stage
from core.workflow.formdata import form_values, serialise
from core.workflow.models import (
    Application,
    ApplicationMember,
    ApplicationSecurity,
    Attachment,
    FormData,
    OutgoingLetter,
    Questionnaire,
    StageState,
    Transition,
)

# The engine's own actions; plugins add theirs (``is2in_step_actions``, core.registry).
CORE_ACTION_LABELS = {
    "send_to_head": _l("Направить на согласование"),
    "return": _l("Вернуть на доработку"),
    "approve": _l("Согласовано"),
    "sign": _l("Подписать ЭЦП"),
    "register": _l("Зарегистрировать"),
    "request_documents": _l("Запросить дополнительные документы"),
    "answer": _l("Направить ответ"),
    "schedule": _l("Назначить заседание"),
    "decide": _l("Записать решение"),
    "issue_letter": _l("Направить письмо"),
    "archive": _l("Архивировать"),
    "withdraw": _l("Отзыв заявления"),
    "accept": _l("Принять"),
}
# Every action's button of the current app, the core's and the plugins'.
ACTION_LABELS = LiveMap(step_actions, lambda action: action.label)


class WorkflowError(Exception):
    """A change refused with a message for the user; nothing was changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- definitions ---------------------------------------------------------------------------------


def procedures() -> dict[str, Procedure]:
    return current_app.extensions["is2in.procedures"]


def definition(app: Application) -> Procedure:
    """The procedure exactly as it was when the application was created."""
    versions = current_app.extensions["is2in.procedure_versions"]
    found = versions.get((app.procedure, app.procedure_version))
    if found is None:
        raise WorkflowError(_("Процедура заявления больше не установлена в системе."))
    return found


def installed(app: Application) -> Procedure | None:
    """The application's procedure, or None when it is no longer installed (its plugin disabled or removed while
    its applications stay in the database): then only what is stored about it can be shown."""
    return current_app.extensions["is2in.procedure_versions"].get((app.procedure, app.procedure_version))


def process_of(app: Application) -> Process:
    return definition(app).process(app.process)


def today() -> datetime.date:
    """Today on the Exchange's clock (Asia/Almaty), where its deadlines are counted."""
    return clock.today()


# --- who may see and do what ---------------------------------------------------------------------


MEMBER_ROLES = "is2in_member_roles"  # in g: (user id, application id) -> the roles, read once per request


def member_roles(user, app) -> frozenset[str]:
    """The user's roles in the application. A page asks several times (may it view, fill, act, delete...): the
    roles are read once per request; whatever changes the members calls ``forget_member_roles``."""
    if not has_request_context():  # a job or a command may run long: it reads them each time
        return _read_member_roles(user, app)
    known = g.setdefault(MEMBER_ROLES, {})
    key = (getattr(user, "id", user), getattr(app, "id", app))
    if key not in known:
        known[key] = _read_member_roles(user, app)
    return known[key]


def _read_member_roles(user, app) -> frozenset[str]:
    return frozenset(role for (role,) in _MEMBER_ROLES.rows(application=app, user=user))


# What the application's page reads on every load (issue #20): the SQL of each is built once per process.
_MEMBER_ROLES = Prepared(
    lambda: (
        ApplicationMember.select(ApplicationMember.role)
        .where((ApplicationMember.application == Slot("application")) & (ApplicationMember.user == Slot("user")))
        .tuples()
    )
)
_STAGE_STATES = Prepared(lambda: StageState.select().where(StageState.application == Slot("application")))
_LAST_INTO = Prepared(
    lambda: (
        Transition.select()
        .where((Transition.application == Slot("application")) & (Transition.to_process == Slot("process")))
        .order_by(Transition.id.desc())
        .limit(1)
    )
)
_IN_FORCE = Prepared(
    lambda: (
        Attachment.select()
        .where((Attachment.application == Slot("application")) & (Attachment.kind != "replaced"))
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
)


def forget_member_roles() -> None:
    """After a change of an application's members: this request reads them again."""
    if has_request_context():
        g.pop(MEMBER_ROLES, None)


def may_view(user, app) -> bool:
    if user.is_staff:
        return app.submitted_at is not None and (
            # a procedure no longer installed names no department: the office, the board and the admins read it
            user.is_admin or user.in_department("office", getattr(installed(app), "department", None), "board")
        )
    if member_roles(user, app):
        return True
    # a substitute sees what waits for the first head while his power of attorney is in force
    if user.organisation_id != app.organisation_id or acting_poa(user, app) is None:
        return False
    try:
        return process_of(app).actor == "first_head"
    except (WorkflowError, KeyError):
        return False


def is_initiator(user, app) -> bool:
    """Users of the applicant who take part in it, and the assigned consultant employee."""
    return not user.is_staff and bool(member_roles(user, app) & {"author", "executor", "consultant"})


def is_first_head(user, app) -> bool:
    return not user.is_staff and user.organisation_id == app.organisation_id and user.is_first_head and user.is_active


def acting_poa(user, app):
    """The power of attorney in force today under which ``user`` acts for the first head of the application's
    organisation; None for the first head himself and for everybody else."""
    if user.is_staff or user.is_first_head and user.organisation_id == app.organisation_id:
        return None
    from core.delegation.models import PowerOfAttorney

    return PowerOfAttorney.in_force(user, app.organisation_id)


def acts_as_first_head(user, app) -> bool:
    """The first head, or his substitute within the dates of a signed power of attorney not revoked."""
    return is_first_head(user, app) or acting_poa(user, app) is not None


def may_act(user, app, process: Process | None = None) -> bool:
    process = process or process_of(app)
    actor = process.actor
    if actor == "initiator":
        return is_initiator(user, app)
    if actor == "first_head":
        return acts_as_first_head(user, app)
    if actor == "office":
        return user.is_staff and (user.in_department("office") or user.is_admin)
    if actor == "department":
        return user.is_staff and (user.in_department(definition(app).department) or user.is_admin)
    return False


def may_fill(user, app) -> bool:
    return app.process == "fill" and is_initiator(user, app)


def may_withdraw(user, app) -> bool:
    return (
        process_of(app).withdrawable
        and not user.is_staff
        and user.organisation_id == app.organisation_id
        and is_initiator(user, app)
    )


def may_delete(user, app) -> bool:
    """G-15: until the application is sent to the Exchange, by its author's organisation."""
    return (
        app.submitted_at is None
        and not user.is_staff
        and user.organisation_id == app.organisation_id
        and is_initiator(user, app)
    )


def actions_for(user, app) -> list[str]:
    process = process_of(app)
    actions = list(process.actions) if may_act(user, app, process) else []
    if "send_to_head" in actions and user.organisation_id != app.organisation_id:
        actions.remove("send_to_head")  # the consultant fills; the applicant sends
    if may_withdraw(user, app):
        actions.append("withdraw")
    return actions


def executors(app: Application, process: Process) -> list[User]:
    """Whoever must act in ``process``: the people to notify at a hand-off."""
    if process.actor == "initiator":
        ids = ApplicationMember.select(ApplicationMember.user).where(
            (ApplicationMember.application == app) & (ApplicationMember.role.in_(("author", "executor")))
        )
        return list(User.select().where(User.id.in_(ids) & (User.is_active == True)))  # noqa: E712
    if process.actor == "first_head":
        from core.delegation.models import PowerOfAttorney

        heads = list(
            User.select().where(
                (User.organisation == app.organisation_id) & (User.is_first_head == True) & (User.is_active == True)
            )
        )  # noqa: E712
        return heads + [u for u in PowerOfAttorney.substitutes_in_force(app.organisation_id) if u not in heads]
    if process.actor in ("office", "department"):
        department = "office" if process.actor == "office" else definition(app).department
        return list(
            User.select().join(StaffRole).where((StaffRole.department == department) & (User.is_active == True))
        )  # noqa: E712
    return []


def executor_label(app: Application, users: dict | None = None) -> str:
    if app.executor_id:
        executor = (users or {}).get(app.executor_id) or User.get_or_none(User.id == app.executor_id)
        if executor:
            return executor.full_name
    if installed(app) is None:  # whose turn it is (the office, a department) was in the definition, now gone
        return ""
    process = process_of(app)
    if process.actor == "office":
        return str(DEPARTMENTS["office"])
    if process.actor == "department":
        return str(DEPARTMENTS.get(definition(app).department, ""))
    return ""


# --- filing --------------------------------------------------------------------------------------


def filing_companies(user, procedure: Procedure) -> list:
    """G-13: the user's own organisation, and for a financial consultant its partner issuers."""
    companies = []
    org = user.organisation
    if org.roles & set(procedure.filers):
        companies.append(org)
    if procedure.consultant_files and org.has_role("consultant"):
        companies += [
            link.client
            for link in Partnership.clients_of(org).where(Partnership.kind == "consultant")
            if link.client.is_active and link.client.roles & set(procedure.filers)
        ]
    return companies


def create(procedure: Procedure, organisation, author: User) -> Application:
    with db.atomic():
        app = Application.create(
            number=f"tmp-{utcnow().timestamp()}-{author.id}",
            organisation=organisation,
            procedure=procedure.code,
            procedure_version=procedure.version,
            process=procedure.first_process.code,
            status=procedure.first_process.status,
            author=author,
            executor=author,
            filed_by_consultant=organisation.id != author.organisation_id,
        )
        # A number that no two concurrent creations can share: prefix, year and the row id.
        app.number = f"{procedure.prefix}-{today().year}-{app.id:05d}"
        app.save()
        ApplicationMember.create(application=app, user=author, role="author")
        if organisation.id != author.organisation_id:
            # Filed by the consultant for its partner: the issuer's admins take part from the start.
            for admin in User.active_in(organisation).where(User.is_org_admin == True):  # noqa: E712
                ApplicationMember.get_or_create(application=app, user=admin, role="executor")
        forget_member_roles()
        for stage in procedure.stages:
            StageState.create(application=app, stage=stage.code, status="empty")
        audit.record(
            "application.create",
            app,
            organisation=organisation,
            number=app.number,
            procedure=procedure.code,
            version=procedure.version,
        )
    return app


def delete(app: Application, user: User) -> None:
    with db.atomic():
        if not may_delete(user, app):
            raise WorkflowError(_("Заявление уже направлено на Биржу: удалить его нельзя."))
        audit.record("application.delete", app, organisation=app.organisation, number=app.number)
        app.delete_instance(recursive=True)


# --- stages --------------------------------------------------------------------------------------


def stage_states(app: Application) -> dict[str, StageState]:
    return {row.stage: row for row in _STAGE_STATES.rows(application=app)}


def _locked_fill(app: Application, user: User) -> Application:
    fresh = Application.get_by_id(app.id)
    if not may_fill(user, fresh):
        raise WorkflowError(_("Заявление сейчас не на заполнении: изменения не сохранены."))
    return fresh


def _set_stage(app, stage: Stage, status: str, user: User) -> None:
    (
        StageState.update(status=status, updated_by=user.id, updated_at=utcnow())
        .where((StageState.application == app) & (StageState.stage == stage.code))
        .execute()
    )


def save_forms(app: Application, stage: Stage, forms: dict, user: User, done: bool) -> None:
    """ "Сохранить" (done=False) keeps the stage in progress; "Готово" marks it "Заполнено"."""
    with db.atomic():
        app = _locked_fill(app, user)
        for code, form in forms.items():
            data = json.dumps(serialise(form), ensure_ascii=False, sort_keys=True)
            row, created = FormData.get_or_create(
                application=app, form_code=code, defaults={"data": data, "updated_by": user.id}
            )
            if not created:
                row.data, row.updated_by, row.updated_at = data, user.id, utcnow()
                row.save()
        _set_stage(app, stage, "filled" if done else "progress", user)
        audit.record("stage.done" if done else "stage.save", app, organisation=app.organisation, stage=stage.code)


def mark_stage(app: Application, stage: Stage, user: User, status: str, action: str) -> None:
    with db.atomic():
        app = _locked_fill(app, user)
        _set_stage(app, stage, status, user)
        audit.record(action, app, organisation=app.organisation, stage=stage.code)


def skip_stage(app: Application, stage: Stage, user: User) -> None:
    """ "Пропустить этап": a financial organisation without a consultant (G-14)."""
    if not stage.skippable:
        raise WorkflowError(_("Этот этап нельзя пропустить."))
    mark_stage(app, stage, user, "skipped", "stage.skip")


def consultant_candidates(app: Application) -> list[User]:
    partner_ids = Partnership.partners_of(app.organisation).where(Partnership.kind == "consultant")
    orgs = [link.partner for link in partner_ids]
    if not orgs:
        return []
    return list(
        User.select()
        .where(User.organisation.in_([o.id for o in orgs]) & (User.is_active == True))  # noqa: E712
        .order_by(User.last_name)
    )


def assign_consultant(app: Application, stage: Stage, employee: User, user: User) -> None:
    """G-14: the chosen employee of the partner consultant is notified and may now see and fill it."""
    if employee.id not in {u.id for u in consultant_candidates(app)}:
        raise WorkflowError(_("Выберите работника финансового консультанта — партнера организации."))
    with db.atomic():
        app = _locked_fill(app, user)
        ApplicationMember.delete().where(
            (ApplicationMember.application == app) & (ApplicationMember.role == "consultant")
        ).execute()
        ApplicationMember.create(application=app, user=employee, role="consultant")
        forget_member_roles()
        FormData.delete().where((FormData.application == app) & (FormData.form_code == stage.code)).execute()
        FormData.create(
            application=app,
            form_code=stage.code,
            updated_by=user.id,
            data=json.dumps(
                {
                    "employee": employee.id,
                    "name": employee.full_name,
                    "organisation": employee.organisation.display_name,
                },
                ensure_ascii=False,
            ),
        )
        _set_stage(app, stage, "filled", user)
        audit.record("stage.assign", app, organisation=app.organisation, stage=stage.code, employee=employee.email)
        notify(
            [employee],
            "workflow.assigned",
            procedure=definition(app).title,
            executor=user.full_name,
            message=_l("Вас назначили исполнителем по заявлению %(number)s: заполните сведения.", number=app.number),
            link=f"/applications/{app.id}",
        )


def document_key(title) -> str:
    """A required document's name as stored: its Russian source text, whatever the reader's language."""
    from flask_babel import force_locale

    with force_locale("ru"):
        return str(title)


def unfinished_stages(app: Application) -> list[Stage]:
    states = stage_states(app)
    return [
        stage
        for stage in process_of(app).stages
        if states.get(stage.code) is None or states[stage.code].status not in ("filled", "skipped")
    ]


# --- transitions ---------------------------------------------------------------------------------

KIND_FOR_ACTOR = "workflow.handoff"


def locked(app_id) -> Application:
    """The application's row, locked until the transaction ends (PostgreSQL's FOR UPDATE; SQLite's
    transactions already hold the write lock from their BEGIN IMMEDIATE), so a second press waits
    and then sees the first one's change."""
    query = Application.select().where(Application.id == app_id)
    if not isinstance(db.obj, peewee.SqliteDatabase):
        query = query.for_update()
    return query.get()


def transition(app: Application, action: str, user: User, version: int, note: str = "", effect=None) -> Application:
    """Move the application by ``action``. ``effect(app)`` runs inside the same transaction, after
    the checks and before the move (it may raise WorkflowError to refuse). ``version`` is the one the
    user's page showed: if the application changed since, nothing happens."""
    from core.workflow import changes, reviewclock  # they read the engine's helpers

    with db.atomic():
        fresh = locked(app.id)
        if fresh.version != version:
            raise WorkflowError(_("Заявление уже изменено (например, в другой вкладке). Обновите страницу."))
        process = process_of(fresh)
        if action not in actions_for(user, fresh):
            raise WorkflowError(_("Это действие сейчас недоступно."))
        target_code = "withdrawn" if action == "withdraw" else process.next_for(action)
        target = definition(fresh).process(target_code)
        poa = acting_poa(user, fresh) if process.actor == "first_head" and action != "withdraw" else None
        if effect is not None:
            effect(fresh)
        status = "revision" if action == "return" else target.status
        if target.deadline_days is not None:
            deadline = add_working_days(deadline_base(fresh, action), target.deadline_days)
        else:  # a deadline the effect set (the reviewer's date for more documents), or none
            deadline = fresh.deadline if action == "request_documents" else None
        # G-24's clock: stopped while the client owes documents, restarted with the days left (issue 19.2)
        deadline, clock_left = reviewclock.on_move(fresh, process, target, action, user, deadline)
        if action in changes.SENT_BACK:  # what it said when sent back, to compare with when it comes back (19.1)
            changes.take(fresh, action, process.code, user)
        moved = (
            Application.update(
                process=target.code,
                status=status,
                version=Application.version + 1,
                deadline=deadline,
                clock_left=clock_left,
                executor=_executor_id(fresh, target, user),
                archived_at=utcnow() if target.code == "archived" else Application.archived_at,
            )
            .where((Application.id == fresh.id) & (Application.version == version))
            .execute()
        )
        if not moved:
            raise WorkflowError(_("Заявление уже изменено (например, в другой вкладке). Обновите страницу."))
        Transition.create(
            application=fresh,
            action=action,
            from_process=process.code,
            to_process=target.code,
            actor=user,
            note=note or "",
            on_behalf=poa.wording() if poa else "",
        )
        fresh = Application.get_by_id(fresh.id)
        # the organisation's own systems hear of it once this move commits (webhooks, issue #19.4)
        webhooks.application_changed(fresh, action, process.code, target.code)
        current_app.extensions["is2in.pm"].hook.is2in_application_transition(
            application=fresh, action=action, from_process=process.code, to_process=target.code, user=user
        )
        if target.actor == "first_head":
            for head in executors(fresh, target):
                role = "first_head" if head.is_first_head else "substitute"
                ApplicationMember.get_or_create(application=fresh, user=head, role=role)
            forget_member_roles()
        audit.record(
            f"application.{action}",
            fresh,
            organisation=fresh.organisation,
            number=fresh.number,
            from_process=process.code,
            to_process=target.code,
            note=note or "",
            **(poa.details() if poa else {}),
        )
        people = [u for u in executors(fresh, target) if u.id != user.id]
        if people:
            notify(
                people,
                KIND_FOR_ACTOR,
                procedure=definition(fresh).title,
                executor=user.full_name,
                message=_l("Заявление %(number)s: %(process)s.", number=fresh.number, process=target.title),
                link=f"/applications/{fresh.id}",
            )
    return fresh


def meeting_date(app: Application) -> datetime.date | None:
    """The Almaty date of the decision body's meeting (kept in UTC)."""
    return (app.meeting_at + datetime.timedelta(hours=5)).date() if app.meeting_at else None


def deadline_base(app: Application, action: str) -> datetime.date:
    """The day a new deadline counts from: today, or for what follows a decision the meeting that took it
    (a letter is due so many working days after the meeting, however late the decision was written down)."""
    if action == "decide" and app.meeting_at:
        return meeting_date(app)
    return today()


def note_in_force(app: Application, viewer) -> Transition | None:
    """The note of the step the application is in now, for its header: the first head's return while the
    application is back with its filer (never shown to the Exchange: it is the applicant's internal note), the
    Exchange's request while more documents are due. An older note, already handled, is not shown."""
    last = _LAST_INTO.first(application=app, process=app.process)
    if last is None or last.action not in ("return", "request_documents"):
        return None
    if last.action == "return":
        if app.process != "fill":
            return None
        try:
            by_first_head = definition(app).process(last.from_process).actor == "first_head"
        except KeyError:
            by_first_head = False
        if viewer.is_staff and by_first_head:
            return None  # the applicant's own first head's note, internal to the applicant
    return last


def waiting_task(user) -> Application | None:
    """The oldest application waiting for ``user`` as its first head (approval or signature): where a first
    head lands when he signs in for the first time, having been told by e-mail that it waits for him."""
    if user.is_staff:
        return None
    ids = ApplicationMember.select(ApplicationMember.application).where(
        (ApplicationMember.user == user) & (ApplicationMember.role.in_(("first_head", "substitute")))
    )
    for app in (
        Application.select()
        .where(Application.id.in_(ids) & Application.status.not_in(("archived", "withdrawn")))
        .order_by(Application.id)
    ):
        try:
            if process_of(app).actor == "first_head" and may_act(user, app):
                return app
        except (WorkflowError, KeyError):
            continue
    return None


def register_outgoing(app: Application, title: str, signatory: User) -> OutgoingLetter:
    """The next number of the office's register of outgoing letters for this year, and today's (Almaty) date.
    Two letters written at the same moment never share a number: the register's (year, sequence) is unique and a
    lost race takes the next one."""
    issued = today()
    prefix = current_app.config.get("OUTGOING_PREFIX", "")
    head = first_head_of(app.organisation_id)
    addressee = f"{head.position} {head.full_name}".strip() if head else app.organisation.display_name
    for _attempt in range(10):
        sequence = (
            OutgoingLetter.select(peewee.fn.MAX(OutgoingLetter.sequence))
            .where(OutgoingLetter.year == issued.year)
            .scalar()
            or 0
        ) + 1
        try:
            with db.atomic():  # a savepoint: a lost race is retried, the caller's transaction goes on
                return OutgoingLetter.create(
                    year=issued.year,
                    sequence=sequence,
                    number=f"{prefix}{sequence}/{issued.year % 100:02d}",
                    issued_on=issued,
                    application=app,
                    title=str(title)[:500],
                    addressee=addressee[:500],
                    signatory=signatory,
                )
        except peewee.IntegrityError:
            continue
    raise WorkflowError(_("Не удалось присвоить письму исходящий номер: попробуйте ещё раз."))


def first_head_of(organisation_id) -> User | None:
    return (
        User.select()
        .where(
            (User.organisation == organisation_id) & (User.is_first_head == True) & (User.is_active == True)  # noqa: E712
        )
        .order_by(User.id)
        .first()
    )


def company_address(app: Application) -> str:
    """The company's legal address as the application gives it (any of its forms with a ``legal_address``)."""
    for row in FormData.select().where(FormData.application == app).order_by(FormData.id):
        address = row.values.get("legal_address")
        if address:
            return str(address)
    return ""


def _executor_id(app, target: Process, user):
    if target.actor == "initiator":
        # The author, while still in the application (an ex-partner's author was removed from it, G-9.4).
        if (
            ApplicationMember.select()
            .where((ApplicationMember.application == app) & (ApplicationMember.user == app.author_id))
            .exists()
        ):
            return app.author_id
        rows = executors(app, target)
        return rows[0].id if rows else None
    if target.actor == "first_head":
        heads = executors(app, target)
        return heads[0].id if heads else None
    return None


def archive_questionnaires(app: Application) -> None:
    """G-9.6: reusable forms of an archived application become questionnaires of its organisation."""
    procedure = definition(app)
    for stage in procedure.stages:
        for spec in stage.forms:
            if not spec.reusable:
                continue
            data = form_values(app, spec.code)
            if data:
                Questionnaire.create(
                    organisation=app.organisation,
                    form_code=spec.code,
                    title=str(spec.title),
                    data=json.dumps(data, ensure_ascii=False),
                    application=app,
                )


# The stage page offers its company's questionnaires of a form (G-9.6) by their title, application and date: those
# columns alone (not each questionnaire's stored form), in SQL built once per process.
_QUESTIONNAIRES = Prepared(
    lambda: (
        Questionnaire.select(
            Questionnaire.id,
            Questionnaire.title,
            Questionnaire.created_at,
            Questionnaire.application,
            Application.id,
            Application.number,
        )
        .join(Application)
        .where((Questionnaire.organisation == Slot("organisation")) & (Questionnaire.form_code == Slot("form_code")))
        .order_by(Questionnaire.created_at.desc())
    )
)


def questionnaires_for(app: Application, form_code: str):
    """The company's questionnaires of ``form_code``, newest first, each with its application's number."""
    return list(_QUESTIONNAIRES.rows(organisation=app.organisation_id, form_code=form_code))


def attachments(app, kinds=None):
    """The application's files in force, oldest first (a replaced version stays in the history only)."""
    if not kinds:
        return list(_IN_FORCE.rows(application=app))
    query = Attachment.select().where(Attachment.application == app).order_by(Attachment.uploaded_at, Attachment.id)
    if kinds:
        query = query.where(Attachment.kind.in_(kinds))
    else:
        query = query.where(Attachment.kind != "replaced")
    return list(query)


def attach_document(app: Application, stage: Stage, title: str, stored, user: User) -> Attachment:
    """A file for a required document of ``stage``: one file per document, a new upload replacing the one in force
    (kept as a replaced version, for the history), several files only where the stage's list allows them."""
    with db.atomic():
        app = _locked_fill(app, user)
        several = title in {document_key(t) for t in stage.several}
        if not several:
            for old in Attachment.select().where(
                (Attachment.application == app) & (Attachment.kind == "document") & (Attachment.title == title)
            ):
                Attachment.update(kind="replaced").where(Attachment.id == old.id).execute()
                audit.record(
                    "document.replace",
                    app,
                    organisation=app.organisation,
                    title=title,
                    old=old.file.original_name,
                    new=stored.original_name,
                )
        item = Attachment.create(application=app, kind="document", title=title, file=stored, uploaded_by=user.id)
        _set_stage(app, stage, "progress", user)
        audit.record("document.upload", app, organisation=app.organisation, stage=stage.code, title=title)
    return item


def securities(app):
    return list(
        ApplicationSecurity.select()
        .where(ApplicationSecurity.application == app)
        .order_by(ApplicationSecurity.created_at)
    )


def history(app):
    from core.audit.models import AuditEvent

    return list(
        AuditEvent.select(AuditEvent, User)
        .join(User, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id))
        .where((AuditEvent.object_type == "application") & (AuditEvent.object_id == str(app.id)))
        .order_by(AuditEvent.id)
    )
