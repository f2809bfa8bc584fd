"""The listing procedures' forms (WTForms). Labels are the Russian UI; the plugin's catalogue
translates them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp

from core import DecimalField, IntegerField, choices


def required(message=None):
    return DataRequired(message or _l("Заполните это поле."))


class GeneralInfoForm(FlaskForm):
    full_name = StringField(_l("Полное наименование эмитента"), validators=[required(), Length(max=500)])
    short_name = StringField(_l("Сокращенное наименование"), validators=[required(), Length(max=255)])
    name_kk = StringField(_l("Наименование на казахском языке"), validators=[Optional(), Length(max=500)])
    name_en = StringField(_l("Наименование на английском языке"), validators=[Optional(), Length(max=500)])
    bin = StringField(
        _l("БИН"),
        validators=[Optional(), Regexp(r"^\d{12}$", message=_l("БИН состоит из 12 цифр."))],
    )
    registration_date = DateField(_l("Дата государственной регистрации"), validators=[required()])
    legal_address = StringField(_l("Юридический адрес"), validators=[required(), Length(max=500)])
    actual_address = StringField(_l("Фактический адрес"), validators=[Optional(), Length(max=500)])
    phone = StringField(_l("Телефон"), validators=[required(), Length(max=64)])
    email = EmailField(
        _l("Адрес электронной почты"),
        validators=[required(), Email(_l("Неверный формат адреса электронной почты."), check_deliverability=False)],
    )
    website = StringField(
        _l("Интернет-ресурс"),
        validators=[
            Optional(),
            URL(message=_l("Укажите адрес сайта полностью, например https://example.kz.")),
            Length(max=255),
        ],
    )
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
                ("", _l("— выберите —")),
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
        validators=[required(), NumberRange(min=0, message=_l("Значение не может быть отрицательным."))],
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


class PremiumSharesForm(FlaskForm):
    free_float = DecimalField(
        _l("Количество акций в свободном обращении, % от размещенных"),
        places=2,
        validators=[required(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
    )
    capitalisation = DecimalField(
        _l("Рыночная капитализация, млн тенге"),
        places=0,
        validators=[required(), NumberRange(min=0, message=_l("Значение не может быть отрицательным."))],
    )
    shareholders = IntegerField(
        _l("Количество акционеров"), validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))]
    )
    dividend_policy = BooleanField(_l("Утверждена дивидендная политика"))
    market_maker = StringField(_l("Маркет-мейкер"), validators=[required(), Length(max=255)])


class StandardSharesForm(FlaskForm):
    free_float = DecimalField(
        _l("Количество акций в свободном обращении, % от размещенных"),
        places=2,
        validators=[required(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
    )
    shareholders = IntegerField(
        _l("Количество акционеров"), validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))]
    )
    market_maker = StringField(_l("Маркет-мейкер"), validators=[Optional(), Length(max=255)])


class BondsForm(FlaskForm):
    volume = DecimalField(
        _l("Объем выпуска по номинальной стоимости, тенге"),
        places=2,
        validators=[required(), NumberRange(min=0, message=_l("Значение не может быть отрицательным."))],
    )
    maturity = DateField(_l("Дата погашения"), validators=[required()])
    coupon = DecimalField(
        _l("Ставка вознаграждения, % годовых"),
        places=4,
        validators=[required(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
    )
    representative = StringField(_l("Представитель держателей облигаций"), validators=[required(), Length(max=255)])
    rating = StringField(_l("Кредитный рейтинг (при наличии)"), validators=[Optional(), Length(max=64)])
