"""Browse and download the library; Exchange staff publish and withdraw documents."""

import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import audit, clock
from core.access import login_required, rule_for, staff_required
from core.db import db, matches, utcnow
from core.files import FileIntegrityError, sniff, store
from core.forms import choices
from core.regulations.models import KINDS, RegulatoryDocument
from core.web import render

bp = Blueprint("regulations", __name__, template_folder="templates")

# Admins publish; create_app adds every department that reviews an installed procedure (access.widen).
PUBLISHERS = ("admin",)
ACCEPTED = ("pdf", "docx", "ole")


def publishers() -> tuple:
    """The departments that may publish in this app: the rule "Опубликовать" really runs under."""
    return rule_for("regulations.publish").departments


class DocumentForm(FlaskForm):
    title = StringField(_l("Наименование"), validators=[DataRequired(_l("Укажите наименование.")), Length(max=500)])
    kind = SelectField(
        _l("Вид документа"), choices=choices(KINDS.items()), validators=[DataRequired(_l("Выберите вид документа."))]
    )
    number = StringField(_l("Номер"), validators=[Optional(), Length(max=64)])
    adopted_on = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату в формате ДД.ММ.ГГГГ."))])
    file = FileField(_l("Файл (PDF, DOC или DOCX)"), validators=[FileRequired(_l("Приложите файл."))])

    def validate_adopted_on(self, field):
        if field.data and field.data > clock.today() + datetime.timedelta(days=366):
            raise ValidationError(_l("Дата слишком далеко в будущем."))

    def validate_file(self, field):
        data = field.data.read()
        field.data.seek(0)
        if not data:
            raise ValidationError(_l("Файл пустой."))
        self.kind_of_file = sniff(data)
        if self.kind_of_file not in ACCEPTED:
            raise ValidationError(_l("Допустимы только файлы PDF, DOC и DOCX (проверяется содержимое файла)."))
        self.file_bytes = data


@bp.route("/regulations")
@login_required
def index():
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()
    query = RegulatoryDocument.published()
    if kind in KINDS:
        query = query.where(RegulatoryDocument.kind == kind)
    if q:
        query = query.where(matches(RegulatoryDocument.title, q) | (RegulatoryDocument.number == q))
    can_publish = current_user.is_staff and (current_user.in_department(*publishers()) or current_user.is_admin)
    return render(
        "regulations/index.html",
        "document_list",
        documents=list(query),
        kinds=KINDS,
        kind=kind,
        q=q,
        can_publish=can_publish,
    )


@bp.route("/regulations/<int:doc_id>/download")
@login_required
def download(doc_id):
    doc = RegulatoryDocument.get_or_none(
        (RegulatoryDocument.id == doc_id) & RegulatoryDocument.withdrawn_at.is_null()
    ) or abort(404)
    try:
        return doc.file.send()
    except FileIntegrityError as exc:
        current_app.logger.error("refused to serve a damaged file: %s", exc)
        return render_template(
            "error.html",
            code=409,
            message=_("Файл документа повреждён или отсутствует в хранилище. Администратор уведомлён."),
        ), 409


@bp.route("/regulations/new", methods=["GET", "POST"])
@staff_required(*PUBLISHERS)
def publish():
    form = DocumentForm()
    if form.validate_on_submit():
        with db.atomic():
            stored = store(form.file_bytes, form.file.data.filename, form.kind_of_file)
            doc = RegulatoryDocument.create(
                title=form.title.data.strip(),
                kind=form.kind.data,
                number=(form.number.data or "").strip(),
                adopted_on=form.adopted_on.data,
                file=stored,
                published_by=current_user.id,
            )
            audit.record("regulation.publish", doc, title=doc.title, sha256=stored.sha256)
        flash(_("Документ опубликован."), "success")
        return redirect(url_for("regulations.index"))
    return render("regulations/form.html", form=form)


@bp.route("/regulations/<int:doc_id>/withdraw", methods=["POST"])
@staff_required(*PUBLISHERS)
def withdraw(doc_id):
    doc = RegulatoryDocument.get_or_none(RegulatoryDocument.id == doc_id) or abort(404)
    with db.atomic():
        (
            RegulatoryDocument.update(withdrawn_at=utcnow())
            .where((RegulatoryDocument.id == doc.id) & RegulatoryDocument.withdrawn_at.is_null())
            .execute()
        )
        audit.record("regulation.withdraw", doc, title=doc.title)
    flash(_("Документ снят с публикации."), "success")
    return redirect(url_for("regulations.index"))
