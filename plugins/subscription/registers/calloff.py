"""The seller calling the subscription off (S-9.3), failure (S-9.6), and the periodic job that enforces the
registers' deadlines."""

import datetime

import peewee as pw
from flask_babel import gettext as _

from core import audit
from core.accounts.models import User
from core.db import db
from core.files import sniff, store
from plugins.subscription import service
from plugins.subscription.models import CallOff, Order, RegisterJob, Subscription
from plugins.subscription.registers import jobs
from plugins.subscription.registers.jobs import Outbox, start_accepted
from plugins.subscription.registers.receive import due_end, received_before

STALE = datetime.timedelta(minutes=30)  # a running job with no progress for this long has died
REQUEUE = datetime.timedelta(minutes=5)  # a pending job nobody took is queued again
CALL_OFF_STATES = ("activated", "accepted_register")


# --- calling off (S-9.3) and failure (S-9.6) ---------------------------------------------------------------


def _buyers(sub) -> list[User]:
    orgs = [o for (o,) in Order.select(Order.buyer).where(Order.subscription == sub).distinct().tuples()]
    return service.users_of(orgs) if orgs else []


def _release_all(sub) -> None:
    """The subscription will not settle: every block on its orders is released (S-5.2)."""
    from plugins.subscription.models import TradeAccount

    blocked = (
        Order.select(Order.account, pw.fn.SUM(Order.blocked))
        .where((Order.subscription == sub) & (Order.blocked > 0))
        .group_by(Order.account)
        .tuples()
    )
    for account_id, amount in list(blocked):
        TradeAccount.update(blocked=TradeAccount.blocked - amount).where(TradeAccount.id == account_id).execute()
    Order.update(secured=False, blocked=0).where((Order.subscription == sub) & (Order.blocked > 0)).execute()


def call_off_refusal(sub: Subscription, user: User, at=None) -> str | None:
    at = at or service.now()
    if user.is_staff or user.organisation_id != sub.seller_id:
        return _("Отказаться от проведения подписки может только продавец.")
    if sub.state not in CALL_OFF_STATES:
        return _("Подписка сейчас в состоянии «%(state)s»: отказ невозможен.", state=sub.state_label)
    if at >= due_end(sub):
        return _(
            "Об отказе от проведения подписки сообщается не позднее срока представления реестра удовлетворенных "
            "заявок (%(d)s).",
            d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
        )
    return None


def call_off(sub: Subscription, user: User, reason: str, letter: bytes | None = None, at=None) -> Subscription:
    """S-9.3: the seller calls the subscription off in writing, with the reason; the CD and the buyers are told."""
    reason = (reason or "").strip()
    if not reason:
        raise service.SubscriptionError(_("Укажите причину отказа от проведения подписки."))
    refusal = call_off_refusal(sub, user, at)
    if refusal:
        raise service.SubscriptionError(refusal)
    if letter is not None and sniff(letter) != "pdf":
        raise service.SubscriptionError(_("Письмо прикладывается в формате PDF."))
    outbox = Outbox()
    with db.atomic():
        sub = service._fresh(sub, *CALL_OFF_STATES)
        stored = store(letter, f"call-off-{sub.number or sub.id}", "pdf") if letter else None
        CallOff.create(subscription=sub, reason=reason, letter=stored, called_by=user)
        _release_all(sub)
        service._move(sub, "called_off", failed_reason=_("Продавец отказался от проведения подписки: %(r)s", r=reason))
        audit.record(
            "subscription.call_off",
            sub,
            organisation=sub.seller,
            actor=user,
            reason=reason,
            letter=stored.id if stored else None,
        )
        message = _(
            "Продавец отказался от проведения подписки %(number)s: %(reason)s",
            number=sub.number or sub.isin,
            reason=reason,
        )
        outbox.tell(service.csd_users() + _buyers(sub) + service.staff_of("trading"), message, sub, user, False)
    outbox.send()
    return sub


def fail(sub: Subscription, reason: str, at=None) -> Subscription:
    """S-9.6: no satisfied register accepted in time: the subscription is declared failed."""
    outbox = Outbox()
    with db.atomic():
        sub = service._fresh(sub, "accepted_register")
        _release_all(sub)
        service._move(sub, "failed", failed_reason=reason)
        audit.record("subscription.failed", sub, organisation=sub.seller, reason=reason, rule="S-9.6")
        message = _(
            "Подписка %(number)s признана несостоявшейся: %(reason)s", number=sub.number or sub.isin, reason=reason
        )
        outbox.tell(
            service.users_of([sub.seller]) + service.csd_users() + _buyers(sub) + service.staff_of("trading"),
            message,
            sub,
            None,
            False,
        )
    outbox.send()
    return sub


def enforce_deadlines(at=None) -> dict:
    """The periodic job: the accepted register for every activated subscription (S-8.1), failure where no
    satisfied register came in time (S-9.3) or none was accepted by the deal time (S-9.6), and jobs that died."""
    at = at or service.now()
    done = {"produced": 0, "failed": 0, "requeued": 0}
    stale = (RegisterJob.status == "running") & (RegisterJob.updated_at < at - STALE)
    interrupted = str(_("Формирование прервано; запустите снова."))
    RegisterJob.update(status="failed", message=interrupted, finished_at=at).where(stale).execute()
    for job in list(
        RegisterJob.select().where((RegisterJob.status == "pending") & (RegisterJob.updated_at < at - REQUEUE))
    ):
        RegisterJob.update(updated_at=at).where(RegisterJob.id == job.id).execute()
        jobs._enqueue("check_satisfied_register" if job.kind == "check" else "build_register", job)
        done["requeued"] += 1
    for sub in list(Subscription.select().where(Subscription.state == "activated")):
        if not service.period_over(sub, at) or service.close_period(sub, at):
            continue
        produced = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "accepted")
            & RegisterJob.status.in_(("pending", "running", "done"))
        )
        if not produced.exists():
            try:
                start_accepted(sub, at=at)
                done["produced"] += 1
            except service.SubscriptionError:
                pass
    for sub in list(Subscription.select().where(Subscription.state == "accepted_register")):
        checking = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "check")
            & RegisterJob.status.in_(("pending", "running"))
            & (RegisterJob.created_at < sub.deal_at)
        )
        if checking.exists():
            continue  # a file that came in time is still being checked
        reason = None
        if at >= sub.deal_at:
            reason = _("реестр удовлетворенных заявок не принят до заключения сделок (пункт 6 статьи 9 Правил).")
        elif at >= due_end(sub) and not received_before(sub):
            reason = _(
                "реестр удовлетворенных заявок не представлен в срок (%(d)s) и продавец не сообщил об отказе "
                "(пункт 3 статьи 9 Правил).",
                d=sub.satisfied_register_on.strftime("%d.%m.%Y"),
            )
        if reason:
            try:
                fail(sub, reason, at)
                done["failed"] += 1
            except service.SubscriptionError:
                pass
    return done
