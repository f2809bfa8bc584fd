"""The market maker's obligations (the application's form) and the department's check of them (the action's)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import DecimalField, IntegerField


class TermsForm(FlaskForm):
    isin = StringField(
        _l("ISIN финансового инструмента"),
        validators=[DataRequired(_l("Укажите ISIN финансового инструмента.")), Length(min=12, max=12)],
    )
    max_spread = DecimalField(
        _l("Максимальный спред котировок, %"),
        validators=[DataRequired(_l("Укажите максимальный спред.")), NumberRange(min=0.01, max=100)],
    )
    min_volume = IntegerField(
        _l("Минимальный объём котировки, штук"),
        validators=[DataRequired(_l("Укажите минимальный объём котировки.")), NumberRange(min=1)],
    )
    quoting_share = IntegerField(
        _l("Доля торгового времени с котировками, %"),
        validators=[DataRequired(_l("Укажите долю торгового времени.")), NumberRange(min=1, max=100)],
    )


class CheckForm(FlaskForm):
    """What the department measured over the test period; the engine keeps ``note`` as the move's note."""

    spread = DecimalField(
        _l("Фактический средний спред, %"),
        validators=[DataRequired(_l("Укажите фактический спред.")), NumberRange(min=0)],
    )
    share = IntegerField(
        _l("Фактическая доля времени с котировками, %"),
        validators=[DataRequired(_l("Укажите фактическую долю времени.")), NumberRange(min=0, max=100)],
    )
    note = TextAreaField(_l("Вывод"), validators=[Optional(), Length(max=2000)])
