"""The forms of the membership procedures (WTForms). Labels are the Russian UI; the plugin's
catalogue translates them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput

from core import (
    PICK,
    XIN,
    IntegerField,
    actual_address_field,
    choices,
    clock,
    company_contacts,
    company_names,
    company_registration,
    required,
)
from core import MultiCheckboxField as CoreMultiCheckboxField
from plugins.membership.models import CATEGORIES


class OptionCheckbox(CheckboxInput):
    """A checkbox of a group: "required" belongs to the group (its legend), not to each box, where it
    would tell browsers and screen readers that every box must be ticked."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("required", False)
        return super().__call__(field, **kwargs)


class MultiCheckboxField(CoreMultiCheckboxField):
    # Same class name as the core's, which the shared field macro renders as a group of checkboxes.
    option_widget = OptionCheckbox()


def categories_field(label):
    return MultiCheckboxField(
        label,
        choices=choices(CATEGORIES.items()),
        validators=[DataRequired(_l("Выберите хотя бы одну категорию."))],
    )


class OrganisationForm(FlaskForm):
    """Сведения об организации: kept as a questionnaire for the next application (G-9.6)."""

    full_name, short_name = company_names(_l("Полное наименование организации"))
    bin = StringField(_l("БИН"), validators=[required(_l("Укажите БИН.")), XIN(_l("БИН"))])
    kind = SelectField(
        _l("Вид организации"),
        choices=choices(
            [
                PICK,
                ("bank", _l("Банк второго уровня")),
                ("broker", _l("Брокер и (или) дилер")),
                ("manager", _l("Управляющий инвестиционным портфелем")),
                ("other", _l("Иная организация")),
            ]
        ),
        validators=[required()],
    )
    registration_date, legal_address = company_registration()
    actual_address = actual_address_field()
    head = StringField(_l("Первый руководитель (ФИО, должность)"), validators=[required(), Length(max=255)])
    phone, email, website = company_contacts()


class LicencesForm(FlaskForm):
    number = StringField(_l("Номер лицензии"), validators=[required(), Length(max=64)])
    issued_on = DateField(_l("Дата выдачи лицензии"), validators=[required()])
    issuer = StringField(
        _l("Орган, выдавший лицензию"),
        validators=[required(), Length(max=255)],
        default=_l("Агентство Республики Казахстан по регулированию и развитию финансового рынка"),
    )
    activities = MultiCheckboxField(
        _l("Лицензируемые виды деятельности"),
        choices=choices(
            [
                ("brokerage", _l("Брокерская деятельность с правом ведения счетов клиентов")),
                ("dealer", _l("Дилерская деятельность")),
                ("management", _l("Деятельность по управлению инвестиционным портфелем")),
                ("banking", _l("Банковские операции, включая обменные операции с иностранной валютой")),
            ]
        ),
        validators=[DataRequired(_l("Отметьте хотя бы один вид деятельности."))],
    )
    other = TextAreaField(_l("Иные лицензии и разрешения"), validators=[Optional(), Length(max=4000)])

    def validate_issued_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_l("Дата выдачи не может быть в будущем."))


class AdmissionForm(FlaskForm):
    """Заявление о приеме в члены Биржи: the categories requested."""

    categories = categories_field(_l("Категории членства"))
    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим принять организацию в члены Биржи по указанным категориям."),
    )
    rules = BooleanField(
        _l("Обязуемся соблюдать внутренние документы Биржи и уплачивать членские взносы"),
        validators=[DataRequired(_l("Подтвердите согласие с внутренними документами Биржи."))],
    )
    confirm = BooleanField(
        _l("Подтверждаем достоверность сведений"), validators=[DataRequired(_l("Подтвердите достоверность сведений."))]
    )


class AdditionalCategoryForm(FlaskForm):
    """Заявление о присвоении дополнительной категории."""

    categories = categories_field(_l("Дополнительные категории членства"))
    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим присвоить организации дополнительную категорию членства на Бирже."),
    )
    confirm = BooleanField(
        _l("Подтверждаем достоверность сведений"), validators=[DataRequired(_l("Подтвердите достоверность сведений."))]
    )


class TerminationForm(FlaskForm):
    """Заявление о прекращении членства (по всем или по отдельным категориям)."""

    categories = categories_field(_l("Категории, по которым прекращается членство"))
    reason = TextAreaField(_l("Причина прекращения членства"), validators=[required(), Length(max=4000)])
    effective_on = DateField(_l("Желаемая дата прекращения членства"), validators=[required()])
    obligations = BooleanField(
        _l("Обязательства по сделкам, заключенным на Бирже, исполнены"),
        validators=[DataRequired(_l("Подтвердите исполнение обязательств по сделкам."))],
    )
    clients_notified = BooleanField(
        _l("Клиенты уведомлены о прекращении членства"),
        validators=[DataRequired(_l("Подтвердите уведомление клиентов."))],
    )


class StaffForm(FlaskForm):
    """Квалифицированный персонал."""

    certified = IntegerField(
        _l("Количество работников, имеющих квалификационные свидетельства"),
        validators=[required(), NumberRange(min=1, message=_l("Нужен хотя бы один квалифицированный работник."))],
    )
    traders = TextAreaField(
        _l("Трейдеры (ФИО, должность, номер квалификационного свидетельства)"),
        validators=[required(), Length(max=4000)],
    )
    back_office = StringField(_l("Руководитель бэк-офиса (ФИО)"), validators=[required(), Length(max=255)])
    risk_manager = StringField(_l("Риск-менеджер (ФИО)"), validators=[required(), Length(max=255)])
    compliance = StringField(_l("Комплаенс-контролер (ФИО)"), validators=[required(), Length(max=255)])


class TechnicalForm(FlaskForm):
    """Техническая готовность к работе в торговой системе Биржи."""

    access = SelectField(
        _l("Способ доступа к торговой системе"),
        choices=choices(
            [
                PICK,
                ("terminal", _l("Торговый терминал Биржи")),
                ("fix", _l("FIX-протокол")),
                ("gateway", _l("Программный шлюз (API)")),
            ]
        ),
        validators=[required()],
    )
    workstations = IntegerField(
        _l("Количество рабочих мест трейдеров"),
        validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))],
    )
    backup_channel = BooleanField(_l("Есть резервный канал связи"))
    security_policy = BooleanField(_l("Утверждена политика информационной безопасности"))
    tested = BooleanField(
        _l("Пройдено тестовое подключение к торговой системе Биржи"),
        validators=[DataRequired(_l("Пройдите тестовое подключение к торговой системе."))],
    )
    it_contact = StringField(
        _l("Ответственный за техническое взаимодействие (ФИО, телефон)"), validators=[required(), Length(max=255)]
    )
