"""The forms of the unlisted sector and KASE Private Market (WTForms). Labels are the Russian UI;
the plugin's catalogue translates them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import (
    PICK,
    XIN,
    DecimalField,
    IntegerField,
    actual_address_field,
    choices,
    clock,
    company_contacts,
    company_names,
    company_registration,
    isin_problem,
    not_negative,
    required,
)

CURRENCIES = choices([PICK, ("KZT", "KZT"), ("USD", "USD"), ("EUR", "EUR"), ("RUB", "RUB"), ("CNY", "CNY")])


def validate_isin(field):
    field.data = (field.data or "").strip().upper()
    problem = isin_problem(field.data)
    if problem == "format":
        raise ValidationError(
            _l("ISIN состоит из 12 знаков: две латинские буквы кода страны, девять букв или цифр и контрольная цифра.")
        )
    if problem == "check":
        raise ValidationError(_l("ISIN указан с ошибкой: не сходится контрольная цифра."))


# --- the issuer, the application, the AML/CFT questionnaire ---------------------------------------


class IssuerForm(FlaskForm):
    """Сведения об эмитенте: kept as a questionnaire for the next application (G-9.6)."""

    full_name, short_name = company_names(_l("Полное наименование эмитента"))
    residency = SelectField(
        _l("Резидентство"),
        choices=choices([PICK, ("resident", _l("Резидент Республики Казахстан")), ("nonresident", _l("Нерезидент"))]),
        validators=[required()],
    )
    bin = StringField(
        _l("БИН"),
        validators=[Optional(), XIN(_l("БИН"))],
        description=_l("Обязателен для резидентов Республики Казахстан."),
    )
    registration_date, legal_address = company_registration()
    actual_address = actual_address_field()
    phone, email, website = company_contacts()
    activity = TextAreaField(_l("Основные виды деятельности"), validators=[required(), Length(max=4000)])

    def validate(self, extra_validators=None):
        # Optional() ends the field's own checks when it is empty, so the rule that ties the BIN to
        # residency is checked here, on the whole form.
        valid = super().validate(extra_validators)
        if self.residency.data == "resident" and not (self.bin.data or "").strip():
            self.bin.errors = [*self.bin.errors, _l("Укажите БИН.")]
            valid = False
        return valid


class AdmissionForm(FlaskForm):
    """Заявление о допуске в сектор «Нелистинговые ценные бумаги»."""

    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим допустить ценные бумаги к обращению в секторе «Нелистинговые ценные бумаги» Биржи."),
    )
    trading_start = DateField(_l("Желаемая дата начала торгов"), validators=[Optional()])
    confirm = BooleanField(
        _l("Подтверждаем достоверность сведений и обязуемся соблюдать внутренние документы Биржи"),
        validators=[DataRequired(_l("Подтвердите достоверность сведений."))],
    )


class PrivateMarketApplicationForm(FlaskForm):
    """Заявление о допуске на площадку KASE Private Market."""

    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим допустить финансовые инструменты на площадку KASE Private Market."),
    )
    purpose = SelectField(
        _l("Цель допуска"),
        choices=choices(
            [PICK, ("placement", _l("Размещение и последующее обращение")), ("trading", _l("Только обращение"))]
        ),
        validators=[required()],
    )
    investors = SelectField(
        _l("Круг инвесторов"),
        choices=choices(
            [
                PICK,
                ("qualified", _l("Только квалифицированные инвесторы")),
                ("any", _l("Неограниченный круг инвесторов")),
            ]
        ),
        validators=[required()],
    )
    volume = DecimalField(_l("Планируемый объем привлечения, тенге"), places=2, validators=[Optional(), not_negative()])
    underwriter = StringField(
        _l("Член Биржи, сопровождающий размещение (андеррайтер)"), validators=[Optional(), Length(max=255)]
    )
    confirm = BooleanField(
        _l("Подтверждаем достоверность сведений и обязуемся соблюдать внутренние документы Биржи"),
        validators=[DataRequired(_l("Подтвердите достоверность сведений."))],
    )


# --- the instruments -----------------------------------------------------------------------------


class SecuritiesForm(FlaskForm):
    """Сведения о ценных бумагах, допускаемых в сектор «Нелистинговые ценные бумаги»."""

    kind = SelectField(
        _l("Вид ценных бумаг"),
        choices=choices(
            [
                PICK,
                ("common", _l("Простые акции")),
                ("preferred", _l("Привилегированные акции")),
                ("bonds", _l("Облигации")),
                ("units", _l("Паи паевых инвестиционных фондов")),
                ("receipts", _l("Депозитарные расписки")),
            ]
        ),
        validators=[required()],
    )
    isin = StringField(
        _l("ISIN"),
        validators=[required(), Length(max=12)],
        description=_l("12 знаков: код страны, 9 знаков и контрольная цифра, например KZ1C00000876."),
    )
    registration_number = StringField(
        _l("Номер государственной регистрации выпуска"), validators=[required(), Length(max=64)]
    )
    registered_on = DateField(_l("Дата государственной регистрации выпуска"), validators=[required()])
    quantity = IntegerField(
        _l("Количество ценных бумаг, штук"),
        validators=[required(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    nominal = DecimalField(
        _l("Номинальная стоимость одной ценной бумаги"), places=2, validators=[Optional(), not_negative()]
    )
    currency = SelectField(_l("Валюта номинала"), choices=CURRENCIES, validators=[required()])
    maturity = DateField(_l("Дата погашения"), validators=[Optional()], description=_l("Обязательна для облигаций."))
    registrar = StringField(
        _l("Лицо, осуществляющее ведение системы реестров держателей"),
        validators=[required(), Length(max=255)],
        default=_l("АО «Центральный депозитарий ценных бумаг»"),
    )
    market_maker = StringField(_l("Маркет-мейкер (при наличии)"), validators=[Optional(), Length(max=255)])

    def validate_isin(self, field):
        validate_isin(field)

    def validate_maturity(self, field):
        if field.data and self.registered_on.data and field.data <= self.registered_on.data:
            raise ValidationError(_l("Дата погашения должна быть позже даты регистрации выпуска."))

    def validate(self, extra_validators=None):
        # An empty date stops at Optional(), so "bonds need a maturity" is checked on the whole form.
        valid = super().validate(extra_validators)
        if self.kind.data == "bonds" and not self.maturity.data and not self.maturity.errors:
            self.maturity.errors = [*self.maturity.errors, _l("Укажите дату погашения облигаций.")]
            valid = False
        return valid


# The requirement forms that the leaves of the KASE Private Market cascade name
# (see migrations/0001_catalogue.py). They are filed per instrument, without a prefix.


class PrivateSharesForm(FlaskForm):
    shares_count = IntegerField(
        _l("Количество размещенных акций, штук"),
        validators=[required(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    offered_count = IntegerField(
        _l("Количество акций, предлагаемых инвесторам, штук"),
        validators=[Optional(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    offer_price = DecimalField(
        _l("Цена размещения одной акции, тенге"), places=2, validators=[Optional(), not_negative()]
    )
    equity = DecimalField(
        _l("Собственный капитал по последней финансовой отчетности, тыс. тенге"),
        places=0,
        validators=[required(), not_negative()],
    )
    years = IntegerField(
        _l("Срок деятельности эмитента, лет"),
        validators=[required(), NumberRange(min=0, max=300, message=_l("Укажите число лет."))],
    )
    dividend_policy = BooleanField(_l("Утверждена дивидендная политика"))

    def validate_offered_count(self, field):
        if field.data and self.shares_count.data and field.data > self.shares_count.data:
            raise ValidationError(_l("Нельзя предложить больше акций, чем размещено."))


class PrivateBondsForm(FlaskForm):
    volume = DecimalField(
        _l("Объем выпуска по номинальной стоимости, тенге"), places=2, validators=[required(), not_negative()]
    )
    nominal = DecimalField(
        _l("Номинальная стоимость одной облигации, тенге"), places=2, validators=[required(), not_negative()]
    )
    maturity = DateField(_l("Дата погашения"), validators=[required()])
    coupon = DecimalField(
        _l("Ставка вознаграждения, % годовых"),
        places=4,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("От 0 до 100."))],
        description=_l("Для дисконтных облигаций не заполняется."),
    )
    coupon_frequency = SelectField(
        _l("Периодичность выплаты вознаграждения"),
        choices=choices(
            [
                PICK,
                ("none", _l("Без выплаты купона")),
                ("annual", _l("Раз в год")),
                ("semiannual", _l("Два раза в год")),
                ("quarterly", _l("Раз в квартал")),
                ("monthly", _l("Раз в месяц")),
            ]
        ),
        validators=[required()],
    )
    collateral = SelectField(
        _l("Обеспечение"),
        choices=choices(
            [
                PICK,
                ("none", _l("Необеспеченные")),
                ("pledge", _l("Залог имущества")),
                ("guarantee", _l("Гарантия или поручительство")),
            ]
        ),
        validators=[required()],
    )
    representative = StringField(
        _l("Представитель держателей облигаций (при наличии)"), validators=[Optional(), Length(max=255)]
    )

    def validate_maturity(self, field):
        if field.data and field.data <= clock.today():
            raise ValidationError(_l("Дата погашения должна быть в будущем."))


class PrivateUnitsForm(FlaskForm):
    fund_name = StringField(_l("Наименование паевого инвестиционного фонда"), validators=[required(), Length(max=500)])
    management_company = StringField(_l("Управляющая компания"), validators=[required(), Length(max=255)])
    rules_registered_on = DateField(_l("Дата регистрации правил фонда"), validators=[required()])
    units_count = IntegerField(
        _l("Количество выпущенных паев, штук"),
        validators=[required(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    unit_value = DecimalField(
        _l("Расчетная стоимость одного пая, тенге"), places=2, validators=[required(), not_negative()]
    )
    custodian = StringField(_l("Кастодиан фонда"), validators=[required(), Length(max=255)])
