"""The disclosure forms (WTForms): one per kind of obligation, and the issuer's note of a material
event. Labels are the Russian UI; the plugin's catalogue translates them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from core import PICK, DecimalField, choices, clock, number_required, required


def amount(label):
    """A figure in thousands of tenge; it may be zero or negative (a loss, negative equity)."""
    return DecimalField(label, places=0, validators=[number_required()])


def period_field():
    return StringField(
        _l("Отчетный период"),
        validators=[required(), Length(max=64)],
        description=_l("Заполняется по календарю раскрытия информации, например «2025 год»."),
    )


def confirm_field():
    return BooleanField(
        _l("Подтверждаем достоверность и полноту раскрываемой информации"),
        validators=[DataRequired(_l("Подтвердите достоверность информации."))],
    )


def not_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_l("Дата не может быть в будущем."))


STANDARDS = [PICK, ("ifrs", _l("МСФО")), ("other", _l("Иные стандарты"))]


def standards():
    """(standard, consolidated): the statements' reporting standards and whether they are consolidated."""
    return (
        SelectField(_l("Стандарты отчетности"), choices=choices(STANDARDS), validators=[required()]),
        BooleanField(_l("Консолидированная отчетность")),
    )


def figures():
    """(total_assets, equity, net_income): the statements' three figures, in thousands of tenge."""
    return (
        amount(_l("Активы, тыс. тенге")),
        amount(_l("Собственный капитал, тыс. тенге")),
        amount(_l("Чистая прибыль (убыток), тыс. тенге")),
    )


class AnnualStatementsForm(FlaskForm):
    period = period_field()
    standard, consolidated = standards()
    auditor = StringField(_l("Аудиторская организация"), validators=[required(), Length(max=255)])
    opinion = SelectField(
        _l("Мнение аудитора"),
        choices=choices(
            [
                PICK,
                ("unmodified", _l("Немодифицированное")),
                ("qualified", _l("С оговоркой")),
                ("adverse", _l("Отрицательное")),
                ("disclaimer", _l("Отказ от выражения мнения")),
            ]
        ),
        validators=[required()],
    )
    report_date = DateField(_l("Дата аудиторского отчета"), validators=[required(), not_future])
    total_assets, equity, net_income = figures()
    confirm = confirm_field()


class InterimStatementsForm(FlaskForm):
    period = period_field()
    period_end = DateField(_l("Дата окончания отчетного периода"), validators=[required()])
    standard, consolidated = standards()
    reviewed = BooleanField(_l("Отчетность прошла обзорную проверку аудитором"))
    total_assets, equity, net_income = figures()
    confirm = confirm_field()


class AnnualReportForm(FlaskForm):
    period = period_field()
    approved_by = StringField(_l("Орган, утвердивший годовой отчет"), validators=[required(), Length(max=255)])
    approved_on = DateField(_l("Дата утверждения"), validators=[required(), not_future])
    website = StringField(
        _l("Адрес публикации на интернет-ресурсе эмитента"),
        validators=[
            Optional(),
            URL(message=_l("Укажите адрес полностью, например https://example.kz.")),
            Length(max=255),
        ],
    )
    governance = BooleanField(_l("Отчет содержит сведения о соблюдении кодекса корпоративного управления"))
    confirm = confirm_field()


EVENT_TYPES = [
    PICK,
    ("management", _l("Изменение в составе органов управления")),
    ("deal", _l("Крупная сделка или сделка с заинтересованностью")),
    ("dividends", _l("Решение о выплате дивидендов (вознаграждения)")),
    ("default", _l("Неисполнение обязательств перед держателями ценных бумаг")),
    ("reorganisation", _l("Реорганизация или ликвидация")),
    ("rating", _l("Изменение кредитного рейтинга")),
    ("other", _l("Иное событие, затрагивающее интересы держателей ценных бумаг")),
]


class MaterialEventForm(FlaskForm):
    event_on = DateField(_l("Дата наступления события"), validators=[required(), not_future])
    event_type = SelectField(_l("Вид события"), choices=choices(EVENT_TYPES), validators=[required()])
    description = TextAreaField(_l("Описание события"), validators=[required(), Length(max=8000)])
    confirm = confirm_field()


class EventNoteForm(FlaskForm):
    """The issuer notes that an event happened: the obligation to disclose it starts that day."""

    event_on = DateField(_l("Дата наступления события"), validators=[required(), not_future])
    description = StringField(_l("Кратко о событии"), validators=[required(), Length(max=500)])
