"""The end of settlement and the results (form S-A3, S-10.7, S-11): the collateral released, the Exchange's
figures, the seller's submission and its publication."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import peewee as pw
from flask_babel import gettext as _

from core import User, add_working_days, audit
from core import database as db
from plugins.subscription import rules, service
from plugins.subscription.models import (
    Deal,
    Order,
    Results,
    Subscription,
    TradeAccount,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import _rows, _sum_money, _summed_money, _tell, today


def _finish(sub, user, at):
    """When no deal waits for settlement: the remaining collateral released, the results recorded and
    published unless the placement is private (S-10.7), the subscription settled."""
    if Deal.select().where((Deal.subscription == sub) & (Deal.status == "formed")).exists():
        return
    _release_collateral(sub)
    count, quantity, volume = (
        Deal.select(pw.fn.COUNT(Deal.id), pw.fn.SUM(Deal.quantity), _sum_money(Deal.volume))
        .where((Deal.subscription == sub) & (Deal.status == "settled"))
        .tuples()
        .get()
    )
    quantity, volume = quantity or 0, _summed_money(volume)
    price = (volume / quantity).quantize(Decimal("0.0001")) if quantity else (sub.price or Decimal(0))
    accepted = accepted_volume(sub)
    values = {
        "settlement_date": today(at),
        "price": price,
        "accepted_total": rules.money(accepted),
        "accepted_exchange": rules.money(accepted),
        "satisfied_total": rules.money(volume),
        "satisfied_exchange": rules.money(volume),
        "submitted_by": None,
        "submitted_at": at,
    }
    if Results.update(**values).where(Results.subscription == sub).execute() == 0:
        Results.create(subscription=sub, **values)
    service._move(sub, "settled", results_published_at=at if sub.public else None)
    audit.record("subscription.settled", sub, actor=user, settled=count, published=sub.public)
    _tell(
        service.users_of([sub.seller_id]) + service.staff_of("trading"),
        _("Расчеты по подписке %(number)s завершены.", number=sub.number)
        + (" " + _("Итоги опубликованы.") if sub.public else ""),
        sub,
        user,
    )


def _release_collateral(sub):
    """The collateral still blocked on the subscription's orders released (S-5): each trade account's
    block falls by the sum over its orders, in one UPDATE per account, and the orders in one UPDATE."""
    held = (Order.subscription == sub) & (Order.blocked > 0)
    for account, amount in (
        Order.select(Order.account, _sum_money(Order.blocked)).where(held).group_by(Order.account).tuples()
    ):
        TradeAccount.update(blocked=TradeAccount.blocked - _summed_money(amount)).where(
            TradeAccount.id == account
        ).execute()
    Order.update(blocked=0, secured=False).where(held).execute()


def accepted_volume(sub: Subscription) -> Decimal:
    """The money amount of the accepted orders (S-8.2), each as collateral counts it (S-5.2), the orders
    read one at a time with only the fields the amount needs."""
    price = service.estimate_price(sub)
    fields = (Order.kind, Order.basis, Order.price, Order.quantity, Order.money)
    query = service.accepted_orders(sub).select(*fields)
    amount = Order.amount  # the model's own rule, applied to the plain row
    total = Decimal(0)
    for row in _rows(query):
        order = SimpleNamespace(**{f.name: f.python_value(value) for f, value in zip(fields, row, strict=True)})
        total += amount(order, price=price) or Decimal(0)
    return total


def satisfied_volume(sub: Subscription) -> Decimal:
    (volume,) = Deal.select(_sum_money(Deal.volume)).where(Deal.subscription == sub).tuples().get()
    return _summed_money(volume)


# --- results where another organisation settles (S-11, form S-A3) --------------------------------------


RESULT_FIELDS = (
    "settlement_date",
    "price",
    "accepted_total",
    "accepted_exchange",
    "satisfied_total",
    "satisfied_exchange",
)


def results_due(sub: Subscription, settlement_date: datetime.date | None = None) -> datetime.date:
    """S-11.4: the seller sends the results by the next working day after settlement."""
    return add_working_days(settlement_date or today(sub.settlement_at), 1)


def results_problems(sub: Subscription, values: dict, at=None) -> dict:
    """Every broken rule of an S-A3 form, by field."""
    errors = {}
    day = values.get("settlement_date")
    if day is not None:
        if day < today(sub.deal_at):
            errors["settlement_date"] = _(
                "Расчеты не могут пройти раньше заключения сделок (%(date)s).",
                date=today(sub.deal_at).strftime("%d.%m.%Y"),
            )
        elif day > today(at):
            errors["settlement_date"] = _("Итоги представляются после проведения расчетов.")
    pairs = (
        ("accepted_exchange", "accepted_total", _("Объем, принятый через Биржу, не может превышать общий объем.")),
        ("satisfied_exchange", "satisfied_total", _("Объем, удовлетворенный через Биржу, не может превышать общий.")),
        ("satisfied_exchange", "accepted_exchange", _("Удовлетворено через Биржу не больше, чем принято через Биржу.")),
        ("satisfied_total", "accepted_total", _("Удовлетворенный объем не может превышать принятый.")),
    )
    for part, whole, message in pairs:
        if values.get(part) is not None and values.get(whole) is not None and values[part] > values[whole]:
            errors.setdefault(part, message)
    if not sub.abroad:
        for total, exchange in (("accepted_total", "accepted_exchange"), ("satisfied_total", "satisfied_exchange")):
            if values.get(total) is not None and values.get(exchange) is not None and values[total] != values[exchange]:
                errors.setdefault(
                    total, _("Подписка проводится только на Бирже: общий объем равен объему через Биржу.")
                )
    return errors


def exchange_figures(sub: Subscription) -> dict:
    """What the Exchange knows of the accepted and satisfied volumes, to compare with the seller's form."""
    return {"accepted": rules.money(accepted_volume(sub)), "satisfied": rules.money(satisfied_volume(sub))}


def submit_results(sub: Subscription, user: User, values: dict, at=None) -> Results:
    """S-11.4: the seller's results; S-11.5: the Exchange publishes them unless the placement is private."""
    at = at or service.now()
    if user.is_staff or user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Итоги подписки представляет продавец."))
    if sub.cd_settles:
        raise SubscriptionError(_("При расчетах через центральный депозитарий итоги подводит Биржа."))
    errors = results_problems(sub, values, at)
    if errors:
        field = next(iter(errors))
        raise SubscriptionError(errors[field], field=field)
    with db.atomic():
        sub = service._fresh(sub, "deals", "settled")
        data = {k: values[k] for k in RESULT_FIELDS}
        data.update(submitted_by=user, submitted_at=at)
        if Results.update(**data).where(Results.subscription == sub).execute() == 0:
            Results.create(subscription=sub, **data)
        due = results_due(sub, values["settlement_date"])
        late = today(at) > due
        service._move(sub, "settled", results_published_at=at if sub.public else None)
        audit.record(
            "subscription.results",
            sub,
            actor=user,
            organisation=user.organisation,
            late=late,
            published=sub.public,
            **{k: str(values[k]) for k in RESULT_FIELDS},
        )
        _tell(
            service.staff_of("trading"),
            _("Продавец представил итоги подписки %(number)s.", number=sub.number)
            + (" " + _("Срок (%(date)s) пропущен.", date=due.strftime("%d.%m.%Y")) if late else ""),
            sub,
            user,
        )
    return Results.get(Results.subscription == sub)


def public_results(sub: Subscription) -> Results | None:
    """The results shown on the public page: published, and never for a private placement."""
    if not sub.public or sub.results_published_at is None:
        return None
    return Results.get_or_none(Results.subscription == sub)
