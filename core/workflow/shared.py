"""Forms several procedure categories ask for, kept once in the core (no plugin imports another):
one questionnaire code means an organisation's answers are offered again whichever category it
files in next (G-9.6)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from core.forms import YES_NO, required
from core.workflow.definitions import FormSpec


class AmlForm(FlaskForm):
    """The AML/CFT questionnaire (Анкета по ПОД/ФТ) the guide shows as a stage."""

    beneficial_owners = TextAreaField(
        _l("Бенефициарные собственники (ФИО, доля владения)"), validators=[required(), Length(max=4000)]
    )
    pep = SelectField(
        _l("Являются ли бенефициарные собственники публичными должностными лицами"),
        choices=YES_NO,
        validators=[required()],
    )
    sanctions = SelectField(
        _l("Включены ли организация или ее бенефициарные собственники в санкционные списки"),
        choices=YES_NO,
        validators=[required()],
    )
    offshore = BooleanField(_l("Есть участники, зарегистрированные в офшорных зонах"))
    internal_rules = BooleanField(_l("Утверждены правила внутреннего контроля по ПОД/ФТ"))
    officer = StringField(
        _l("Ответственный работник по ПОД/ФТ (ФИО, должность)"), validators=[required(), Length(max=255)]
    )


AML = FormSpec("aml", _l("Анкета по ПОД/ФТ"), AmlForm, reusable=True)
