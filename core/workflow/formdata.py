"""A form's stored values (``FormData``): read back for an application, offered from what the Exchange already
knows, loaded into a form as if submitted, and a submitted form made JSON-safe. Apart from the engine because
none of it moves an application: the views, the steps and the demo read and write forms through it."""

import datetime

from core.db import Prepared, Slot
from core.workflow.models import Application, FormData


def form_values(app: Application, form_code: str) -> dict:
    row = FormData.get_or_none((FormData.application == app) & (FormData.form_code == form_code))
    return row.values if row else {}


# The company's latest values of a form in another application: read by the stage page for each form it has not
# saved yet, in SQL built once per process (core.db.Prepared).
_EARLIER = Prepared(
    lambda: (
        FormData.select(FormData.data)
        .join(Application, on=(FormData.application == Application.id))
        .where(
            (Application.organisation == Slot("organisation"))
            & (Application.id != Slot("app"))
            & (FormData.form_code == Slot("form_code"))
        )
        .order_by(FormData.updated_at.desc(), FormData.id.desc())
        .limit(1)
    )
)


def known_values(app: Application, spec) -> dict:
    """A form that asks what the Exchange already knows of the company (``spec.prefill``), not yet saved: filled
    with the values the company gave in it in its latest earlier application, then (over them) the Exchange's own
    register."""
    values = {}
    if spec.prefill is None:
        return values  # other forms are reused only by the user's choice of a questionnaire (G-9.6)
    earlier = _EARLIER.first(organisation=app.organisation_id, app=app.id, form_code=spec.code)
    if earlier is not None:
        values.update({k: v for k, v in earlier.values.items() if v not in (None, "", [])})
    values.update({k: v for k, v in spec.prefill(app.organisation).items() if v not in (None, "")})
    return values


def load_form(form_class, values: dict, prefix: str = ""):
    """A form filled with stored values, parsed exactly as if they had been submitted."""
    from werkzeug.datastructures import MultiDict

    data = MultiDict()
    for name, value in values.items():
        key = f"{prefix}-{name}" if prefix else name
        if value is None or value is False:
            continue
        if value is True:
            data.add(key, "y")
        elif isinstance(value, list):
            for item in value:
                data.add(key, str(item))
        else:
            data.add(key, str(value))
    return form_class(formdata=data, prefix=prefix, meta={"csrf": False})


def serialise(form) -> dict:
    """A submitted form as JSON-safe values (dates as ISO text, decimals as text)."""
    values = {}
    for name, field in form._fields.items():
        if name in ("csrf_token", "submit"):
            continue
        value = field.data
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (str, int, float, bool, list)):
            value = str(value)
        values[name] = value
    return values
