"""Applications: "Процедуры" and filing, the application with its stages and actions. The lists ("На рассмотрении",
"Архив", "Анкеты", the Exchange's inbox) are in ``core.workflow.lists``, the summary with its PDFs and
comments in ``core.workflow.summary``, the application's history in ``core.workflow.history`` and the catalogues'
administration in ``core.workflow.catalogue_admin``; they put their routes on this module's ``bp`` and are imported
at the end of this module, so that importing the blueprint always brings all of its routes."""

import json

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import client_required, login_required, refuse
from core.accounts.models import Organisation, User
from core.db import Prepared, Slot, db
from core.files import FileIntegrityError, store
from core.forms import choices, db_int
from core.web import render
from core.workdays import working_days_between
from core.workflow import changes, engine, formdata, reviewclock, steps
from core.workflow.comments import comments_by_field, comments_in_process
from core.workflow.definitions import ACTORS, CATEGORIES
from core.workflow.forms import (
    ACTION_FORMS,
    ConsultantForm,
    DocumentForm,
    FileForm,
    SecurityForm,
    prefix_of,
)
from core.workflow.models import (
    Application,
    ApplicationSecurity,
    Attachment,
    CascadeNode,
    FormData,
    Questionnaire,
    Transition,
)

bp = Blueprint("workflow", __name__, template_folder="templates")


# --- procedures and filing (G-9.1, G-12, G-13) ---------------------------------------------------


@bp.route("/procedures")
@client_required()
def procedures():
    registry = current_app.extensions["is2in.procedures"]
    by_category = []
    for category in CATEGORIES:
        items = sorted(
            (p for p in registry.values() if p.category == category.code), key=lambda p: (p.order, str(p.title))
        )
        if items:
            by_category.append(
                (category, [(p, p.can_be_filed and bool(engine.filing_companies(current_user, p))) for p in items])
            )
    return render("workflow/procedures.html", by_category=by_category)


def _procedure_or_404(code):
    procedure = current_app.extensions["is2in.procedures"].get(code)
    if procedure is None or not procedure.can_be_filed:
        abort(404)
    return procedure


@bp.route("/procedures/<code>/file", methods=["GET", "POST"])
@client_required()
def file(code):
    """ "Подать": choose the company (a consultant may file for a partner issuer), "Создать"."""
    procedure = _procedure_or_404(code)
    companies = engine.filing_companies(current_user, procedure)
    if not companies:
        abort(403)
    form = FileForm()
    form.company.choices = choices((c.id, f"{c.code} — {c.display_name}") for c in companies)
    if form.validate_on_submit():
        company = next(c for c in companies if str(c.id) == form.company.data)
        app = engine.create(procedure, company, current_user._get_current_object())
        flash(_("Заявление %(number)s создано. Заполните этапы по порядку.", number=app.number), "success")
        return redirect(url_for("workflow.application", app_id=app.id))
    return render("workflow/file.html", form=form, procedure=procedure)


# --- the application ------------------------------------------------------------------------------


# Every page of an application starts here: the SQL is built once per process (core.db.Prepared).
_WITH_COMPANY = Prepared(
    lambda: (
        Application.select(Application, Organisation)
        .join(Organisation, on=(Application.organisation == Organisation.id))
        .where(Application.id == Slot("id"))
        .limit(1)
    )
)


def _application_or_404(app_id) -> Application:
    app = _WITH_COMPANY.first(id=app_id)  # with its company, which every page of it shows
    if app is None:
        abort(404)
    if not engine.may_view(current_user, app):
        refuse(app)  # another organisation's application does not exist for this user (and it is recorded)
    return app


def _page(
    app,
    stage_code=None,
    forms=None,
    action_forms=None,
    status=200,
    security_form=None,
    document_form=None,
    consultant_form=None,
):
    if engine.installed(app) is None:
        return _uninstalled(app)
    procedure = engine.definition(app)
    process = engine.process_of(app)
    user = current_user._get_current_object()
    can_fill = engine.may_fill(user, app)
    stage = None
    if process.code == "fill" and can_fill:
        stages = process.stages
        stage = next((s for s in stages if s.code == stage_code), stages[0] if stages else None)
    if stage is not None and stage.kind == "securities" and request.args.get("cascade"):
        # The cascade's lists alone (htmx swaps #cascade as the user picks a level): only what they show.
        levels = steps.security_levels(stage, request.args)
        leaf = _leaf(stage, levels)
        return render("workflow/_cascade.html", "cascade", app=app, stage=stage, levels=levels, leaf=leaf)
    states = engine.stage_states(app)
    in_force = engine.note_in_force(app, user)
    context = {
        "app": app,
        "procedure": procedure,
        "process": process,
        "states": states,
        "stage": stage,
        "actions": engine.actions_for(user, app),
        "action_labels": engine.ACTION_LABELS,
        "action_forms": action_forms or {},
        "executor": engine.executor_label(app, {user.id: user}),
        # translated once for the page: the process chain asks each step's actor whether it is empty, which for
        # a lazy text is a translation through flask_babel's context lookups each time
        "actors": {code: str(label) for code, label in ACTORS.items()},
        "can_fill": can_fill,
        "can_delete": engine.may_delete(user, app),
        "comments": comments_by_field(app, user),
        "can_comment": _may_comment(user, app),
        "attachments": engine.attachments(app),
        "days_left": working_days_between(engine.today(), app.deadline) if app.deadline else None,
        # Each action's form has its own prefix: several on one page must not share ids.
        "action_form_for": lambda action: ACTION_FORMS[action](formdata=None, prefix=prefix_of(action)),
        "document_key": engine.document_key,
        "return_note": in_force if in_force and in_force.action == "return" else None,
        "request_note": in_force if in_force and in_force.action == "request_documents" else None,
        "clock": reviewclock.state(app),
    }
    snapshot = changes.in_force(app, user)
    if snapshot is not None:  # back with the one who sent it back: what changed since (issue 19.1)
        context["snapshot"] = snapshot
        context["changed_sections"] = changes.compare(app, snapshot, user)
    if process.code == "approval":
        # G-20: the first head approves what he sees: every form, the documents, the filer's covering note.
        context["review"] = steps.summary(app)
        context["covering_note"] = (
            Transition.select()
            .where((Transition.application == app) & (Transition.action == "send_to_head"))
            .order_by(Transition.id.desc())
            .first()
        )
    if stage is not None:
        context.update(_stage_context(app, stage, forms, security_form, document_form, consultant_form))
        if request.args.get("cascade") and stage.kind == "securities":
            return render("workflow/_cascade.html", "cascade", **context)
    response = render("workflow/application.html", **context)
    response.status_code = status
    return response


def _uninstalled(app):
    """An application whose procedure is no longer installed: what is stored about it, read-only (its stages,
    forms and processes were in the definition, which is gone), its documents and its history."""
    return render(
        "workflow/uninstalled.html",
        app=app,
        executor=engine.executor_label(app, {current_user.id: current_user}),
        attachments=engine.attachments(app),
    )


def _stage_context(app, stage, forms, security_form, document_form, consultant_form):
    context = {"stage_forms": {}, "prefill": {}}
    if stage.kind == "form":
        # what was saved in the stage's forms, in one read (engine.form_values reads one form)
        saved = _saved_forms(app, [spec.code for spec in stage.forms]) if stage.forms else {}
        for spec in stage.forms:
            if forms and spec.code in forms:
                form = forms[spec.code]
            elif spec.code in saved:
                form = formdata.load_form(spec.form, saved[spec.code].values, spec.prefix)
            else:
                known = formdata.known_values(app, spec)
                form = formdata.load_form(spec.form, known, spec.prefix)
                if known:
                    context.setdefault("prefilled", []).append(spec.code)
            context["stage_forms"][spec.code] = (spec, form)
            if spec.reusable and spec.code not in saved:
                context["prefill"][spec.code] = engine.questionnaires_for(app, spec.code)
    elif stage.kind == "consultant":
        form = consultant_form or ConsultantForm(formdata=None)
        form.employee.choices = choices(
            [("", _("— выберите —"))]
            + [
                (u.id, f"{u.full_name} ({u.organisation.code}), {u.position}")
                for u in engine.consultant_candidates(app)
            ]
        )
        context["consultant_form"] = form
        context["assigned"] = engine.form_values(app, stage.code)
    elif stage.kind == "securities":
        context["security_form"] = security_form or SecurityForm(
            formdata=request.args if request.args.get("isin") else None
        )
        context["levels"] = steps.security_levels(stage, request.args)
        context["leaf"] = _leaf(stage, context["levels"])
        context["securities"] = engine.securities(app)
        context["security_nodes"] = _nodes_of(context["securities"])
    elif stage.kind == "documents":
        form = document_form or DocumentForm(formdata=None)
        form.title.choices = choices([("", _("— выберите —"))] + [(engine.document_key(t), t) for t in stage.documents])
        context["document_form"] = form
        context["documents"] = engine.attachments(app, kinds=("document",))
    return context


_SAVED_FORMS: dict = {}


def _saved_forms(app, codes) -> dict:
    """What was saved in a stage's forms, by form code, in one read whose SQL is built once per process and number
    of forms (core.db.Prepared)."""
    count = len(codes)
    prepared = _SAVED_FORMS.get(count)
    if prepared is None:
        prepared = _SAVED_FORMS[count] = Prepared(
            lambda: FormData.select().where(
                (FormData.application == Slot("app")) & FormData.form_code.in_([Slot(f"code{n}") for n in range(count)])
            )
        )
    slots = {f"code{n}": code for n, code in enumerate(codes)}
    return {row.form_code: row for row in prepared.rows(app=app.id, **slots)}


def _leaf(stage, levels):
    from core.workflow.cascade import leaf

    return leaf(levels, len(stage.levels))


def _nodes_of(items):
    ids = {i for item in items for i in item.node_ids}
    return {n.id: n for n in CascadeNode.select().where(CascadeNode.id.in_(ids))} if ids else {}


def _may_comment(user, app) -> bool:
    if engine.installed(app) is None:  # a procedure no longer installed: read-only
        return False
    process = engine.process_of(app)
    if user.is_staff:
        return engine.may_act(user, app, process)
    return process.code == "approval" and engine.acts_as_first_head(user, app)


@bp.route("/applications/<int:app_id>")
@login_required
def application(app_id):
    app = _application_or_404(app_id)
    return _page(app, request.args.get("stage"))


def _stage_or_404(app, stage_code):
    try:
        return engine.definition(app).stage(stage_code)
    except KeyError:
        abort(404)


@bp.errorhandler(engine.WorkflowError)
def refused(exc):
    """The engine refused a change (the application moved on, another tab changed it, a rule said no; nothing was
    changed): the message is flashed and the user goes back to the application, to the stage he was on while he
    may still fill it. Only a form sent about an application is answered so; anything else (a page that cannot
    be shown, say) stays the error it was, and never a redirect to itself."""
    app_id = (request.view_args or {}).get("app_id")
    if request.method != "POST" or app_id is None:
        raise exc
    flash(exc.message, "danger")
    stage_code = request.view_args.get("stage_code")
    app = Application.get_or_none(Application.id == app_id)
    if stage_code and app is not None and engine.may_fill(current_user, app):
        return redirect(url_for("workflow.application", app_id=app_id, stage=stage_code))
    return redirect(url_for("workflow.application", app_id=app_id))


def _fill_guard(app):
    if not engine.may_fill(current_user, app):
        flash(_("Заявление сейчас не на заполнении: изменения не сохранены."), "danger")
        return redirect(url_for("workflow.application", app_id=app.id))
    return None


@bp.route("/applications/<int:app_id>/stages/<stage_code>", methods=["POST"])
@login_required
def save_stage(app_id, stage_code):
    """ "Сохранить" keeps the user on the stage; "Готово" saves and opens the next one (G-14)."""
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    if (guard := _fill_guard(app)) is not None:
        return guard
    done = request.form.get("do") == "done"
    forms = {spec.code: spec.form(prefix=spec.prefix) for spec in stage.forms}
    # "Сохранить" keeps whatever is typed, even incomplete; "Готово" needs every required field.
    valid = (
        all(form.validate() for form in forms.values())
        if done
        else all(_validate_types(form) for form in forms.values())
    )
    if not valid:  # each form's error summary says "not saved" once (issue 15: one banner, not two)
        return _page(app, stage.code, forms=forms, status=422)
    engine.save_forms(app, stage, forms, current_user._get_current_object(), done=done)
    if done:
        flash(_("Этап «%(stage)s» заполнен.", stage=stage.title), "success")
        return redirect(url_for("workflow.application", app_id=app.id, stage=_next_stage(app, stage)))
    flash(_("Сохранено."), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))


def _validate_types(form) -> bool:
    """For "Сохранить": only what would be unsafe to keep (bad dates, numbers, choices) blocks it."""
    ok = True
    for field in form:
        if field.type in ("CSRFTokenField",):
            continue
        blank = not any((value or "").strip() for value in (field.raw_data or []) if isinstance(value, str))
        if field.process_errors and not blank:  # an empty date or number is simply not filled in yet
            field.errors = list(field.process_errors)
            ok = False
    return ok and (not hasattr(form, "csrf_token") or form.csrf_token.validate(form))


def _next_stage(app, stage):
    stages = engine.process_of(app).stages
    index = [s.code for s in stages].index(stage.code)
    return stages[index + 1].code if index + 1 < len(stages) else "send"


@bp.route("/applications/<int:app_id>/stages/<stage_code>/skip", methods=["POST"])
@login_required
def skip_stage(app_id, stage_code):
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    engine.skip_stage(app, stage, current_user._get_current_object())
    flash(_("Этап «%(stage)s» пропущен.", stage=stage.title), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=_next_stage(app, stage)))


@bp.route("/applications/<int:app_id>/stages/<stage_code>/consultant", methods=["POST"])
@login_required
def assign_consultant(app_id, stage_code):
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    form = ConsultantForm()
    form.employee.choices = choices([("", "")] + [(u.id, u.full_name) for u in engine.consultant_candidates(app)])
    if not form.validate_on_submit():
        return _page(app, stage.code, consultant_form=form, status=422)
    employee = User.get_by_id(int(form.employee.data))
    engine.assign_consultant(app, stage, employee, current_user._get_current_object())
    flash(_("%(name)s назначен исполнителем и получил уведомление.", name=employee.full_name), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=_next_stage(app, stage)))


@bp.route("/applications/<int:app_id>/stages/<stage_code>/documents", methods=["POST"])
@login_required
def upload_document(app_id, stage_code):
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    if (guard := _fill_guard(app)) is not None:
        return guard
    form = DocumentForm()
    form.title.choices = choices([(engine.document_key(t), t) for t in stage.documents])
    if not form.validate_on_submit():
        return _page(app, stage.code, document_form=form, status=422)
    title = next(t for t in stage.documents if engine.document_key(t) == form.title.data)
    had = (
        Attachment.select()
        .where(
            (Attachment.application == app) & (Attachment.kind == "document") & (Attachment.title == form.title.data)
        )
        .exists()
    )
    stored = store(form.file_bytes, form.file.data.filename, form.file_kind)
    engine.attach_document(app, stage, form.title.data, stored, current_user._get_current_object())
    if had and form.title.data not in {engine.document_key(t) for t in stage.several}:
        flash(
            _(
                "Файл документа «%(title)s» заменён на %(name)s; прежний файл сохранён в истории.",
                title=title,
                name=form.file.data.filename,
            ),
            "success",
        )
    else:
        flash(_("Документ «%(title)s» приложен: %(name)s.", title=title, name=form.file.data.filename), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))


@bp.route("/applications/<int:app_id>/stages/<stage_code>/documents/done", methods=["POST"])
@login_required
def documents_done(app_id, stage_code):
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    if (guard := _fill_guard(app)) is not None:
        return guard
    have = {a.title for a in engine.attachments(app, kinds=("document",))}
    missing = [t for t in stage.documents if engine.document_key(t) not in have]
    if missing:
        flash(_("Не приложены документы: %(list)s.", list="; ".join(f"«{t}»" for t in missing)), "danger")
        return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))
    engine.mark_stage(app, stage, current_user._get_current_object(), "filled", "stage.done")
    flash(_("Этап «%(stage)s» заполнен.", stage=stage.title), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=_next_stage(app, stage)))


@bp.route("/applications/<int:app_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(app_id, attachment_id):
    app = _application_or_404(app_id)
    if (guard := _fill_guard(app)) is not None:
        return guard
    item = Attachment.get_or_none(
        (Attachment.id == attachment_id) & (Attachment.application == app) & (Attachment.kind == "document")
    ) or abort(404)
    with db.atomic():
        audit.record(
            "document.delete", app, organisation=app.organisation, title=item.title, file=item.file.original_name
        )
        item.delete_instance()
    flash(
        _("Файл %(name)s удалён из документа «%(title)s».", name=item.file.original_name, title=item.title), "success"
    )
    return redirect(url_for("workflow.application", app_id=app.id, stage=request.args.get("stage", "")))


@bp.route("/applications/<int:app_id>/attachments/<int:attachment_id>")
@login_required
def attachment(app_id, attachment_id):
    app = _application_or_404(app_id)
    item = Attachment.get_or_none((Attachment.id == attachment_id) & (Attachment.application == app)) or abort(404)
    with db.atomic():
        audit.record("document.download", app, organisation=app.organisation, title=item.title)
    try:
        return item.file.send()
    except FileIntegrityError as exc:
        current_app.logger.error("refused to serve a damaged file: %s", exc)
        abort(409)


# --- the dynamic form: securities (G-16) ----------------------------------------------------------


@bp.route("/applications/<int:app_id>/stages/<stage_code>/securities", methods=["POST"])
@login_required
def add_security(app_id, stage_code):
    """ "Добавить ценную бумагу": ISIN and the cascade, then "Добавить" opens its requirements form."""
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    if (guard := _fill_guard(app)) is not None:
        return guard
    form = SecurityForm()
    levels = steps.security_levels(stage, request.form)
    chosen = _leaf(stage, levels)
    if not form.validate_on_submit() or chosen is None:
        if chosen is None:
            flash(_("Выберите все уровни: %(levels)s.", levels=" › ".join(str(x) for x in stage.levels)), "danger")
        request.args = request.form  # re-render the cascade with what was chosen
        return _page(app, stage.code, security_form=form, status=422)
    if ApplicationSecurity.get_or_none(
        (ApplicationSecurity.application == app) & (ApplicationSecurity.isin == form.isin.data)
    ):
        form.isin.errors = [_("Эта ценная бумага уже добавлена в заявление.")]
        request.args = request.form
        return _page(app, stage.code, security_form=form, status=422)
    with db.atomic():
        item = ApplicationSecurity.create(
            application=app, isin=form.isin.data, path=steps.security_path(levels), form_code=chosen.form_code
        )
        engine.mark_stage(app, stage, current_user._get_current_object(), "progress", "security.add")
    return redirect(url_for("workflow.security", app_id=app.id, security_id=item.id))


def _security_or_404(app, security_id):
    return ApplicationSecurity.get_or_none(
        (ApplicationSecurity.id == security_id) & (ApplicationSecurity.application == app)
    ) or abort(404)


@bp.route("/applications/<int:app_id>/securities/<int:security_id>", methods=["GET", "POST"])
@login_required
def security(app_id, security_id):
    app = _application_or_404(app_id)
    item = _security_or_404(app, security_id)
    procedure = engine.definition(app)
    try:
        spec = procedure.form_spec(item.form_code)
    except KeyError:
        abort(404)
    stage = next(s for s in procedure.stages if s.kind == "securities")
    if request.method == "POST":
        if (guard := _fill_guard(app)) is not None:
            return guard
        form = spec.form()
        if form.validate_on_submit():
            with db.atomic():
                item.data = json.dumps(formdata.serialise(form), ensure_ascii=False, sort_keys=True)
                item.save()
                audit.record("security.requirements", app, organisation=app.organisation, isin=item.isin)
            flash(_("Требования по %(isin)s сохранены.", isin=item.isin), "success")
            return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))
        status = 422
    else:
        form = formdata.load_form(spec.form, item.values)
        status = 200
    nodes = _nodes_of([item])
    response = render(
        "workflow/security.html",
        app=app,
        item=item,
        spec=spec,
        form=form,
        stage=stage,
        path=[nodes[i] for i in item.node_ids if i in nodes],
        can_fill=engine.may_fill(current_user, app),
    )
    response.status_code = status
    return response


@bp.route("/applications/<int:app_id>/securities/<int:security_id>/delete", methods=["POST"])
@login_required
def delete_security(app_id, security_id):
    app = _application_or_404(app_id)
    if (guard := _fill_guard(app)) is not None:
        return guard
    item = _security_or_404(app, security_id)
    with db.atomic():
        audit.record("security.delete", app, organisation=app.organisation, isin=item.isin)
        item.delete_instance()
    flash(_("Ценная бумага %(isin)s удалена из заявления.", isin=item.isin), "success")
    stage = next(s for s in engine.definition(app).stages if s.kind == "securities")
    return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))


@bp.route("/applications/<int:app_id>/stages/<stage_code>/securities/done", methods=["POST"])
@login_required
def securities_done(app_id, stage_code):
    app = _application_or_404(app_id)
    stage = _stage_or_404(app, stage_code)
    if (guard := _fill_guard(app)) is not None:
        return guard
    items = engine.securities(app)
    unfilled = [i.isin for i in items if not i.values]
    if not items or unfilled:
        flash(
            _("Добавьте ценную бумагу и заполните требования по каждой: %(list)s.", list=", ".join(unfilled) or "—"),
            "danger",
        )
        return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))
    engine.mark_stage(app, stage, current_user._get_current_object(), "filled", "stage.done")
    flash(_("Этап «%(stage)s» заполнен.", stage=stage.title), "success")
    return redirect(url_for("workflow.application", app_id=app.id, stage=_next_stage(app, stage)))


# --- reuse of questionnaires (G-9.6) --------------------------------------------------------------


@bp.route("/applications/<int:app_id>/prefill/<form_code>", methods=["POST"])
@login_required
def prefill(app_id, form_code):
    app = _application_or_404(app_id)
    if (guard := _fill_guard(app)) is not None:
        return guard
    source = Questionnaire.get_or_none(
        (Questionnaire.id == request.form.get("questionnaire", type=db_int))
        & (Questionnaire.organisation == app.organisation)
        & (Questionnaire.form_code == form_code)
    ) or abort(404)
    stage = next(s for s in engine.definition(app).stages if any(f.code == form_code for f in s.forms))
    with db.atomic():
        FormData.insert(application=app, form_code=form_code, data=source.data, updated_by=current_user.id).on_conflict(
            conflict_target=[FormData.application, FormData.form_code],
            update={FormData.data: source.data, FormData.updated_by: current_user.id},
        ).execute()
        engine.mark_stage(app, stage, current_user._get_current_object(), "progress", "stage.prefill")
    flash(
        _(
            "Форма заполнена из анкеты заявления %(number)s. Проверьте сведения и нажмите «Готово».",
            number=source.application.number,
        ),
        "success",
    )
    return redirect(url_for("workflow.application", app_id=app.id, stage=stage.code))


# --- actions ----------------------------------------------------------------------------------------


@bp.route("/applications/<int:app_id>/act/<action>", methods=["POST"])
@login_required
def act(app_id, action):
    app = _application_or_404(app_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    if action not in engine.actions_for(current_user, app):
        flash(_("Это действие сейчас недоступно."), "danger")
        return redirect(url_for("workflow.application", app_id=app.id))
    form = form_class(prefix=prefix_of(action))
    user = current_user._get_current_object()
    valid = form.validate_on_submit()
    if valid and action == "return" and not (form.note.data or "").strip() and not comments_in_process(app, user):
        form.note.errors = [_("Напишите, что нужно исправить, или оставьте комментарий к полю.")]
        valid = False
    if not valid:
        return _page(app, action_forms={action: form}, status=422)
    before = app.process
    make_effect = steps.EFFECTS.get(action)
    note = form.note.data if hasattr(form, "note") and form.note.data else ""
    try:
        app = engine.transition(
            app,
            action,
            user,
            version=request.form.get("version", type=db_int, default=-1),
            note=note,
            effect=make_effect(form, user) if make_effect else None,
        )
    except engine.WorkflowError as exc:  # not ``refused``: the page comes back with the note typed in its form
        flash(exc.message, "danger")
        return _page(Application.get_by_id(app.id), action_forms={action: form}, status=409)
    flash(done_message(app, action, before), "success")
    if not engine.may_view(user, app):
        return redirect(url_for("workflow.active"))
    return redirect(url_for("workflow.application", app_id=app.id))


def done_message(app, action, before="") -> str:
    """What the action did, in words, after it is done (not the name of the button pressed)."""
    if action == "sign":
        if app.process == "registration":
            return _("Заявление подписано и направлено в канцелярию Биржи.")
        if before == "resigning":
            return _("Ответ на запрос подписан и направлен на Биржу.")
        return _("Заявление подписано и направлено на Биржу.")
    if action == "register":
        return _(
            "Заявление зарегистрировано: № %(number)s от %(date)s. Оно передано на рассмотрение.",
            number=app.registration_number,
            date=app.registered_on.strftime("%d.%m.%Y") if app.registered_on else "",
        )
    if action == "schedule" and app.meeting_at:
        return _(
            "Заседание назначено на %(date)s. Решение можно записать в день заседания или позже.",
            date=engine.meeting_date(app).strftime("%d.%m.%Y"),
        )
    messages = {
        "send_to_head": _("Заявление направлено первому руководителю на согласование."),
        "return": _("Заявление возвращено на доработку."),
        "approve": _("Заявление согласовано. Подпишите его ЭЦП."),
        "request_documents": _("Запрос дополнительных документов направлен инициатору допуска."),
        "answer": _("Ответ сохранён и направлен первому руководителю на подпись ЭЦП."),
        "decide": _("Решение записано. Подготовьте письмо Биржи."),
        "issue_letter": _("Письмо Биржи заверено печатью и направлено инициатору допуска."),
        "archive": _("Заявление перенесено в архив."),
        "withdraw": _("Заявление отозвано: рассмотрение прекращено."),
    }
    return messages.get(action) or _("Готово: %(action)s.", action=engine.ACTION_LABELS[action])


@bp.route("/applications/<int:app_id>/delete", methods=["POST"])
@login_required
def delete(app_id):
    """ "Удалить заявление" until it is sent to the Exchange (G-15)."""
    app = _application_or_404(app_id)
    engine.delete(app, current_user._get_current_object())
    flash(_("Заявление удалено."), "success")
    return redirect(url_for("workflow.active"))


bp.add_app_template_global(steps.signing_name, "signing_name")


@bp.app_template_filter("filesize")
def filesize(size) -> str:
    """A file's size as people read it: 820 Б, 14 КБ, 2,4 МБ."""
    size = int(size or 0)
    if size < 1024:
        return _("%(n)s Б", n=size)
    if size < 1024 * 1024:
        return _("%(n)s КБ", n=round(size / 1024))
    return _("%(n)s МБ", n=f"{size / 1048576:.1f}".replace(".", "," if str(get_locale()) != "en" else "."))


@bp.app_template_global()
def acting_poa(app):
    """The power of attorney under which the signed-in user acts for the first head here (None for the rest)."""
    if not current_user.is_authenticated or engine.process_of(app).actor != "first_head":
        return None
    return engine.acting_poa(current_user, app)


# The rest of the blueprint's routes: imported last, as they import ``bp`` from here.
from core.workflow import catalogue_admin, history, lists, summary  # noqa: E402, F401
