"""The application (S-3) on its way to registration: filing, the trading department's check, the board's and
the management's decisions, the CD's consent, and later changes of the conditions. One transaction each,
audited, notified, like ``service``."""

import datetime
import json
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import User, add_working_days, audit
from core import database as db
from plugins.subscription import rules
from plugins.subscription.models import (
    ConditionChange,
    ConsortiumMember,
    Subscription,
)
from plugins.subscription.service import (
    SubscriptionError,
    _fresh,
    _move,
    _tell,
    csd_users,
    is_stock_member,
    now,
    staff_of,
    stock_members,
    users_of,
)

# --- the application (S-3) ------------------------------------------------------------------------


def conditions_of(fields: dict, filed_at: datetime.datetime) -> rules.Conditions:
    local = rules.local
    return rules.Conditions(
        filed_at=local(filed_at),
        accept_from=local(fields["accept_from"]),
        accept_to=local(fields["accept_to"]),
        activation_at=local(fields["activation_at"]),
        accepted_register_on=fields["accepted_register_on"],
        satisfied_register_on=fields["satisfied_register_on"],
        deal_at=local(fields["deal_at"]),
        settlement_at=local(fields["settlement_at"]),
        ccp=fields["ccp"],
        settlement_org=fields["settlement_org"],
        collateral_mode=fields["collateral_mode"],
        collateral_at=local(fields["collateral_at"]) if fields.get("collateral_at") else None,
        abroad=fields.get("abroad", False),
        criteria_check=fields.get("criteria_check", False),
        market_orders=fields.get("market_orders", False),
        security_kind=fields["security_kind"],
        quantity=fields.get("quantity"),
        total_nominal=fields.get("total_nominal"),
        nominal=fields.get("nominal"),
    )


def create(user: User, fields: dict, consortium=()) -> Subscription:
    """A draft application (form S-A1) of the user's organisation as seller or lead member."""
    if not is_stock_member(user.organisation):
        raise SubscriptionError(_("Подать заявление может только член Биржи категории «фондовая»."))
    with db.atomic():
        sub = Subscription.create(seller=user.organisation, filed_by=user, **fields)
        for org in consortium:
            ConsortiumMember.create(subscription=sub, organisation=org)
        audit.record("subscription.create", sub, organisation=user.organisation, isin=sub.isin)
    return sub


def file(sub: Subscription, user: User, at: datetime.datetime | None = None) -> Subscription:
    """S-3.1: the seller files at least 3 working days before acceptance starts (30 minutes in S-3.7)."""
    at = at or now()
    with db.atomic():
        sub = _fresh(sub, "draft", "board_refused", "refused")
        fields = {name: getattr(sub, name) for name in rules.Conditions.__dataclass_fields__ if hasattr(sub, name)}
        errors = rules.check_conditions(conditions_of(fields, at))
        if errors:
            raise SubscriptionError("; ".join(str(e) for e in errors.values()), field=next(iter(errors)))
        _move(sub, "filed", filed_at=at, service_note="", decision_note="", decided_at=None)
        audit.record("subscription.file", sub, organisation=sub.seller, refiled=sub.filed_at is not None)
        _tell(
            staff_of("trading"), _l("Поступило заявление о проведении подписки на %(isin)s.", isin=sub.isin), sub, user
        )
    return sub


def trading_check(sub: Subscription, user: User, note: str) -> Subscription:
    """S-3.2: the trading department checks it and sends a service note to the board member."""
    with db.atomic():
        sub = _fresh(sub, "filed")
        _move(sub, "checked", service_note=note)
        audit.record("subscription.check", sub, note=note)
        deadline = add_working_days(rules.local(sub.filed_at).date(), 1)
        _tell(
            staff_of("board"),
            _l(
                "Служебная записка по подписке на %(isin)s: решение не позднее %(date)s.",
                isin=sub.isin,
                date=deadline.strftime("%d.%m.%Y"),
            ),
            sub,
            user,
        )
    return sub


def board_decide(sub: Subscription, user: User, approve: bool, note: str) -> Subscription:
    """S-3.2: the board member in charge decides by the next working day; a refusal goes to the
    Management Board for the final decision."""
    with db.atomic():
        sub = _fresh(sub, "checked")
        audit.record("subscription.board_decision", sub, approved=approve, note=note)
        if approve:
            _approved(sub, user, note)
        else:
            _move(sub, "board_refused", decision_note=note, decided_at=now())
            _tell(
                staff_of("management"),
                _l("Отказ члена Правления по подписке на %(isin)s: нужно решение Правления.", isin=sub.isin),
                sub,
                user,
            )
    return sub


def management_decide(sub: Subscription, user: User, approve: bool, note: str) -> Subscription:
    with db.atomic():
        sub = _fresh(sub, "board_refused")
        audit.record("subscription.management_decision", sub, approved=approve, note=note)
        if approve:
            _approved(sub, user, note)
        else:
            _move(sub, "refused", decision_note=note, decided_at=now())
            # S-3.6: a refusal is notified to the seller.
            _tell(users_of([sub.seller]), _l("В проведении подписки отказано: %(note)s", note=note), sub, user)
    return sub


def _approved(sub, user, note):
    if sub.cd_settles:
        # S-3.3: ask the CD's consent to check orders against the criteria and to disclose investor data.
        _move(sub, "cd_consent", decision_note=note, decided_at=now())
        _tell(
            csd_users(),
            _l(
                "Просим согласие на проведение подписки на %(isin)s (проверка заявок на соответствие "
                "критериям, раскрытие сведений об инвесторах): ответ не позднее %(date)s.",
                isin=sub.isin,
                date=add_working_days(rules.local(now()).date(), 1).strftime("%d.%m.%Y"),
            ),
            sub,
            user,
        )
    else:
        _register(sub, user)


def cd_answer(sub: Subscription, user: User, consent: bool, note: str = "") -> Subscription:
    """S-3.4: the CD answers by the next working day."""
    if not user.organisation.has_role("csd"):
        raise SubscriptionError(_("Отвечает центральный депозитарий."))
    with db.atomic():
        sub = _fresh(sub, "cd_consent")
        audit.record("subscription.cd_answer", sub, consent=consent, note=note)
        if consent:
            _move(sub, "cd_consent", cd_consent_at=now())
            _register(sub, user)
        else:
            _move(sub, "refused", decision_note=note or _("Центральный депозитарий не дал согласия."))
            _tell(users_of([sub.seller]), _l("В проведении подписки отказано: %(note)s", note=note), sub, user)
    return sub


def _register(sub: Subscription, user):
    """S-3.5: a unique number, the CD informed, and an announcement unless the placement is private."""
    year = rules.local(now()).year
    count = (
        Subscription.select()
        .where(Subscription.number.is_null(False) & Subscription.number.startswith(f"SUB-{year}-"))
        .count()
    )
    number = f"SUB-{year}-{count + 1:04d}"
    _move(sub, "registered", number=number, registered_at=now(), announced_at=None if sub.private else now())
    sub.number = number
    audit.record("subscription.register", sub, number=number, announced=not sub.private)
    _tell(csd_users(), _l("Подписке присвоен номер %(number)s.", number=number), sub, user)
    _tell(users_of([sub.seller]), _l("Подписка зарегистрирована под номером %(number)s.", number=number), sub, user)
    if not sub.private:
        _tell(
            users_of(stock_members()),
            _l("Объявлена подписка %(number)s на %(isin)s.", number=number, isin=sub.isin),
            sub,
            user,
        )


CHANGEABLE = (
    "accept_from",
    "accept_to",
    "activation_at",
    "collateral_at",
    "accepted_register_on",
    "satisfied_register_on",
    "deal_at",
    "settlement_at",
    "price",
    "quantity",
    "other_conditions",
    "market_orders",
)


def request_change(sub: Subscription, user: User, text: str, changes: dict) -> ConditionChange:
    """S-2.10: the seller asks in writing to change the conditions."""
    if user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Изменить условия может только продавец."))
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise SubscriptionError(_("Эти условия не меняются: %(list)s.", list=", ".join(sorted(unknown))))
    with db.atomic():
        record = {k: [_json(getattr(sub, k)), _json(v)] for k, v in changes.items()}
        change = ConditionChange.create(
            subscription=sub, requested_by=user, request_text=text, changes=json.dumps(record, ensure_ascii=False)
        )
        audit.record("subscription.change_request", sub, changes=record)
        _tell(
            staff_of("board"),
            _l("Продавец просит изменить условия подписки %(number)s.", number=sub.number or ""),
            sub,
            user,
        )
    return change


def decide_change(change: ConditionChange, user: User, approve: bool) -> ConditionChange:
    """S-2.10 by the board member in charge; S-2.11 the CD and stock members are told at once."""
    with db.atomic():
        change = ConditionChange.get_by_id(change.id)
        if change.decided_at is not None:
            raise SubscriptionError(_("По этой просьбе уже принято решение."))
        sub = change.subscription
        if approve:
            updates = {
                k: _parse(Subscription._meta.fields[k], new) for k, (_old, new) in json.loads(change.changes).items()
            }
            fields = {
                n: updates.get(n, getattr(sub, n)) for n in rules.Conditions.__dataclass_fields__ if hasattr(sub, n)
            }
            # the dates must still hold together; the 3-day rule counted from the original filing
            errors = {
                k: v
                for k, v in rules.check_conditions(conditions_of(fields, sub.filed_at or sub.created_at)).items()
                if k != "accept_from" or "accept_from" in updates
            }
            if errors:
                raise SubscriptionError("; ".join(str(e) for e in errors.values()))
            Subscription.update(version=Subscription.version + 1, **updates).where(Subscription.id == sub.id).execute()
        change.decided_by, change.decided_at, change.approved = user.id, now(), approve
        change.save()
        audit.record("subscription.change_decision", sub, approved=approve)
        if approve:
            message = _("Изменены условия подписки %(number)s.", number=sub.number or sub.isin)
            _tell(csd_users() + users_of(stock_members()), message, sub, user)
        else:
            _tell(users_of([sub.seller]), _l("В изменении условий отказано."), sub, user)
    return change


def _json(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parse(field, value):
    import peewee as pw

    if value is None:
        return None
    if isinstance(field, pw.DateTimeField):
        return datetime.datetime.fromisoformat(value)
    if isinstance(field, pw.DateField):
        return datetime.date.fromisoformat(value)
    if isinstance(field, pw.DecimalField):
        return Decimal(value)
    return value
