"""A form field's control (``<input>``, ``<textarea>``, ``<select>``) as WTForms' own widgets write it, written
without their detours (issue #20).

Why by hand: every form field of every page is drawn through ``templates/_formhelpers.html``, and WTForms' widgets
build each attribute through ``Markup.format``, list a field's flags with ``dir()`` and re-clean every key; for a
stage page of a dozen fields that was about a fifth of the page's CPU. ``control`` writes the same bytes for the
widgets the portal's forms use (their exact classes: a subclass may render otherwise) and hands any other widget,
or a field whose form renders fields its own way, back to WTForms. ``tests/core/test_controls.py`` compares the two
for every kind of field and state."""

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.meta import DefaultMeta
from wtforms.widgets.core import clean_key

# Inputs drawn by ``Input.__call__`` alone (no ``__call__`` of their own, or one that only adds what is below).
_PLAIN_INPUTS = frozenset(
    {
        widgets.TextInput,
        widgets.EmailInput,
        widgets.TelInput,
        widgets.URLInput,
        widgets.SearchInput,
        widgets.HiddenInput,
        widgets.ColorInput,
    }
)
_DATE_INPUTS = frozenset(
    {widgets.DateInput, widgets.TimeInput, widgets.DateTimeInput, widgets.DateTimeLocalInput, widgets.MonthInput}
)
_NUMBER_INPUTS = frozenset({widgets.NumberInput})


def _params(kwargs: dict) -> str:
    """``wtforms.widgets.html_params``: sorted by key, each key cleaned (``data_x`` as ``data-x``), True bare, False
    left out, values escaped with their double quotes as ``&quot;`` (what escape leaves of them in Markup)."""
    out = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            out.append(str(escape(key)))
        elif type(value) is str:  # escape writes its double quotes as &#34;: none is left to replace
            out.append(f'{escape(key)}="{escape(value)}"')
        elif value is not False:
            out.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(out)


def _flag_attrs(field, kwargs: dict, names, call: bool) -> None:
    """The field's flags a widget writes as attributes (``validation_attrs``), unless the caller set them."""
    flags = getattr(field, "flags", None)
    if flags is None:
        return
    for name, value in vars(flags).items():
        if name in names and name not in kwargs:
            kwargs[name] = value() if call and callable(value) else value


def control(field, attrs=None) -> Markup:
    """``field(**attrs)``: the same HTML, sooner, for the widgets above; WTForms' own call for anything else."""
    widget = field.widget
    kind = type(widget)
    meta = getattr(field, "meta", None)
    if type(meta).render_field is not DefaultMeta.render_field:
        return Markup(field(**(attrs or {})))  # nosec B704
    kwargs = {clean_key(k): v for k, v in (attrs or {}).items()}
    own = getattr(field, "render_kw", None)
    if own is not None:
        kwargs = dict({clean_key(k): v for k, v in own.items()}, **kwargs)
    if "name" in kwargs:
        return Markup(field(**(attrs or {})))  # nosec B704 - WTForms refuses it (a TypeError): so does this
    if kind in _PLAIN_INPUTS or kind in _NUMBER_INPUTS or kind is widgets.CheckboxInput or kind in _DATE_INPUTS:
        if kind in _DATE_INPUTS and getattr(field, "format", None) is not None:
            flags = getattr(field, "flags", None)
            set_flags = vars(flags) if flags is not None else {}
            if any(k in kwargs or k in set_flags for k in ("min", "max")):
                return Markup(widget(field, **kwargs))  # nosec B704 - min/max in the field's format: WTForms'
        if kind in _NUMBER_INPUTS:
            for name in ("step", "min", "max"):
                if getattr(widget, name) is not None:
                    kwargs.setdefault(name, getattr(widget, name))
        if kind is widgets.CheckboxInput and getattr(field, "checked", field.data):
            kwargs.setdefault("checked", True)
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", widget.input_type)
        if "value" not in kwargs:
            kwargs["value"] = field._value()
        if getattr(field, "_datalist", None) is not None:
            return Markup(widget(field, **kwargs))  # nosec B704
        _flag_attrs(field, kwargs, widget.validation_attrs, call=True)
        kwargs["name"] = field.name
        return Markup(f"<input {_params(kwargs)}>")  # nosec B704
    if kind is widgets.TextArea:
        kwargs.setdefault("id", field.id)
        _flag_attrs(field, kwargs, widget.validation_attrs, call=False)
        kwargs["name"] = field.name
        return Markup(f"<textarea {_params(kwargs)}>\r\n{escape(field._value())}</textarea>")  # nosec B704
    if kind is widgets.Select and not field.has_groups():
        kwargs.setdefault("id", field.id)
        if widget.multiple:
            kwargs["multiple"] = True
        _flag_attrs(field, kwargs, widget.validation_attrs, call=False)
        kwargs["name"] = field.name
        html = [f"<select {_params(kwargs)}>"]
        for choice in field._iter_choices_normalized():
            value = choice.value
            if isinstance(value, bool):
                value = str(value)
            options = {"value": value, **(choice.render_kw or {})}
            if choice.selected:
                options["selected"] = True
            html.append(f"<option {_params(options)}>{escape(choice.label or choice.value)}</option>")
        html.append("</select>")
        return Markup("".join(html))  # nosec B704
    return Markup(field(**(attrs or {})))  # nosec B704
