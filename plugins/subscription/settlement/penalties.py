"""Penalties for failed deals without CCP (S-12): the claim, its steps, and a referral to the disputes
commission."""

import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import User, audit
from core import database as db
from plugins.subscription import rules, service
from plugins.subscription.models import (
    Deal,
    DealFailure,
    Penalty,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import (
    CCP_DEFAULTS,
    OTHER_ORG_CLAIMS,
    STEP_STATES,
    _fmt,
    _tell,
    deal_number,
    is_trading,
    today,
)

# --- penalties without CCP (S-12) ----------------------------------------------------------------------


def claim_penalty(deal: Deal, user: User, on: datetime.date | None = None) -> Penalty:
    """S-12.2: within 5 working days after the deal was declared failed the injured party claims 0.1% of
    the unexecuted amount from the guilty party; no notice in time means no claim."""
    on = on or today()
    sub = deal.subscription
    if sub.ccp:
        raise SubscriptionError(CCP_DEFAULTS)
    if not sub.cd_settles:
        raise SubscriptionError(OTHER_ORG_CLAIMS)
    if user.is_staff or user.organisation_id not in (deal.buyer_id, deal.seller_id):
        raise SubscriptionError(_("Требование заявляет сторона сделки."))
    failure = DealFailure.get_or_none(DealFailure.deal == deal)
    if deal.status not in ("refused", "failed") or failure is None:
        raise SubscriptionError(_("Неустойка взыскивается только по неисполненной сделке."))
    claimant = user.organisation_id
    guilty = failure.guilty_id or (deal.seller_id if claimant == deal.buyer_id else deal.buyer_id)
    if guilty == claimant:
        raise SubscriptionError(_("Сделка не исполнена по вине вашей организации: требование не заявляется."))
    if on > failure.claim_until:
        raise SubscriptionError(
            _(
                "Срок направления уведомления истек %(date)s: при отсутствии уведомления в течение пяти рабочих "
                "дней Биржа считает, что требований об уплате неустойки нет.",
                date=failure.claim_until.strftime("%d.%m.%Y"),
            )
        )
    terms = rules.penalty(deal.volume, today(sub.deal_at), on)
    with db.atomic():
        if Penalty.select().where(Penalty.deal == deal).exists():
            raise SubscriptionError(_("Требование по этой сделке уже заявлено."))
        penalty = Penalty.create(
            deal=deal,
            claimant=claimant,
            guilty=guilty,
            amount=terms.amount,
            claimed_on=on,
            notice_due=terms.notice_due,
            dispute_until=terms.dispute_until,
        )
        audit.record("penalty.claim", sub, actor=user, deal=deal_number(deal, sub), amount=str(terms.amount))
        _tell(
            service.staff_of("trading"),
            _l(
                "Требование неустойки %(amount)s по сделке %(deal)s: уведомить виновную сторону до %(date)s.",
                amount=_fmt(terms.amount),
                deal=deal_number(deal, sub),
                date=terms.notice_due.strftime("%d.%m.%Y"),
            ),
            sub,
            user,
            link="/settlement/penalties",
        )
    return penalty


def _penalty_step(penalty: Penalty, user: User, step: str, on: datetime.date | None) -> Penalty:
    on = on or today()
    if not is_trading(user):
        raise SubscriptionError(_("Это действие выполняет департамент торговли."))
    with db.atomic():
        penalty = Penalty.get_by_id(penalty.id)
        deal = penalty.deal
        sub = deal.subscription
        number = deal_number(deal, sub)
        if step == "notice":
            if penalty.noticed_on is not None:
                raise SubscriptionError(_("Уведомление уже направлено."))
            if on < penalty.claimed_on:
                raise SubscriptionError(_("Дата не может быть раньше даты требования."))
            penalty.noticed_on, penalty.payment_due = on, rules.payment_due(on)
            message = _(
                "По сделке %(deal)s подписки %(number)s с вашей организации причитается неустойка %(amount)s: "
                "перечислите ее на корреспондентский счет Биржи в центральном депозитарии не позднее %(date)s.",
                deal=number,
                number=sub.number,
                amount=_fmt(penalty.amount),
                date=penalty.payment_due.strftime("%d.%m.%Y"),
            )
            _tell(service.users_of([penalty.guilty_id]), message, sub, user, link="/settlement/penalties")
        elif step == "paid":
            if penalty.noticed_on is None or penalty.paid_on is not None:
                raise SubscriptionError(_("Поступление отмечается после уведомления и один раз."))
            if on < penalty.noticed_on:
                raise SubscriptionError(_("Дата не может быть раньше уведомления."))
            penalty.paid_on, penalty.pass_on_due = on, rules.pass_on_due(on)
        elif step == "passed":
            if penalty.paid_on is None or penalty.passed_on is not None:
                raise SubscriptionError(_("Перечисление отмечается после поступления и один раз."))
            if on < penalty.paid_on:
                raise SubscriptionError(_("Дата не может быть раньше поступления."))
            penalty.passed_on = on
            message = _(
                "Неустойка %(amount)s по сделке %(deal)s перечислена вашей организации.",
                amount=_fmt(penalty.amount),
                deal=number,
            )
            _tell(service.users_of([penalty.claimant_id]), message, sub, user, link="/settlement/penalties")
        else:
            raise SubscriptionError(_("Неизвестный шаг."))
        penalty.save()
        audit.record(f"penalty.{step}", sub, actor=user, deal=number, on=on.isoformat())
    return penalty


def record_notice(penalty: Penalty, user: User, on=None) -> Penalty:
    """S-12.3: the Exchange notifies the guilty party (due by the 2nd working day after the claim); the
    payment is then due by the 5th working day after the notice (S-12.4)."""
    return _penalty_step(penalty, user, "notice", on)


def record_payment(penalty: Penalty, user: User, on=None) -> Penalty:
    """S-12.4 received; S-12.5: the Exchange passes it on within 2 working days."""
    return _penalty_step(penalty, user, "paid", on)


def record_pass_on(penalty: Penalty, user: User, on=None) -> Penalty:
    return _penalty_step(penalty, user, "passed", on)


def refer_dispute(penalty: Penalty, user: User, on: datetime.date | None = None) -> DealFailure:
    """S-12.6: a party that disagrees applies to the disputes commission within 5 working days of the
    deal date."""
    on = on or today()
    if user.is_staff or user.organisation_id not in (penalty.claimant_id, penalty.guilty_id):
        raise SubscriptionError(_("В комиссию обращается сторона сделки."))
    if on > penalty.dispute_until:
        raise SubscriptionError(
            _(
                "Обратиться в комиссию по спорам можно было до %(date)s (пять рабочих дней с даты сделки).",
                date=penalty.dispute_until.strftime("%d.%m.%Y"),
            )
        )
    with db.atomic():
        failure = DealFailure.get(DealFailure.deal == penalty.deal_id)
        if failure.disputed_on is not None:
            raise SubscriptionError(_("Разногласия уже переданы в комиссию."))
        failure.disputed_on, failure.disputed_by = on, user.organisation_id
        failure.save()
        sub = penalty.deal.subscription
        audit.record("penalty.dispute", sub, actor=user, deal=deal_number(penalty.deal, sub))
        _tell(
            service.staff_of("trading"),
            _l(
                "Разногласия по неустойке по сделке %(deal)s переданы в комиссию по спорам.",
                deal=deal_number(penalty.deal, sub),
            ),
            sub,
            user,
            link="/settlement/penalties",
        )
    return failure


def penalty_steps(penalty: Penalty, day: datetime.date | None = None) -> list[dict]:
    """The three deadlines of a penalty, each done, late, pending, overdue or waiting on the one before."""
    day = day or today()
    rows = []
    for key, label, due, done in (
        ("notice", _l("Уведомление виновной стороны"), penalty.notice_due, penalty.noticed_on),
        ("paid", _l("Поступление на корреспондентский счет Биржи"), penalty.payment_due, penalty.paid_on),
        ("passed", _l("Перечисление потерпевшей стороне"), penalty.pass_on_due, penalty.passed_on),
    ):
        if done is not None:
            state = "late" if due is not None and done > due else "done"
        elif due is None:
            state = "waiting"
        else:
            state = "overdue" if day > due else "pending"
        rows.append(
            {"key": key, "label": label, "due": due, "done": done, "state": state, "state_label": STEP_STATES[state]}
        )
    return rows


def penalties_for(user):
    query = (
        Penalty.select(Penalty, Deal)
        .join(Deal, on=(Penalty.deal == Deal.id))
        .order_by(Penalty.claimed_on.desc(), Penalty.id.desc())
    )
    if user.is_staff:
        if user.is_admin or user.in_department("trading", "board", "management"):
            return query
        return query.where(Penalty.id == 0)
    org = user.organisation_id
    return query.where((Penalty.claimant == org) | (Penalty.guilty == org))
