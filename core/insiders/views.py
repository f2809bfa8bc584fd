"""Clients read the list; Exchange admins keep it."""

import datetime

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import audit
from core.access import login_required, staff_required
from core.db import db
from core.insiders.models import Insider
from core.web import render

bp = Blueprint("insiders", __name__, template_folder="templates")


class InsiderForm(FlaskForm):
    full_name = StringField(_l("ФИО"), validators=[DataRequired(_l("Укажите ФИО.")), Length(max=255)])
    position = StringField(_l("Должность"), validators=[DataRequired(_l("Укажите должность.")), Length(max=255)])
    department = StringField(_l("Подразделение"), validators=[Optional(), Length(max=255)], default="")
    included_on = DateField(
        _l("Дата включения"), validators=[DataRequired(_l("Укажите дату включения."))], default=datetime.date.today
    )
    excluded_on = DateField(_l("Дата исключения"), validators=[Optional()])
    basis = StringField(_l("Основание"), validators=[Optional(), Length(max=500)], default="")

    def validate_excluded_on(self, field):
        if field.data and self.included_on.data and field.data < self.included_on.data:
            raise ValidationError(_l("Дата исключения не может быть раньше даты включения."))


FIELDS = ("full_name", "position", "department", "included_on", "excluded_on", "basis")


@bp.route("/insiders")
@login_required
def index():
    return render(
        "insiders/index.html",
        insiders=list(Insider.current()),
        former=list(Insider.former()) if current_user.is_staff else [],
        can_edit=current_user.is_staff and current_user.is_admin,
    )


@bp.route("/insiders/new", methods=["GET", "POST"])
@staff_required("admin")
def add():
    form = InsiderForm()
    if form.validate_on_submit():
        with db.atomic():
            insider = Insider.create(**_fields(form))
            audit.record("insider.add", insider, full_name=insider.full_name)
        flash(_("Сотрудник добавлен в список инсайдеров."), "success")
        return redirect(url_for("insiders.index"))
    return render("insiders/form.html", form=form, insider=None)


@bp.route("/insiders/<int:insider_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit(insider_id):
    insider = Insider.get_or_none(Insider.id == insider_id) or abort(404)
    form = InsiderForm(obj=insider)
    if form.validate_on_submit():
        with db.atomic():
            for name, value in _fields(form).items():
                setattr(insider, name, value)
            insider.save()
            audit.record("insider.update", insider, full_name=insider.full_name, excluded_on=insider.excluded_on)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("insiders.index"))
    return render("insiders/form.html", form=form, insider=insider)


def _fields(form) -> dict:
    data = {f: _clean(getattr(form, f).data) for f in FIELDS}
    for text in ("department", "basis"):  # optional text is stored empty, never NULL
        data[text] = data[text] or ""
    return data


def _clean(value):
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else value
