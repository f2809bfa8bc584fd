"""Market-maker status at the Exchange: a sixth procedure category from outside the core.

The package declares everything the core used to keep to itself: its category ("Присвоение статуса
маркет-мейкера"), the Exchange department that reviews it ("Департамент маркет-мейкинга") and an action the
engine did not know (the department's check of the quoting obligations). It imports only ``from core import ...``
and touches no file of the core.
"""

from flask_babel import lazy_gettext as _l

from core import Category, Department, Link, StepAction, hookimpl
from is2in_market_making.forms import CheckForm
from is2in_market_making.procedure import CHECK, PROCEDURE, check_obligations

CATEGORY = "market_making"
DEPARTMENT = "market_making"


@hookimpl
def is2in_categories():
    return [Category(CATEGORY, _l("Присвоение статуса маркет-мейкера"), 6)]


@hookimpl
def is2in_departments():
    return [Department(DEPARTMENT, _l("Департамент маркет-мейкинга"), 20)]


@hookimpl
def is2in_step_actions():
    return [StepAction(CHECK, _l("Проверить исполнение обязательств"), CheckForm, check_obligations)]


@hookimpl
def is2in_procedures():
    return [PROCEDURE]


@hookimpl
def is2in_blueprints():
    from is2in_market_making.views import bp

    return [bp]


@hookimpl
def is2in_staff_screens(user):
    return [Link("market_making.index", _l("Маркет-мейкеры"), order=45)]
