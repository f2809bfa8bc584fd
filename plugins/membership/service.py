"""What a membership decision changes outside the application: the organisation's role "member" and
its categories. Runs inside the transaction of the application's move (is2in_application_transition)."""

import datetime

from flask import url_for
from flask_babel import gettext as _

from core import Transition, User, audit, clock, engine, notify
from plugins.membership.models import CATEGORIES, Membership, category_order, set_member_role
from plugins.membership.procedures import CATEGORY_FORMS

GRANTING = ("membership.admission", "membership.add_category")


def is_positive(application) -> bool:
    return application.decision_result == "approved"


def requested(application) -> list[str]:
    values = engine.form_values(application, CATEGORY_FORMS[application.procedure])
    return [c for c in values.get("categories") or [] if c in CATEGORIES]


def decision_date(application) -> datetime.date:
    """The day the decision was recorded, in Almaty time; today if it is not found."""
    decided = (
        Transition.select()
        .where((Transition.application == application) & (Transition.action == "decide"))
        .order_by(Transition.id.desc())
        .first()
    )
    if decided is None:
        return engine.today()
    return clock.date_of(decided.created_at)


def labels(categories) -> str:
    return ", ".join(str(CATEGORIES[c]) for c in categories)


def check_request(application) -> None:
    """Refuse to send a request the decision could not carry out: categories the organisation already
    holds, or a termination in categories it does not hold. Members admitted before the portal have
    no recorded categories, so nothing is checked for them."""
    held = set(Membership.categories_of(application.organisation))
    wanted = requested(application)
    if not held:
        return
    if application.procedure in GRANTING and set(wanted) <= held:
        raise engine.WorkflowError(
            _(
                "Организация уже является членом Биржи по категориям: %(categories)s. "
                "Выберите категорию, которой у нее нет.",
                categories=labels(wanted),
            )
        )
    if application.procedure not in GRANTING and not set(wanted) & held:
        raise engine.WorkflowError(
            _(
                "Организация не является членом Биржи по категориям: %(categories)s. Ее категории: %(held)s.",
                categories=labels(wanted),
                held=labels(sorted(held, key=category_order)),
            )
        )


def on_transition(application, action, to_process, user) -> None:
    if application.procedure not in CATEGORY_FORMS:
        return
    organisation = application.organisation
    if action == "send_to_head":
        check_request(application)
        return
    if to_process != "archived" or not is_positive(application):
        return
    day = decision_date(application)
    if application.procedure in GRANTING:
        changed = Membership.grant(organisation, requested(application), day, application)
        set_member_role(organisation, True)
        event = "membership.grant"
        message = _("Организация принята в члены Биржи по категориям: %(categories)s.", categories=labels(changed))
    else:
        changed = Membership.close(organisation, requested(application), day, application)
        remaining = Membership.categories_of(organisation)
        if not remaining:
            set_member_role(organisation, False)
        event = "membership.end"
        message = (
            _("Членство на Бирже прекращено по категориям: %(categories)s.", categories=labels(changed))
            if remaining
            else _("Членство организации на Бирже прекращено.")
        )
    audit.record(
        event, application, organisation=organisation, actor=user, number=application.number, categories=changed
    )
    people = list(User.active_in(organisation).where(User.is_org_admin == True))  # noqa: E712
    if people and (changed or event == "membership.end"):
        notify(
            people,
            "membership.changed",
            procedure=engine.definition(application).title,
            executor=user.full_name,
            message=message,
            link=url_for("membership.index"),
        )
