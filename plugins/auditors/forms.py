"""The audit organisation's forms (WTForms): the firm, its licence, partners and qualified auditors,
quality control, clients among issuers, insurance and network membership, and the statements.
Labels are the Russian UI; the plugin's catalogue translates them."""

import datetime
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import (
    PICK,
    YES_NO,
    DecimalField,
    IntegerField,
    choices,
    clock,
    company_contacts,
    company_names,
    company_registration,
    not_negative,
    number_required,
    required,
)

# "Иванов Иван Иванович; 0000123; 15.03.2019": the qualification certificate of an auditor (Law of the
# Republic of Kazakhstan "On auditing", art. 8) is identified by its number and date of issue.
AUDITOR_LINE = re.compile(
    r"^\s*(?P<name>[^;]{5,}?)\s*;\s*(?P<number>[^;]{1,32}?)\s*;\s*(?P<date>\d{2}\.\d{2}\.\d{4})\s*$"
)


def auditor_lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


class FirmForm(FlaskForm):
    full_name, short_name = company_names(_l("Полное наименование аудиторской организации"))
    registration_date, legal_address = company_registration()
    phone, email, website = company_contacts()
    head = StringField(_l("Руководитель (ФИО, должность)"), validators=[required(), Length(max=255)])
    employees = IntegerField(
        _l("Численность работников"),
        validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))],
    )


class LicenceForm(FlaskForm):
    licence_number = StringField(
        _l("Номер лицензии на занятие аудиторской деятельностью"), validators=[required(), Length(max=64)]
    )
    licence_date = DateField(_l("Дата выдачи лицензии"), validators=[required()])
    licence_issuer = StringField(
        _l("Орган, выдавший лицензию"),
        validators=[required(), Length(max=255)],
        default=_l("Министерство финансов Республики Казахстан"),
    )
    professional_body = StringField(
        _l("Профессиональная аудиторская организация, членом которой является организация"),
        validators=[required(), Length(max=255)],
    )
    professional_body_since = DateField(_l("Дата вступления в профессиональную организацию"), validators=[Optional()])

    def validate_licence_date(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_l("Дата выдачи не может быть в будущем."))


class PeopleForm(FlaskForm):
    partners = IntegerField(
        _l("Количество партнеров, являющихся аудиторами"),
        validators=[number_required(), not_negative()],
    )
    partners_list = TextAreaField(_l("Партнеры (ФИО, доля участия)"), validators=[required(), Length(max=4000)])
    auditors_count = IntegerField(
        _l("Количество квалифицированных аудиторов в штате"),
        validators=[required(), NumberRange(min=1, message=_l("Не меньше одного."))],
    )
    auditors_list = TextAreaField(
        _l("Квалифицированные аудиторы и их квалификационные свидетельства"),
        validators=[required(), Length(max=8000)],
        description=_l("По одному в строке: ФИО; номер свидетельства; дата выдачи (ДД.ММ.ГГГГ)."),
    )
    international = IntegerField(
        _l("Из них с международной квалификацией (ACCA, CPA, CIMA и др.)"),
        validators=[Optional(), not_negative()],
    )

    def validate_auditors_list(self, field):
        lines = auditor_lines(field.data)
        for number, line in enumerate(lines, start=1):
            match = AUDITOR_LINE.match(line)
            if not match:
                raise ValidationError(
                    _l(
                        "Строка %(n)s: укажите ФИО; номер свидетельства; дату выдачи в виде ДД.ММ.ГГГГ.",
                        n=number,
                    )
                )
            try:
                datetime.datetime.strptime(match["date"], "%d.%m.%Y")
            except ValueError as exc:
                raise ValidationError(_l("Строка %(n)s: неверная дата выдачи свидетельства.", n=number)) from exc
        if self.auditors_count.data and len(lines) != self.auditors_count.data:
            raise ValidationError(
                _l(
                    "Перечислено аудиторов: %(listed)s, а указано в штате: %(count)s.",
                    listed=len(lines),
                    count=self.auditors_count.data,
                )
            )


class QualityForm(FlaskForm):
    system = SelectField(
        _l("Система управления качеством"),
        choices=choices(
            [
                PICK,
                ("isqm1", _l("Соответствует МСУК 1 (ISQM 1)")),
                ("isqc1", _l("Соответствует МСКК 1 (ISQC 1)")),
                ("other", _l("Иная система")),
            ]
        ),
        validators=[required()],
    )
    quality_partner = StringField(
        _l("Партнер, ответственный за систему управления качеством (ФИО)"), validators=[required(), Length(max=255)]
    )
    last_review = DateField(_l("Дата последней внешней проверки контроля качества"), validators=[required()])
    reviewer = StringField(_l("Кем проведена проверка"), validators=[required(), Length(max=255)])
    review_result = SelectField(
        _l("Результат проверки"),
        choices=choices(
            [
                PICK,
                ("clean", _l("Без замечаний")),
                ("resolved", _l("Замечания устранены")),
                ("open", _l("Есть неустраненные замечания")),
            ]
        ),
        validators=[required()],
    )
    sanctions = SelectField(
        _l("Меры воздействия уполномоченного органа за последние три года"),
        choices=YES_NO,
        validators=[required()],
    )
    sanctions_details = TextAreaField(_l("Описание мер воздействия"), validators=[Optional(), Length(max=4000)])

    def validate_sanctions_details(self, field):
        if self.sanctions.data == "yes" and not (field.data or "").strip():
            raise ValidationError(_l("Опишите меры воздействия."))


class ClientsForm(FlaskForm):
    issuers_count = IntegerField(
        _l("Аудированные эмитенты, ценные бумаги которых допущены на Биржу, за последние три года"),
        validators=[number_required(), not_negative()],
    )
    issuers_list = TextAreaField(
        _l("Перечень таких эмитентов (по одному в строке)"), validators=[Optional(), Length(max=8000)]
    )
    pie_count = IntegerField(
        _l("Аудированные организации, представляющие общественный интерес, за последний год"),
        validators=[number_required(), not_negative()],
    )
    revenue = DecimalField(
        _l("Доход от аудиторских услуг за последний год, тыс. тенге"),
        places=0,
        validators=[number_required(), not_negative()],
    )

    def validate_issuers_list(self, field):
        if self.issuers_count.data and not auditor_lines(field.data):
            raise ValidationError(_l("Перечислите эмитентов."))


class InsuranceForm(FlaskForm):
    insurer = StringField(_l("Страховая организация"), validators=[required(), Length(max=255)])
    policy_number = StringField(_l("Номер договора страхования"), validators=[required(), Length(max=64)])
    insured_sum = DecimalField(
        _l("Страховая сумма, тыс. тенге"),
        places=0,
        validators=[required(), NumberRange(min=1, message=_l("Значение должно быть больше нуля."))],
    )
    policy_until = DateField(_l("Договор страхования действует до"), validators=[required()])
    network = SelectField(
        _l("Членство в международной сети аудиторских организаций"),
        choices=choices(
            [
                PICK,
                ("none", _l("Не состоит")),
                ("network", _l("Член международной сети")),
                ("association", _l("Член международной ассоциации")),
            ]
        ),
        validators=[required()],
    )
    network_name = StringField(_l("Наименование сети (ассоциации)"), validators=[Optional(), Length(max=255)])
    ifac = BooleanField(_l("Профессиональная организация, членом которой является организация, — член IFAC"))

    def validate_policy_until(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Срок действия договора страхования истёк."))

    def validate_network_name(self, field):
        if self.network.data in ("network", "association") and not (field.data or "").strip():
            raise ValidationError(_l("Укажите наименование сети (ассоциации)."))


class StatementForm(FlaskForm):
    request = TextAreaField(
        _l("Текст заявления"),
        validators=[required(), Length(max=8000)],
        default=_l("Просим включить нашу организацию в перечень аудиторских организаций, признаваемых Биржей."),
    )
    confirm = BooleanField(
        _l(
            "Подтверждаем достоверность сведений и соответствие организации требованиям Биржи "
            "к аудиторским организациям"
        ),
        validators=[DataRequired(_l("Подтвердите достоверность сведений."))],
    )


class ConfirmationForm(FlaskForm):
    year = IntegerField(
        _l("Год, за который подтверждается соответствие"),
        validators=[required(), NumberRange(min=2000, max=2100, message=_l("Укажите год."))],
    )
    changes = SelectField(
        _l("Изменения в сведениях с последнего подтверждения"),
        choices=choices([PICK, ("none", _l("Изменений нет")), ("changed", _l("Есть изменения"))]),
        validators=[required()],
    )
    changes_details = TextAreaField(_l("Описание изменений"), validators=[Optional(), Length(max=4000)])
    confirm = BooleanField(
        _l("Подтверждаем, что организация продолжает соответствовать требованиям Биржи к аудиторским организациям"),
        validators=[DataRequired(_l("Подтвердите соответствие требованиям."))],
    )

    def validate_changes_details(self, field):
        if self.changes.data == "changed" and not (field.data or "").strip():
            raise ValidationError(_l("Опишите изменения."))


class ExclusionForm(FlaskForm):
    reason = TextAreaField(_l("Причина исключения из перечня"), validators=[required(), Length(max=4000)])
    effective_on = DateField(_l("Желаемая дата исключения"), validators=[Optional()])
    clients_informed = BooleanField(
        _l("Аудируемые эмитенты уведомлены о намерении"),
        validators=[DataRequired(_l("Подтвердите уведомление аудируемых эмитентов."))],
    )
