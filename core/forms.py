"""Shared form pieces: select choices, the validators every procedure's forms use, the fields of an
organisation's questionnaire, and number fields that refuse what no column can hold."""

from decimal import Decimal

import wtforms
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


# The empty first option of a select, so that nothing is chosen until the user chooses.
PICK = ("", _l("— выберите —"))
YES_NO = choices([PICK, ("no", _l("Нет")), ("yes", _l("Да"))])


def required(message=None):
    """DataRequired with the portal's wording; the error summary rewrites it to name the field."""
    return DataRequired(message or _l("Заполните это поле."))


def number_required():
    """A number that may be 0 (DataRequired would refuse a zero)."""
    return InputRequired(_l("Заполните это поле."))


def not_negative():
    return NumberRange(min=0, message=_l("Значение не может быть отрицательным."))


# --- an organisation's questionnaire ---------------------------------------------------------------
# The issuer (listing, unlisted sector), the member and the audit firm are each asked for their names,
# registration and contacts in the same words. The fields are made by functions, not inherited from a
# base form, and unpacked by name in the plugin's form: WTForms orders fields by when they were made,
# so each plugin keeps its own order (its own fields between these), and the POST names stay as they are.


def company_names(full_name_label):
    """(full_name, short_name): the full name under the procedure's own label, and the short name."""
    return (
        wtforms.StringField(full_name_label, validators=[required(), Length(max=500)]),
        wtforms.StringField(_l("Сокращенное наименование"), validators=[required(), Length(max=255)]),
    )


def company_registration():
    """(registration_date, legal_address)."""
    return (
        wtforms.DateField(_l("Дата государственной регистрации"), validators=[required()]),
        wtforms.StringField(_l("Юридический адрес"), validators=[required(), Length(max=500)]),
    )


def actual_address_field():
    return wtforms.StringField(_l("Фактический адрес"), validators=[Optional(), Length(max=500)])


def company_contacts():
    """(phone, email, website)."""
    return (
        wtforms.StringField(_l("Телефон"), validators=[required(), Length(max=64)]),
        wtforms.EmailField(
            _l("Адрес электронной почты"),
            validators=[required(), Email(_l("Неверный формат адреса электронной почты."), check_deliverability=False)],
        ),
        wtforms.StringField(
            _l("Интернет-ресурс"),
            validators=[
                Optional(),
                URL(message=_l("Укажите адрес сайта полностью, например https://example.kz.")),
                Length(max=255),
            ],
        ),
    )


# WTForms' own messages, translated by WTForms' catalogue (not ours, so kept out of our extraction).
WTFORMS_BAD_DECIMAL = "Not a valid decimal value."
WTFORMS_BAD_INTEGER = "Not a valid integer value."

# The widest number a column holds: NUMERIC(20, 4) for prices and amounts, BIGINT for counts.
DECIMAL_LIMIT = Decimal(10) ** 16
INTEGER_LIMIT = 2**63 - 1


def db_int(value) -> int:
    """``type=`` for ``request.form.get``/``request.args.get``: an int a database integer column holds; any
    other value raises ValueError, so ``get`` answers its default instead of a query failing on it."""
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(f"{value!r} is out of range")
    return number


class DecimalField(wtforms.DecimalField):
    """WTForms' DecimalField that also refuses NaN, the infinities and magnitudes no column holds: Python's
    Decimal reads "sNaN" or "1e999" happily, and either would fail later, as a server error."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and (not self.data.is_finite() or abs(self.data) >= DECIMAL_LIMIT):
            self.data = None
            raise ValueError(self.gettext(WTFORMS_BAD_DECIMAL))


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField bounded to what a database integer holds (Python's int has no bound)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > INTEGER_LIMIT:
            self.data = None
            raise ValueError(self.gettext(WTFORMS_BAD_INTEGER))


# Issue 15: the generic "required" messages say nothing about which field; the summary and the field's
# own message name it instead ("Заполните поле «Цена»."). WTForms' default is translated by WTForms.
GENERIC_REQUIRED = ("Заполните это поле.", "This field is required.", "Обязательное поле.")


def _label(field) -> str:
    return str(field.label.text).strip() if getattr(field, "label", None) is not None else field.name


def field_messages(field) -> list[str]:
    """The field's own errors, a generic "required" one rewritten to name the field."""
    from flask_babel import gettext

    generic = {gettext(m) for m in GENERIC_REQUIRED} | set(GENERIC_REQUIRED)
    messages = []
    for error in field.errors if isinstance(field.errors, list | tuple) else ():
        if isinstance(error, str) or hasattr(error, "__html__") or type(error).__name__ == "LazyString":
            text = str(error)
            messages.append(gettext("Заполните поле «%(label)s».", label=_label(field)) if text in generic else text)
    return messages


def error_list(form) -> list[tuple[str | None, str, str]]:
    """Every error of ``form`` as (the control's id to link to, its label, the message), in the form's
    order, nested forms (FormField, FieldList) included; errors of the whole form have no id."""
    found = []
    if form is None:
        return found
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField") and not field.errors:
            continue
        if field.type == "FormField":
            found.extend(error_list(field.form))
        elif field.type == "FieldList":
            for entry in field.entries:
                if entry.type == "FormField":
                    found.extend(error_list(entry.form))
                else:
                    found.extend((entry.id, _label(field), message) for message in field_messages(entry))
        else:
            target = field.id
            if field.type in ("RadioField", "MultiCheckboxField") and field.choices:
                target = f"{field.id}-0"  # the first option: the fieldset has no focusable control
            found.extend((target, _label(field), message) for message in field_messages(field))
    for message in getattr(form, "form_errors", None) or ():
        found.append((None, "", str(message)))
    return found
