"""Forms of organisations and user accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.accounts.models import DEPARTMENTS, ORG_ROLES, Organisation, User, normalise_email
from core.accounts.validators import XIN
from core.auth.passwords import problems, verify_password
from core.forms import choices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _required(message):
    return DataRequired(message)


class OrganisationForm(FlaskForm):
    code = StringField(
        _l("Код компании"),
        validators=[
            _required(_l("Укажите код компании.")),
            Length(max=16),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Код: латинские буквы, цифры, «-» и «_».")),
        ],
        description=_l("Торговый код, например KZTK."),
    )
    legal_form = StringField(
        _l("Организационно-правовая форма"),
        validators=[_required(_l("Укажите организационно-правовую форму.")), Length(max=32)],
        description=_l("Например: АО, ТОО."),
    )
    name_ru = StringField(
        _l("Наименование на русском языке"),
        validators=[_required(_l("Укажите наименование на русском языке.")), Length(max=255)],
    )
    name_kk = StringField(
        _l("Наименование на казахском языке"),
        validators=[_required(_l("Укажите наименование на казахском языке.")), Length(max=255)],
    )
    name_en = StringField(
        _l("Наименование на английском языке"),
        validators=[_required(_l("Укажите наименование на английском языке.")), Length(max=255)],
    )
    bin = StringField(_l("БИН"), validators=[_required(_l("Укажите БИН.")), XIN(_l("БИН"))])
    roles = MultiCheckboxField(
        _l("Роли"),
        choices=choices((k, v) for k, v in ORG_ROLES.items() if k != "exchange"),
        validators=[_required(_l("Выберите хотя бы одну роль."))],
    )
    is_active = BooleanField(_l("Активна"), default=True)

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if organisation is not None and organisation.is_exchange:
            self.roles.choices = choices([("exchange", ORG_ROLES["exchange"])])

    def _unique(self, field, column, message):
        query = Organisation.select().where(column == field.data.strip())
        if self.organisation is not None:
            query = query.where(Organisation.id != self.organisation.id)
        if query.exists():
            raise ValidationError(message)

    def validate_code(self, field):
        field.data = field.data.strip().upper()
        self._unique(field, Organisation.code, _l("Организация с таким кодом уже есть."))

    def validate_bin(self, field):
        self._unique(field, Organisation.bin, _l("Организация с таким БИН уже есть."))


class UserForm(FlaskForm):
    last_name = StringField(_l("Фамилия"), validators=[_required(_l("Укажите фамилию.")), Length(max=100)])
    first_name = StringField(_l("Имя"), validators=[_required(_l("Укажите имя.")), Length(max=100)])
    middle_name = StringField(_l("Отчество (при наличии)"), validators=[Optional(), Length(max=100)])
    position = StringField(_l("Должность"), validators=[_required(_l("Укажите должность.")), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[
            _required(_l("Укажите адрес электронной почты.")),
            Email(_l("Неверный формат адреса электронной почты."), check_deliverability=False),
            Length(max=254),
        ],
    )
    phone = TelField(
        _l("Телефон"),
        validators=[
            _required(_l("Укажите телефон.")),
            Length(max=32),
            Regexp(r"^\+?[0-9 ()-]{6,}$", message=_l("Телефон: цифры, пробелы, скобки и «+».")),
        ],
        description=_l("Например: +7 701 123 45 67"),
    )
    iin = StringField(
        _l("ИИН"),
        validators=[Optional(), XIN(_l("ИИН"))],
        description=_l("Обязателен для первого руководителя: с ним сверяется сертификат ЭЦП."),
    )
    is_first_head = BooleanField(_l("Первый руководитель (подписывает ЭЦП)"))
    is_org_admin = BooleanField(_l("Администратор организации (добавляет пользователей)"))
    is_active = BooleanField(_l("Активен"), default=True)
    departments = MultiCheckboxField(_l("Подразделения Биржи"))

    def __init__(self, *args, user=None, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if staff:
            del self.is_first_head
            del self.is_org_admin
            # the core's departments and the installed plugins' (read per form: plugins declare them)
            self.departments.choices = choices(DEPARTMENTS.items())
        else:
            del self.departments

    def validate_email(self, field):
        field.data = normalise_email(field.data)
        query = User.select().where(User.email == field.data)
        if self.user is not None:
            query = query.where(User.id != self.user.id)
        if query.exists():
            raise ValidationError(_l("Пользователь с таким адресом электронной почты уже есть."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.iin.data = (self.iin.data or "").strip() or None
        # The IIN is what a first head's e-signature certificate is checked against.
        if "is_first_head" in self._fields and self.is_first_head.data and not self.iin.data:
            self.iin.errors = list(self.iin.errors) + [_l("Для первого руководителя ИИН обязателен.")]
            return False
        return valid

    def validate_departments(self, field):
        if not field.data:
            raise ValidationError(_l("Выберите хотя бы одно подразделение."))

    def user_fields(self) -> dict:
        names = (
            "last_name",
            "first_name",
            "middle_name",
            "position",
            "email",
            "phone",
            "iin",
            "is_first_head",
            "is_org_admin",
            "is_active",
        )
        data = {name: self._fields[name].data for name in names if name in self._fields}
        if self.user is None:
            data["is_active"] = True  # a new account starts active; the checkbox is shown only when editing
        for name in ("last_name", "first_name", "middle_name", "position", "phone"):
            if name in data:
                data[name] = (data[name] or "").strip()
        return data


class ProfileForm(FlaskForm):
    """G-8.2: the fields a user edits in "Редактировать профиль"."""

    first_name = StringField(_l("Имя"), validators=[_required(_l("Укажите имя.")), Length(max=100)])
    last_name = StringField(_l("Фамилия"), validators=[_required(_l("Укажите фамилию.")), Length(max=100)])
    position = StringField(_l("Должность"), validators=[_required(_l("Укажите должность.")), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[
            _required(_l("Укажите адрес электронной почты.")),
            Email(_l("Неверный формат адреса электронной почты."), check_deliverability=False),
            Length(max=254),
        ],
    )
    phone = TelField(
        _l("Телефон"),
        validators=[
            _required(_l("Укажите телефон.")),
            Length(max=32),
            Regexp(r"^\+?[0-9 ()-]{6,}$", message=_l("Телефон: цифры, пробелы, скобки и «+».")),
        ],
    )

    old_password = PasswordField(
        _l("Старый пароль"), validators=[Optional()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("Новый пароль"), validators=[Optional()], render_kw={"autocomplete": "new-password"}
    )
    new_password_again = PasswordField(
        _l("Новый пароль еще раз"), validators=[Optional()], render_kw={"autocomplete": "new-password"}
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    validate_email = UserForm.validate_email

    @property
    def changes_password(self) -> bool:
        return any((self.old_password.data, self.new_password.data, self.new_password_again.data))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.changes_password:
            return valid
        # The password section is optional, but once started it must be complete and right.
        if not self.old_password.data:
            self.old_password.errors.append(_l("Введите старый пароль."))
        elif not verify_password(self.user.password_hash, self.old_password.data):
            self.old_password.errors.append(_l("Старый пароль указан неверно."))
        broken = problems(self.new_password.data or "")
        if broken:
            self.new_password.errors.append(
                _l("Пароль не отвечает требованиям: %(list)s.", list=", ".join(str(p) for p in broken))
            )
        elif verify_password(self.user.password_hash, self.new_password.data):
            self.new_password.errors.append(_l("Новый пароль должен отличаться от старого."))
        if self.new_password.data != self.new_password_again.data:
            self.new_password_again.errors.append(_l("Пароли не совпадают."))
        return valid and not any((self.old_password.errors, self.new_password.errors, self.new_password_again.errors))
