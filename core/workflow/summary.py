"""An application's summary (G-18..G-20, G-24): the page of every form, its PDF and each form's, the exact document
to be signed, and the comments beside the fields. The routes are on the workflow blueprint
(``core.workflow.views.bp``), so the endpoints stay ``workflow.summary``, ``workflow.summary_pdf``..."""

import hashlib
import re

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import login_required
from core.db import db
from core.pdf import pdf_response
from core.web import render
from core.workflow import changes, engine, steps
from core.workflow import comments as remarks
from core.workflow.forms import CommentForm
from core.workflow.views import _application_or_404, _may_comment, _uninstalled, bp


@bp.route("/applications/<int:app_id>/summary")
@login_required
def summary(app_id):
    app = _application_or_404(app_id)
    if engine.installed(app) is None:  # its forms are read by the definition, which is gone
        return _uninstalled(app)
    return render(
        "workflow/summary.html",
        app=app,
        procedure=engine.definition(app),
        process=engine.process_of(app),
        sections=steps.summary(app),
        comments=remarks.comments_by_field(app, current_user),
        can_comment=_may_comment(current_user, app),
        can_fill=engine.may_fill(current_user, app),
        attachments=engine.attachments(app),
    )


@bp.route("/applications/<int:app_id>/summary.pdf")
@login_required
def summary_pdf(app_id):
    app = _application_or_404(app_id)
    if engine.installed(app) is None:  # its forms are laid out by the definition, which is gone
        abort(404)
    snapshot = changes.in_force(app, current_user)
    sheet = changes.sheet(changes.compare(app, snapshot, current_user)) if snapshot is not None else None
    data = steps.summary_pdf(app, change_sheet=sheet, since=snapshot.created_at if snapshot else None)
    with db.atomic():  # its digest is kept: a signature made over it by mistake is then named for what it is
        audit.record(
            "application.download",
            app,
            organisation=app.organisation,
            document="summary",
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return pdf_response(data, f"{app.number}.pdf")


@bp.route("/applications/<int:app_id>/forms/<form_code>.pdf")
@login_required
def form_pdf(app_id, form_code):
    """ "Скачать документ": any single form as a PDF (G-18)."""
    app = _application_or_404(app_id)
    if engine.installed(app) is None:  # its forms are laid out by the definition, which is gone
        abort(404)
    section = next((s for s in steps.summary(app) if s["form_code"] == form_code), None) or abort(404)
    data = steps.form_pdf(app, section)
    with db.atomic():
        audit.record(
            "application.download",
            app,
            organisation=app.organisation,
            document=form_code,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return pdf_response(data, f"{app.number}-{form_code}.pdf")


@bp.route("/applications/<int:app_id>/signing-document")
@login_required
def signing_document(app_id):
    """The exact bytes to be signed, unchanged since "Согласовано"."""
    app = _application_or_404(app_id)
    if app.signing_file is None or not (
        engine.acts_as_first_head(current_user, app) or current_user.is_staff or engine.is_initiator(current_user, app)
    ):
        abort(404)
    with db.atomic():
        audit.record("application.download", app, organisation=app.organisation, document="signing")
    return app.signing_file.send(download_name=steps.signing_name(app))


@bp.route("/applications/<int:app_id>/comments/new")
@login_required
def comment_form(app_id):
    """The "Комментировать" dialog: a fragment for htmx, a page without JavaScript."""
    app = _application_or_404(app_id)
    if not _may_comment(current_user, app):
        abort(403)
    form = CommentForm(
        formdata=None, data={"form_code": request.args.get("form", ""), "field": request.args.get("field", "")}
    )
    return render("workflow/comment.html", "comment_dialog", app=app, form=form, label=request.args.get("label", ""))


@bp.route("/applications/<int:app_id>/comments", methods=["POST"])
@login_required
def add_comment(app_id):
    """ "Продолжить": the comment is kept as a draft until "Сохранить"."""
    app = _application_or_404(app_id)
    if not _may_comment(current_user, app):
        abort(403)
    form = CommentForm()
    if not form.validate_on_submit():
        response = render(
            "workflow/comment.html", "comment_dialog", app=app, form=form, label=request.form.get("label", "")
        )
        response.status_code = 422
        return response
    remarks.add_comment(app, current_user._get_current_object(), form.form_code.data, form.field.data, form.text.data)
    if request.htmx and not request.htmx.boosted:
        comments = remarks.comments_by_field(app, current_user).get((form.form_code.data, form.field.data), [])
        return render(
            "workflow/summary.html",
            "field_comments",
            comments=comments,
            app=app,
            form_code=form.form_code.data,
            field=form.field.data,
            oob=True,  # the dialog closes (its container empties); the comments update out of band
        )
    flash(_("Комментарий добавлен. Нажмите «Сохранить», чтобы его увидели другие."), "info")
    return redirect(
        url_for("workflow.summary", app_id=app.id)
        + "#f-"
        + re.sub(r"[^A-Za-z0-9_-]", "-", f"{form.form_code.data}-{form.field.data}")
    )


@bp.route("/applications/<int:app_id>/comments/save", methods=["POST"])
@login_required
def save_comments(app_id):
    app = _application_or_404(app_id)
    count = remarks.save_comments(app, current_user._get_current_object())
    flash(_("Комментарии сохранены: %(n)s.", n=count) if count else _("Новых комментариев нет."), "success")
    if request.args.get("back") == "application":  # "Сохранить" of the approval screen keeps him there
        return redirect(url_for("workflow.application", app_id=app.id))
    return redirect(url_for("workflow.summary", app_id=app.id))
