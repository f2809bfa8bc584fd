"""The CD's side (S-10.4 - S-10.6): settling a buyer's deals, refusing them on a ground, or failing every
deal when the seller did not provide the securities."""

from decimal import Decimal

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import User, add_working_days, audit, utcnow
from core import database as db
from plugins.subscription import service
from plugins.subscription.models import (
    GROUNDS,
    NO_SECURITIES,
    Deal,
    DealFailure,
    Order,
    Subscription,
    TradeAccount,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import CCP_DEFAULTS, _fmt, _tell, deal_number, deals_of, today
from plugins.subscription.settlement.certificates import issue_certificate
from plugins.subscription.settlement.results import _finish

# --- settlement through the CD (S-10) -------------------------------------------------------------------


def _check_csd(sub, user):
    if user.is_staff or not user.organisation.has_role("csd"):
        raise SubscriptionError(_("Расчеты проводит центральный депозитарий."))
    if not sub.cd_settles:
        raise SubscriptionError(_("Расчеты по этой подписке проводит иная организация: Биржа в расчетах не участвует."))


def _open_deals(sub, buyer_id) -> list[Deal]:
    deals = list(deals_of(sub, buyer_id))
    if not deals:
        raise SubscriptionError(_("У этого покупателя нет сделок по подписке."))
    if any(d.status != "formed" for d in deals):
        raise SubscriptionError(_("Расчеты по сделкам этого покупателя уже проведены или в них отказано."))
    return deals


def settle_buyer(sub: Subscription, buyer_id: int, user: User, at=None) -> list[Deal]:
    """The CD settles all of a buyer's deals. With CCP the payment comes out of the collateral blocked on
    the buyer's orders (S-10.2, S-5.2): the balance and the block fall by the deal's volume and the rest of
    the order's block is released. Without CCP each deal is paid on its own from the buyer's account
    (S-10.5); money short on any of them refuses nothing by itself: the CD must refuse all (S-10.6).
    Each settled deal gets its exchange certificate (S-10.7)."""
    at = at or service.now()
    _check_csd(sub, user)
    with db.atomic():
        sub = service._fresh(sub, "deals")
        deals = _open_deals(sub, buyer_id)
        mine = (Deal.subscription == sub) & (Deal.buyer == buyer_id)
        # One UPDATE per trade account (a buyer's deals name a few), not two per deal.
        by_account = {}
        for deal in deals:
            due, blocked = by_account.get(deal.order.account_id, (Decimal(0), Decimal(0)))
            by_account[deal.order.account_id] = (due + deal.volume, blocked + Decimal(deal.order.blocked or 0))
        if sub.ccp:
            for account, (due, blocked) in by_account.items():
                TradeAccount.update(balance=TradeAccount.balance - due, blocked=TradeAccount.blocked - blocked).where(
                    TradeAccount.id == account
                ).execute()
            Order.update(blocked=0, secured=False).where(Order.id.in_(Deal.select(Deal.order).where(mine))).execute()
        else:
            short = []
            free_before = {
                a.id: a.balance - a.blocked for a in TradeAccount.select().where(TradeAccount.id.in_(list(by_account)))
            }
            for account, (due, _blocked) in by_account.items():
                # CAST keeps the comparison numeric on SQLite, where a Decimal parameter arrives as text.
                amount = pw.Cast(str(due), "NUMERIC")
                paid = (
                    TradeAccount.update(balance=TradeAccount.balance - amount)
                    .where((TradeAccount.id == account) & (TradeAccount.balance - TradeAccount.blocked >= amount))
                    .execute()
                )
                if not paid:
                    short.append(account)
            if short:  # the whole transaction rolls back: nothing is paid
                # S-10.6 refuses all of the buyer's deals: the buyer's figures, each short account's, and the
                # first deal a payment deal by deal would have stopped at
                first = min((_first_unpaid(deals, account) for account in short), key=deals.index)
                codes = {a.id: a.code for a in TradeAccount.select().where(TradeAccount.id.in_(short))}
                accounts = "; ".join(
                    _(
                        "на счете %(code)s к оплате %(due)s, денег %(money)s, не хватает %(short)s",
                        code=codes[a],
                        due=_fmt(by_account[a][0]),
                        money=_fmt(free_before[a]),
                        short=_fmt(by_account[a][0] - free_before[a]),
                    )
                    for a in short
                )
                raise SubscriptionError(
                    _(
                        "Недостаточно денег для расчетов по сделкам покупателя %(buyer)s (сделок: %(n)s, к оплате "
                        "всего %(due)s): %(accounts)s; первая непокрытая — по сделке %(deal)s. Откажите в расчетах "
                        "по всем сделкам покупателя.",
                        buyer=deals[0].buyer.code,
                        n=len(deals),
                        due=_fmt(sum((d for d, _b in by_account.values()), Decimal(0))),
                        accounts=accounts,
                        deal=deal_number(first, sub),
                    ),
                    field="money",
                )
        Deal.update(status="settled", refusal="").where(mine).execute()
        for deal in deals:
            deal.status = "settled"
            issue_certificate(deal, sub)
        audit.record(
            "subscription.settle",
            sub,
            actor=user,
            buyer=buyer_id,
            deals=[deal_number(d, sub) for d in deals],
            volume=str(sum((d.volume for d in deals), Decimal(0))),
        )
        message = _(
            "Расчеты по сделкам %(deals)s подписки %(number)s проведены; биржевые свидетельства выданы.",
            deals=", ".join(deal_number(d, sub) for d in deals),
            number=sub.number,
        )
        _tell(service.users_of([buyer_id, sub.seller_id]), message, sub, user)
        _finish(sub, user, at)
    return deals


def _first_unpaid(deals, account_id) -> Deal:
    """The first of a buyer's deals on ``account_id`` that its free money does not cover, the deals paid
    one after another in their order (the deal a payment deal by deal would have stopped at)."""
    account = TradeAccount.get_by_id(account_id)
    free, paid = account.balance - account.blocked, Decimal(0)
    on_account = [d for d in deals if d.order.account_id == account_id]
    for deal in on_account:
        paid += deal.volume
        if paid > free:
            return deal
    return on_account[-1]


def refuse_buyer(sub: Subscription, buyer_id: int, user: User, ground: str, note: str = "", at=None) -> list[Deal]:
    """S-10.6: without CCP the CD refuses settlement of ALL of a buyer's deals (short money, a settlement
    date outside the conditions, no CD consent, or its own rules); the deals are declared failed that day
    and the injured party has 5 working days to claim a penalty (S-12.2)."""
    at = at or service.now()
    _check_csd(sub, user)
    if sub.ccp:
        raise SubscriptionError(CCP_DEFAULTS)
    if ground not in GROUNDS:
        raise SubscriptionError(_("Выберите основание отказа."), field="ground")
    with db.atomic():
        sub = service._fresh(sub, "deals")
        deals = _open_deals(sub, buyer_id)
        reason = str(GROUNDS[ground]) + (f": {note}" if note else "")
        guilty = buyer_id if ground == "money" else None
        which = (Deal.subscription == sub) & (Deal.buyer == buyer_id)
        _fail(sub, deals, which, "refused", ground, reason, note, guilty, user, at)
        numbers = [deal_number(d, sub) for d in deals]
        audit.record("subscription.refuse", sub, actor=user, buyer=buyer_id, ground=ground, note=note, deals=numbers)
        _finish(sub, user, at)
    return deals


def refuse_deal(deal: Deal, user: User, ground: str, note: str = "", at=None) -> list[Deal]:
    """Refusing one deal of a buyer refuses all of that buyer's deals (S-10.6)."""
    return refuse_buyer(deal.subscription, deal.buyer_id, user, ground, note, at)


def securities_missing(sub: Subscription, user: User, note: str = "", at=None) -> list[Deal]:
    """S-10.1: the seller did not provide the securities on its sub-account: without CCP every deal still
    open fails through the seller's fault."""
    at = at or service.now()
    _check_csd(sub, user)
    if sub.ccp:
        raise SubscriptionError(CCP_DEFAULTS)
    with db.atomic():
        sub = service._fresh(sub, "deals")
        deals = list(deals_of(sub).where(Deal.status == "formed"))
        if not deals:
            raise SubscriptionError(_("Нет сделок, ожидающих расчетов."))
        reason = str(NO_SECURITIES) + (f": {note}" if note else "")
        _fail(sub, deals, Deal.subscription == sub, "failed", "securities", reason, note, sub.seller_id, user, at)
        audit.record("subscription.securities_missing", sub, actor=user, note=note, count=len(deals))
        _finish(sub, user, at)
    return deals


def _fail(sub, deals, which, status, ground, reason, note, guilty, user, at):
    """Declare ``deals`` (the open deals that ``which`` selects) failed: one UPDATE for the deals, their
    failure records inserted in batches."""
    day = today(at)
    Deal.update(status=status, refusal=reason[:255]).where(which & (Deal.status == "formed")).execute()
    created = utcnow()
    rows = []
    for deal in deals:
        deal.status = status
        rows.append(
            {
                "deal": deal.id,
                "ground": ground,
                "note": note,
                "guilty": guilty,
                "declared_on": day,
                "declared_by": user.id if user else None,
                "created_at": created,
            }
        )
    for batch in pw.chunked(rows, 1000):
        DealFailure.insert_many(batch).execute()
    until = add_working_days(day, 5).strftime("%d.%m.%Y")
    numbers = ", ".join(deal_number(d, sub) for d in deals)
    parties = {d.buyer_id for d in deals} | {sub.seller_id}
    _tell(
        service.users_of(parties),
        _l(
            "Сделки %(deals)s подписки %(number)s признаны неисполненными: %(reason)s. Потерпевшая сторона "
            "вправе направить Бирже уведомление о требовании неустойки до %(date)s.",
            deals=numbers,
            number=sub.number,
            reason=reason,
            date=until,
        ),
        sub,
        user,
    )
    _tell(
        service.staff_of("trading"),
        _l(
            "Сделки %(deals)s подписки %(number)s не исполнены: %(reason)s.",
            deals=numbers,
            number=sub.number,
            reason=reason,
        ),
        sub,
        user,
    )
