"""What plugins declare besides procedures: procedure categories, Exchange departments and the engine's step actions.

They used to be closed lists in the core, so a sixth category, a department of its own or an action the engine did
not know meant editing the core. Now each is data a plugin returns from a hook (``is2in_categories``,
``is2in_departments``, ``is2in_step_actions``); the core's own departments and actions are the defaults, and
``create_app`` keeps the union in ``app.extensions`` (``collect_into``). Codes are refused against that union: a
procedure filed under a category nobody declared, reviewed by an unknown department or moving by an unknown action
fails start-up.

``LiveMap`` is a read-only mapping over the current app's union, falling back to the core's defaults outside an app:
the names the core has always had (``DEPARTMENTS``, ``ACTION_FORMS``, ``EFFECTS``...) stay importable and now read it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from flask import current_app, has_app_context
from flask_babel import LazyString


@dataclass(frozen=True)
class Category:
    """A heading of "Процедуры" (G-12): procedures are grouped by ``code`` and the headings sorted by ``order``."""

    code: str
    label: str
    order: int = 100


@dataclass(frozen=True)
class Department:
    """An Exchange department: staff belong to departments, a procedure names the one that reviews it. ``code`` is
    stored per staff member (16 characters at most)."""

    code: str
    label: str
    order: int = 100


@dataclass(frozen=True)
class StepAction:
    """An action the engine can take in a process's ``transitions``: its button's ``label``, the ``form`` the
    page shows for it (a FlaskForm class; ``note`` is kept as the move's note when it has one) and
    ``effect(form, user) -> callable(application)``, run inside the move's transaction after the checks (it may
    raise ``WorkflowError`` to refuse the move); None when the move alone is enough."""

    code: str
    label: str
    form: type
    effect: Callable | None = None


CATEGORIES_KEY = "is2in.categories"
DEPARTMENTS_KEY = "is2in.departments"
ACTIONS_KEY = "is2in.step_actions"


def core_departments() -> tuple[Department, ...]:
    """The departments the core itself works with (the office registers, the board and management read, admins
    and security manage); plugins declare the departments that review their procedures."""
    from core.accounts.models import CORE_DEPARTMENTS

    return tuple(Department(code, label, order) for code, (label, order) in CORE_DEPARTMENTS.items())


def core_actions() -> tuple[StepAction, ...]:
    """The engine's own actions (G-13..G-25): send, return, approve, sign, register, request and answer, meeting,
    decision, letter, archive, accept and withdraw."""
    from core.workflow.engine import CORE_ACTION_LABELS
    from core.workflow.forms import CORE_ACTION_FORMS
    from core.workflow.steps import CORE_EFFECTS

    return tuple(
        StepAction(code, CORE_ACTION_LABELS[code], form, CORE_EFFECTS.get(code))
        for code, form in CORE_ACTION_FORMS.items()
    )


def _same(one, other) -> bool:
    """Two declarations alike (labels compared as text: a lazy label is a new object in each plugin)."""

    def values(item):
        return [type(item)] + [
            str(v) if isinstance(v, LazyString) else v for v in (getattr(item, f.name) for f in fields(item))
        ]

    return values(one) == values(other)


def _union(kind: str, defaults, declared) -> dict:
    """Declarations by code, the defaults first. One code declared twice the same way (two plugins sharing a
    department) is one entry; declared two different ways it is a start-up error."""
    found = {}
    for item in list(defaults) + list(declared):
        known = found.get(item.code)
        if known is not None and not _same(known, item):
            raise ValueError(f"two plugins declare {kind} {item.code!r} differently")
        found[item.code] = item
    return found


def collect_into(app, pm) -> None:
    """Keep the union of the core's and the plugins' declarations in ``app.extensions``."""
    from core.plugins import collect

    app.extensions[CATEGORIES_KEY] = _union("category", (), collect(pm, "is2in_categories"))
    found = _union("department", core_departments(), collect(pm, "is2in_departments"))
    app.extensions[DEPARTMENTS_KEY] = dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
    app.extensions[ACTIONS_KEY] = _union("step action", core_actions(), collect(pm, "is2in_step_actions"))


def check_procedure(app, procedure) -> None:
    """Refuse, at start-up, a procedure whose category, department or actions nobody declared."""
    if procedure.category not in app.extensions[CATEGORIES_KEY]:
        raise ValueError(f"procedure {procedure.code}: unknown category {procedure.category!r}")
    if procedure.department not in app.extensions[DEPARTMENTS_KEY]:
        raise ValueError(f"procedure {procedure.code}: unknown department {procedure.department!r}")
    for process in procedure.processes:
        for action, _target in process.transitions:
            if action not in app.extensions[ACTIONS_KEY]:
                raise ValueError(f"procedure {procedure.code}: {process.code} has unknown action {action!r}")


def _current(key: str, defaults: Callable) -> dict:
    if has_app_context() and key in current_app.extensions:
        return current_app.extensions[key]
    return {item.code: item for item in defaults()}


def categories() -> tuple[Category, ...]:
    """The categories of the current app, in the order "Процедуры" shows them."""
    return tuple(sorted(_current(CATEGORIES_KEY, tuple).values(), key=lambda c: (c.order, c.code)))


def departments() -> dict[str, Department]:
    """The departments of the current app, in their order (the staff form's boxes, the inbox's choice)."""
    return _current(DEPARTMENTS_KEY, core_departments)


def step_actions() -> dict[str, StepAction]:
    return _current(ACTIONS_KEY, core_actions)


class LiveMap(Mapping):
    """A read-only ``{code: value}`` over one registry of the current app (``value(item)`` picks what the old
    closed dict held: a label, a form class, an effect), so code that reads the old names keeps working."""

    def __init__(self, read: Callable, value: Callable, skip_none: bool = False):
        self._read, self._value, self._skip_none = read, value, skip_none

    def _items(self) -> dict:
        items = {code: self._value(item) for code, item in self._read().items()}
        return {k: v for k, v in items.items() if v is not None} if self._skip_none else items

    def __getitem__(self, code):
        return self._items()[code]

    def __iter__(self):
        return iter(self._items())

    def __len__(self):
        return len(self._items())

    def __repr__(self):
        return f"LiveMap({self._items()!r})"


class LiveCategories:
    """``CATEGORIES`` as the core always had it (a sequence of ``Category`` in order), read from the current app."""

    def __iter__(self):
        return iter(categories())

    def __len__(self):
        return len(categories())

    def __getitem__(self, index):
        return categories()[index]

    def __contains__(self, item):
        return item in categories()

    def __repr__(self):
        return f"LiveCategories({categories()!r})"
