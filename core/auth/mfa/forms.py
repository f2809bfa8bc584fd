"""Forms of the second factor: a code from the app (or a recovery code), and the admin's exemption."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField(
        _l("Код подтверждения"),
        validators=[DataRequired(_l("Введите код из приложения.")), Length(max=32)],
        description=_l("Шесть цифр из приложения-аутентификатора или код восстановления."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )


class SignInCodeForm(CodeForm):
    remember = BooleanField(_l("Запомнить это устройство"))


class SetupForm(FlaskForm):
    code = StringField(
        _l("Код из приложения"),
        validators=[DataRequired(_l("Введите код из приложения.")), Length(max=32)],
        description=_l("Шесть цифр, которые приложение показывает для is2in сейчас."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
