"""Issue #20: ``core.controls.control`` writes a field's control without WTForms' widget detours; it must write
exactly what ``field(**attrs)`` writes, for every kind of field the portal's forms use, in every state (empty,
filled, refused, with HTML in its value, with its own render_kw), and for every field of every procedure's
stage forms, filled or not."""

import datetime

import pytest
import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from core.accounts.forms import MultiCheckboxField
from core.controls import control
from core.forms import YES_NO, DecimalField, IntegerField, choices
from core.workflow import formdata

# What the field macro passes (templates/_formhelpers.html), in each combination it makes.
ATTRS = (
    {},
    {"required": False, "aria-required": "true"},
    {"aria-describedby": "x-hint x-error", "aria-invalid": "true", "required": False, "aria-required": "true"},
    {"aria_describedby": "a", "data_role": 'say "hi" & <bye>', "class_": Markup('<b class="x">')},
)


class Everything(FlaskForm):
    class Meta:
        csrf = False

    text = wtforms.StringField(_l("Наименование"), validators=[DataRequired(), Length(min=2, max=500)])
    optional = wtforms.StringField("Optional", validators=[Optional()], render_kw={"autocomplete": "off"})
    email = wtforms.EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    phone = wtforms.TelField("Phone")
    site = wtforms.URLField("Site", validators=[URL()])
    search = wtforms.SearchField("Search")
    day = wtforms.DateField("Day", validators=[DataRequired()])
    bounded_day = wtforms.DateField("Bounded", render_kw={"min": datetime.date(2020, 1, 2)})
    moment = wtforms.DateTimeLocalField("Moment")
    time = wtforms.TimeField("Time", validators=[InputRequired()])
    count = IntegerField("Count", validators=[InputRequired(), NumberRange(min=0)])
    amount = DecimalField("Amount", validators=[Optional()])
    plain_amount = wtforms.DecimalField("Plain amount")
    ranged = wtforms.IntegerRangeField("Range")
    flag = wtforms.BooleanField("Flag")
    note = wtforms.TextAreaField("Note", validators=[Length(max=4000)])
    answer = wtforms.SelectField("Answer", choices=YES_NO, validators=[DataRequired()])
    number = wtforms.SelectField("Number", choices=[SelectChoice(1, "one"), SelectChoice(2, "two")], coerce=int)
    truth = wtforms.SelectField(
        "Truth", choices=[SelectChoice(True, "yes"), SelectChoice(False, "no")], coerce=lambda v: v in (True, "True")
    )
    kinds = wtforms.SelectField("Kinds", choices=[SelectChoice("a", "A", render_kw={"data_x": '"q"'})])
    grouped = wtforms.SelectField(
        "Grouped", choices=[SelectChoice("a", "A", optgroup="G"), SelectChoice("b", "B", optgroup="H")]
    )
    several = wtforms.SelectMultipleField("Several", choices=choices([("a", "<A>"), ("b", "B & b")]))
    radio = wtforms.RadioField("Radio", choices=choices([("a", "A"), ("b", "B")]))
    checks = MultiCheckboxField("Checks", choices=choices([("a", "A"), ("b", "B")]))
    secret = wtforms.PasswordField("Secret")
    hidden = wtforms.HiddenField("Hidden")
    upload = FileField("File")
    uploads = MultipleFileField("Files")
    colour = wtforms.ColorField("Colour")


FILLED = MultiDict(
    [
        ("text", 'A "quoted" <name> & co'),
        ("optional", "x"),
        ("email", "a@b.kz"),
        ("phone", "+7 (727) 000"),
        ("site", "not a url"),
        ("search", "q"),
        ("day", "2026-02-30"),
        ("bounded_day", "2026-01-05"),
        ("moment", "2026-01-05T10:00"),
        ("time", "15:00"),
        ("count", "-3"),
        ("amount", "1e999"),
        ("plain_amount", "12.50"),
        ("ranged", "4"),
        ("flag", "y"),
        ("note", 'line 1\r\nline <2> & "3"'),
        ("answer", "yes"),
        ("number", "2"),
        ("truth", "True"),
        ("kinds", "a"),
        ("grouped", "b"),
        ("several", "a"),
        ("several", "b"),
        ("radio", "b"),
        ("checks", "a"),
        ("secret", "pw"),
        ("hidden", '"h"'),
        ("colour", "#ffffff"),
    ]
)


def _same(form):
    for field in form:
        for attrs in ATTRS:
            expected = field(**attrs)
            assert control(field, dict(attrs)) == expected, (field.name, attrs)
            assert str(control(field, dict(attrs))) == str(expected)


@pytest.mark.parametrize("data", [None, FILLED], ids=["empty", "filled"])
def test_every_kind_of_field_is_written_as_wtforms_writes_it(app, data):
    with app.test_request_context("/"):
        form = Everything(formdata=data)
        form.validate()  # errors, as a refused form is shown
        _same(form)
        with app.test_request_context("/?x"):
            from flask import session

            session["lang"] = "kk"  # lazy labels in another language
            _same(Everything(formdata=data))


def test_every_stage_form_of_every_procedure_is_written_as_wtforms_writes_it(app):
    """Each procedure's stage forms as the stage page shows them: empty, and filled with what was sent back."""
    versions = app.extensions["is2in.procedure_versions"]
    seen = 0
    with app.test_request_context("/"):
        for procedure in versions.values():
            for stage in procedure.stages:
                for spec in getattr(stage, "forms", None) or ():
                    empty = formdata.load_form(spec.form, {}, spec.prefix)
                    _same(empty)
                    sent = {field.short_name: "2026-01-01" for field in empty if field.type != "CSRFTokenField"}
                    filled = formdata.load_form(spec.form, sent, spec.prefix)
                    filled.validate()
                    _same(filled)
                    seen += 1
    assert seen > 10


def test_a_widget_it_does_not_know_is_left_to_wtforms(app):
    class Shout(wtforms.widgets.TextInput):
        def __call__(self, field, **kwargs):
            return "<input data-shout>"  # plain text: the template marks it safe, as it did with |safe

    class Form(FlaskForm):
        class Meta:
            csrf = False

        loud = wtforms.StringField("Loud", widget=Shout())
        picked = wtforms.SelectField("Picked", choices=choices([("a", "A")]))

    with app.test_request_context("/"):
        form = Form()
        assert control(form.loud, {}) == Markup("<input data-shout>")
        assert control(form.picked, {"required": False}) == form.picked(required=False)


def test_the_usual_fields_are_written_without_wtforms_widgets(app, monkeypatch):
    """The fast path is the one taken for the fields a stage form is made of (else it would save nothing)."""
    with app.test_request_context("/"):
        form = Everything(formdata=FILLED)
        expected = {name: form[name](required=False) for name in ("text", "day", "count", "flag", "note", "answer")}
        for widget in (wtforms.widgets.Input, wtforms.widgets.TextArea, wtforms.widgets.Select):
            monkeypatch.setattr(widget, "__call__", lambda *a, **k: pytest.fail("a WTForms widget was called"))
        for name, html in expected.items():
            assert control(form[name], {"required": False}) == html


@pytest.mark.parametrize("data", [None, FILLED], ids=["empty", "filled"])
def test_the_field_macro_writes_what_it_wrote_with_wtforms_widgets(app, data):
    """templates/_formhelpers.html's render_field, as the pages use it, against the same macro calling WTForms'
    widgets as it did before core.controls: the same label, control, hint and errors for every kind of field."""
    source = app.jinja_env.loader.get_source(app.jinja_env, "_formhelpers.html")[0]
    assert source.count("control(field, attrs)") == 2
    before = source.replace("control(field, attrs)", "field(**attrs)|safe")
    page = "{% for field in form %}{{ render_field(field, class='wide', hint=hint) }}{% endfor %}"
    with app.test_request_context("/"):
        form = Everything(formdata=data)
        form.validate()
        for hint in (None, "A <hint>"):
            now = app.jinja_env.from_string(source + page).render(form=form, hint=hint)
            then = app.jinja_env.from_string(before + page).render(form=form, hint=hint)
            assert now == then and "<input" in now and "has-error" in now  # validated: refused fields too
