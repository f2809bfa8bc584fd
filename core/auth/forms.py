"""Forms of signing in and of setting or changing a password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from core.auth.passwords import PasswordRule, verify_password


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Адрес электронной почты"),
        validators=[DataRequired(_l("Введите адрес электронной почты.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Пароль"),
        validators=[DataRequired(_l("Введите пароль.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    agreement = BooleanField(
        _l("С пользовательским соглашением ознакомлен(а)"),
        validators=[DataRequired(_l("Чтобы войти, подтвердите, что ознакомились с пользовательским соглашением."))],
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("Новый пароль"),
        validators=[DataRequired(_l("Введите новый пароль.")), PasswordRule()],
        render_kw={"autocomplete": "new-password"},
    )
    new_password_again = PasswordField(
        _l("Новый пароль еще раз"),
        validators=[DataRequired(_l("Повторите новый пароль.")), EqualTo("new_password", _l("Пароли не совпадают."))],
        render_kw={"autocomplete": "new-password"},
    )


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    old_password = PasswordField(
        _l("Старый пароль"),
        validators=[DataRequired(_l("Введите старый пароль."))],
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_old_password(self, field):
        if not verify_password(self.user.password_hash, field.data or ""):
            raise ValidationError(_l("Старый пароль указан неверно."))

    def validate_new_password(self, field):
        if field.data and verify_password(self.user.password_hash, field.data):
            raise ValidationError(_l("Новый пароль должен отличаться от старого."))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Адрес электронной почты"),
        validators=[
            DataRequired(_l("Введите адрес электронной почты.")),
            Email(_l("Неверный формат адреса электронной почты."), check_deliverability=False),
            Length(max=254),
        ],
    )
