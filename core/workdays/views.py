"""The admins' screen of the working-day calendar."""

import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import audit, clock
from core.access import staff_required
from core.db import db
from core.forms import choices
from core.web import render
from core.workdays import holiday_names, package_weekend_workdays
from core.workdays.models import CalendarDay

bp = Blueprint("workdays", __name__, template_folder="templates")


class CalendarDayForm(FlaskForm):
    date = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату."))])
    working = RadioField(
        _l("Этот день"),
        choices=choices([("0", _l("выходной (перенесён)")), ("1", _l("рабочий"))]),
        validators=[DataRequired(_l("Выберите, рабочий это день или выходной."))],
    )
    note = StringField(
        _l("Основание"),
        validators=[Optional(), Length(max=255)],
        default="",
        description=_l("Например: постановление Правительства РК о переносе выходных дней."),
    )

    def validate_date(self, field):
        if field.data and CalendarDay.get_or_none(CalendarDay.date == field.data):
            raise ValidationError(_l("Для этой даты уже есть запись."))


@bp.route("/staff/calendar", methods=["GET", "POST"])
@staff_required("admin")
def index():
    try:
        year = int(request.args.get("year", clock.today().year))
        datetime.date(year, 1, 1)  # a year the calendar has (1..9999)
    except (ValueError, OverflowError):  # not a number, or past what a C integer holds
        abort(404)
    form = CalendarDayForm()
    if form.validate_on_submit():
        with db.atomic():
            day = CalendarDay.create(
                date=form.date.data, working=form.working.data == "1", note=(form.note.data or "").strip()
            )
            audit.record("calendar.add", day, date=day.date, working=day.working)
        flash(_("День добавлен в календарь."), "success")
        return redirect(url_for("workdays.index", year=form.date.data.year))
    days = list(
        CalendarDay.select()
        .where((CalendarDay.date >= datetime.date(year, 1, 1)) & (CalendarDay.date <= datetime.date(year, 12, 31)))
        .order_by(CalendarDay.date)
    )
    return render(
        "workdays/index.html",
        form=form,
        days=days,
        year=year,
        holidays=holiday_names(year, str(get_locale())),
        weekend_workdays=package_weekend_workdays(year),
    )


@bp.route("/staff/calendar/<int:day_id>/delete", methods=["POST"])
@staff_required("admin")
def delete(day_id):
    day = CalendarDay.get_or_none(CalendarDay.id == day_id) or abort(404)
    with db.atomic():
        audit.record("calendar.delete", day, date=day.date, working=day.working)
        day.delete_instance()
    flash(_("Запись удалена."), "success")
    return redirect(url_for("workdays.index", year=day.date.year))
