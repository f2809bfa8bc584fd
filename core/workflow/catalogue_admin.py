"""The cascade catalogues (G-16), edited by the Exchange's admins: the values a securities stage offers level by
level. The routes are on the workflow blueprint (``core.workflow.views.bp``), so the endpoints stay
``workflow.catalogues``, ``workflow.add_node`` and ``workflow.toggle_node``."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from core import audit
from core.access import staff_required
from core.db import db
from core.forms import choices, db_int
from core.web import render
from core.workflow.models import CascadeNode
from core.workflow.views import bp


class NodeForm(FlaskForm):
    label_ru = StringField(
        _l("Наименование на русском языке"),
        validators=[DataRequired(_l("Укажите наименование на русском языке.")), Length(max=255)],
    )
    label_kk = StringField(
        _l("Наименование на казахском языке"),
        validators=[DataRequired(_l("Укажите наименование на казахском языке.")), Length(max=255)],
    )
    label_en = StringField(
        _l("Наименование на английском языке"),
        validators=[DataRequired(_l("Укажите наименование на английском языке.")), Length(max=255)],
    )
    form_code = SelectField(_l("Форма требований (для последнего уровня)"), validators=[Optional()])


def _catalogue_stages():
    """Every cascade the installed procedures use: catalogue code -> (levels, form specs)."""
    found = {}
    for procedure in current_app.extensions["is2in.procedure_versions"].values():
        for stage in procedure.stages:
            if stage.kind == "securities" and stage.catalogue:
                levels, specs = found.setdefault(stage.catalogue, (stage.levels, {}))
                specs.update({spec.code: spec for spec in stage.forms})
    return found


@bp.route("/staff/catalogues")
@staff_required("admin")
def catalogues():
    found = _catalogue_stages()
    code = request.args.get("catalogue") or next(iter(sorted(found)), "")
    if code and code not in found:
        abort(404)
    nodes = list(
        CascadeNode.select().where(CascadeNode.catalogue == code).order_by(CascadeNode.level, CascadeNode.position)
    )
    children = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    levels, specs = found.get(code, ((), {}))
    form = _node_form(specs, formdata=None)
    return render(
        "workflow/catalogues.html",
        catalogues=sorted(found),
        code=code,
        children=children,
        levels=levels,
        specs=specs,
        form=form,
    )


def _node_form(specs, **kwargs):
    form = NodeForm(**kwargs)
    form.form_code.choices = choices(
        [("", _("— нет (промежуточный уровень) —"))] + [(c, s.title) for c, s in sorted(specs.items())]
    )
    return form


@bp.route("/staff/catalogues/<catalogue>/nodes", methods=["POST"])
@staff_required("admin")
def add_node(catalogue):
    found = _catalogue_stages()
    if catalogue not in found:
        abort(404)
    levels, specs = found[catalogue]
    parent_id = request.form.get("parent", type=db_int)
    parent = (
        CascadeNode.get_or_none((CascadeNode.id == parent_id) & (CascadeNode.catalogue == catalogue))
        if parent_id
        else None
    )
    level = parent.level + 1 if parent else 0
    form = _node_form(specs)
    if level >= len(levels):
        flash(_("У этого справочника нет следующего уровня."), "danger")
    elif form.validate_on_submit():
        with db.atomic():
            node = CascadeNode.create(
                catalogue=catalogue,
                parent=parent,
                level=level,
                label_ru=form.label_ru.data.strip(),
                label_kk=form.label_kk.data.strip(),
                label_en=form.label_en.data.strip(),
                form_code=form.form_code.data if level == len(levels) - 1 else "",
                position=CascadeNode.select().where(CascadeNode.parent == parent).count(),
            )
            audit.record("catalogue.add", node, catalogue=catalogue, label=node.label_ru)
        flash(_("Значение «%(label)s» добавлено.", label=node.label_ru), "success")
    else:
        flash(_("Проверьте наименования на трёх языках: значение не добавлено."), "danger")
    return redirect(url_for("workflow.catalogues", catalogue=catalogue))


@bp.route("/staff/catalogues/nodes/<int:node_id>/toggle", methods=["POST"])
@staff_required("admin")
def toggle_node(node_id):
    node = CascadeNode.get_or_none(CascadeNode.id == node_id) or abort(404)
    with db.atomic():
        CascadeNode.update(is_active=not node.is_active).where(CascadeNode.id == node.id).execute()
        audit.record("catalogue.toggle", node, catalogue=node.catalogue, label=node.label_ru, active=not node.is_active)
    flash(
        _("Значение «%(label)s» скрыто из выбора.", label=node.label_ru)
        if node.is_active
        else _("Значение «%(label)s» снова доступно.", label=node.label_ru),
        "success",
    )
    return redirect(url_for("workflow.catalogues", catalogue=node.catalogue))
