"""The listing procedures' forms (WTForms). Labels are the Russian UI; the plugin's catalogue
translates them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from core import (
    PICK,
    DecimalField,
    IntegerField,
    actual_address_field,
    choices,
    company_contacts,
    company_names,
    company_registration,
    not_negative,
    required,
)


class GeneralInfoForm(FlaskForm):
    full_name, short_name = company_names(_l("Полное наименование эмитента"))
    name_kk = StringField(_l("Наименование на казахском языке"), validators=[Optional(), Length(max=500)])
    name_en = StringField(_l("Наименование на английском языке"), validators=[Optional(), Length(max=500)])
    bin = StringField(
        _l("БИН"),
        validators=[Optional(), Regexp(r"^\d{12}$", message=_l("БИН состоит из 12 цифр."))],
    )
    registration_date, legal_address = company_registration()
    actual_address = actual_address_field()
    phone, email, website = company_contacts()
    activity = TextAreaField(_l("Основные виды деятельности"), validators=[required(), Length(max=4000)])


class ApplicationForm(FlaskForm):
    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим рассмотреть вопрос о включении ценных бумаг в официальный список Биржи."),
    )
    securities_count = IntegerField(
        _l("Количество объявленных ценных бумаг"),
        validators=[required(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    nominal = DecimalField(
        _l("Номинальная стоимость одной ценной бумаги, тенге"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("Номинал не может быть отрицательным."))],
    )
    confirm = BooleanField(
        _l("Подтверждаем достоверность сведений и соответствие эмитента и его ценных бумаг листинговым требованиям"),
        validators=[DataRequired(_l("Подтвердите достоверность сведений."))],
    )


class TransferForm(FlaskForm):
    from_category = StringField(_l("Текущая категория официального списка"), validators=[required(), Length(max=255)])
    to_category = SelectField(
        _l("Категория, в которую переводятся ценные бумаги"),
        validators=[required()],
        choices=choices(
            [
                PICK,
                ("premium", _l("Премиум")),
                ("standard", _l("Стандарт")),
                ("alternative", _l("Альтернативная площадка")),
            ]
        ),
    )
    isin = StringField(_l("ISIN ценных бумаг"), validators=[required(), Length(max=12)])
    reason = TextAreaField(_l("Обоснование перевода"), validators=[required(), Length(max=4000)])


class DelistingForm(FlaskForm):
    isin = StringField(_l("ISIN ценных бумаг"), validators=[required(), Length(max=12)])
    reason = TextAreaField(_l("Причина исключения из официального списка"), validators=[required(), Length(max=4000)])
    holders_informed = BooleanField(
        _l("Держатели ценных бумаг уведомлены о намерении исключения"),
        validators=[DataRequired(_l("Подтвердите уведомление держателей."))],
    )
    buyback_offer = BooleanField(_l("Предусмотрен выкуп ценных бумаг у держателей"))


class BasicRequirementsForm(FlaskForm):
    equity = DecimalField(
        _l("Собственный капитал по последней аудированной отчетности, тыс. тенге"),
        places=0,
        validators=[required(), not_negative()],
    )
    years = IntegerField(
        _l("Срок существования эмитента, лет"),
        validators=[required(), NumberRange(min=0, max=300, message=_l("Укажите число лет."))],
    )
    ifrs = BooleanField(_l("Финансовая отчетность составляется по МСФО"))
    audited = BooleanField(_l("Отчетность подтверждена аудиторской организацией, признаваемой Биржей"))
    auditor = StringField(_l("Аудиторская организация"), validators=[required(), Length(max=255)])
    governance_code = BooleanField(_l("Утвержден кодекс корпоративного управления"))
    no_default = BooleanField(_l("Отсутствуют неисполненные обязательства перед держателями ценных бумаг"))


def free_float_field():
    return DecimalField(
        _l("Количество акций в свободном обращении, % от размещенных"),
        places=2,
        validators=[required(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
    )


def shareholders_field():
    return IntegerField(
        _l("Количество акционеров"), validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))]
    )


class PremiumSharesForm(FlaskForm):
    free_float = free_float_field()
    capitalisation = DecimalField(
        _l("Рыночная капитализация, млн тенге"),
        places=0,
        validators=[required(), not_negative()],
    )
    shareholders = shareholders_field()
    dividend_policy = BooleanField(_l("Утверждена дивидендная политика"))
    market_maker = StringField(_l("Маркет-мейкер"), validators=[required(), Length(max=255)])


class StandardSharesForm(FlaskForm):
    free_float = free_float_field()
    shareholders = shareholders_field()
    market_maker = StringField(_l("Маркет-мейкер"), validators=[Optional(), Length(max=255)])


class BondsForm(FlaskForm):
    volume = DecimalField(
        _l("Объем выпуска по номинальной стоимости, тенге"),
        places=2,
        validators=[required(), not_negative()],
    )
    maturity = DateField(_l("Дата погашения"), validators=[required()])
    coupon = DecimalField(
        _l("Ставка вознаграждения, % годовых"),
        places=4,
        validators=[required(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
    )
    representative = StringField(_l("Представитель держателей облигаций"), validators=[required(), Length(max=255)])
    rating = StringField(_l("Кредитный рейтинг (при наличии)"), validators=[Optional(), Length(max=64)])
