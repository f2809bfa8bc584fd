"""Producing registers in the background (S-8.1, the seller's proposal): the jobs, their progress rows, and
the notifications sent once their transaction has committed."""

import json
import logging
import os
from array import array
from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, tasks
from core.accounts.models import User
from core.db import db, utcnow
from plugins.subscription import rules, service
from plugins.subscription.models import METHODS, Order, Register, RegisterJob, Subscription
from plugins.subscription.registers.columns import People, _q4, accepted_values, market_price, offered
from plugins.subscription.registers.stream import BATCH, Progress, _progress, _temp_path, book_batches, store_path
from plugins.subscription.registers.xlsx_writer import write_xlsx
from plugins.subscription.registers.xml_writer import write_xml

log = logging.getLogger("is2in.subscription.registers")


# The states in which a satisfied register is received, and in which the seller may call the subscription off.
UPLOAD_STATES = ("accepted_register", "satisfied_register")


# --- producing registers (S-8.1, the proposal) -------------------------------------------------------------


class Outbox:
    """Notifications decided inside a transaction, sent once it has committed: outside a request ``notify``
    queues its mail at once, and the mail task must not run (and close the connection) inside our transaction."""

    def __init__(self):
        self.items = []

    def tell(self, users, message, sub, actor=None, registers=True):
        link = f"/subscriptions/{sub.id}/registers" if registers else None
        self.items.append((users, message, sub, actor, link))

    def send(self) -> None:
        for users, message, sub, actor, link in self.items:
            service._tell(users, message, sub, actor, link=link)
        self.items = []


def _enqueue(name: str, job: RegisterJob) -> None:
    tasks.enqueue(name, job.id)


def start_accepted(sub: Subscription, user: User | None = None, at=None) -> list[RegisterJob]:
    """S-8.1: produce the accepted register (XML and XLSX) in the background."""
    with db.atomic():
        sub = service._fresh(sub, "activated", "accepted_register")
        if not service.period_over(sub, at):
            # S-8.1, S-8.2: produced after the acceptance period, once the control users' refusals are in (S-4.2).
            raise service.SubscriptionError(
                _(
                    "Реестр принятых заявок формируется после окончания приема заявок и периода подтверждения "
                    "(%(until)s).",
                    until=rules.local(service.confirmation_ends(sub)).strftime("%d.%m.%Y %H:%M"),
                )
            )
        busy = RegisterJob.select().where(
            (RegisterJob.subscription == sub)
            & (RegisterJob.kind == "accepted")
            & RegisterJob.status.in_(("pending", "running"))
        )
        if busy.exists():
            raise service.SubscriptionError(_("Реестр принятых заявок уже формируется."))
        jobs = [
            RegisterJob.create(subscription=sub, kind="accepted", format=fmt, requested_by=user)
            for fmt in ("xml", "xlsx")
        ]
        audit.record("subscription.accepted_register_start", sub, actor=user)
    for job in jobs:
        _enqueue("build_register", job)
    return jobs


def start_proposal(
    sub: Subscription, user: User, method: str, fmt: str, cutoff: Decimal | None = None, threshold: int | None = None
) -> RegisterJob:
    """A proposed satisfied register for the seller to edit (``rules.allocate``)."""
    if user.organisation_id != sub.seller_id:
        raise service.SubscriptionError(_("Предложение реестра формируется для продавца."))
    if method not in METHODS or fmt not in ("xml", "xlsx"):
        raise service.SubscriptionError(_("Выберите способ распределения и формат."))
    if method == "cutoff" and cutoff is None:
        raise service.SubscriptionError(_("Укажите цену (доходность) отсечения."))
    if method == "threshold" and not threshold:
        raise service.SubscriptionError(_("Укажите порог полного удовлетворения."))
    with db.atomic():
        sub = service._fresh(sub, *UPLOAD_STATES)
        params = {
            "method": method,
            "cutoff": str(cutoff) if cutoff is not None else None,
            "threshold": int(threshold or 0),
        }
        job = RegisterJob.create(
            subscription=sub, kind="proposal", format=fmt, params=json.dumps(params), requested_by=user
        )
        audit.record("subscription.register_proposal", sub, organisation=sub.seller, actor=user, **params)
    _enqueue("build_register", job)
    return job


def _claim(job_id: int) -> RegisterJob | None:
    taken = (
        RegisterJob.update(status="running", updated_at=utcnow())
        .where((RegisterJob.id == job_id) & (RegisterJob.status == "pending"))
        .execute()
    )
    return RegisterJob.get_by_id(job_id) if taken else None


def _run(job_id: int, work) -> None:
    job = _claim(job_id)
    if job is None:
        return  # taken by another worker, or done already
    try:
        work(job)
    except Exception as exc:  # noqa: BLE001 - the page must show the failure, not spin forever
        log.exception("register job %s failed", job_id)
        if isinstance(exc, service.SubscriptionError):
            message = exc.message
        else:
            message = _("Внутренняя ошибка (%(e)s): повторите позже или обратитесь на Биржу.", e=type(exc).__name__)
        RegisterJob.update(status="failed", message=str(message), finished_at=utcnow()).where(
            RegisterJob.id == job_id
        ).execute()


def build_register(job_id: int) -> None:
    """The background task that writes an accepted register or a proposal."""
    _run(job_id, _build)


def _proposal_plan(sub: Subscription, options: dict):
    """The proposed quantity per order, by ``rules.allocate``. Only (price, yield, quantity) per order is held,
    with the numbers in a compact array to keep the second pass in step."""
    numbers = array("q")
    book = []
    fields = (Order.number, Order.kind, Order.price, Order.yield_rate, Order.quantity)
    last = 0
    while True:
        query = service.accepted_orders(sub).where(Order.number > last).select(*fields).limit(BATCH).tuples()
        count = 0
        for number, kind, price, yield_rate, quantity in query.iterator():
            count += 1
            last = number
            numbers.append(number)
            limit = kind == "limit"
            book.append(
                {"price": price if limit else None, "yield": yield_rate if limit else None, "quantity": quantity or 0}
            )
        if count < BATCH:
            break
    cutoff = Decimal(options["cutoff"]) if options.get("cutoff") else None
    given = rules.allocate(book, offered(sub), options["method"], cutoff, options.get("threshold") or 0, sub.is_debt)
    return numbers, array("q", given)


def proposed_fill(order, sub: Subscription, acc: dict, quantity: int, options: dict) -> dict:
    """Columns 7-10 of the proposal: the cut-off price (yield for debt) under the cut-off method, otherwise the
    order's own price; a money-volume market order never above its money."""
    cutoff = Decimal(options["cutoff"]) if options.get("cutoff") else None
    by_cutoff = options.get("method") == "cutoff" and cutoff is not None
    price = acc["acc_price"]
    yield_rate = None
    if sub.is_debt:
        yield_rate = _q4(cutoff) if by_cutoff else acc["acc_yield"]
    elif by_cutoff:
        price = _q4(cutoff)
    quantity = max(0, int(quantity))
    if order.kind == "market" and order.basis == "money" and price:
        quantity = min(quantity, int((Decimal(order.money) / Decimal(price)).to_integral_value(rounding=ROUND_DOWN)))
    volume = rules.money(Decimal(price) * quantity) if price is not None else None
    return {"sat_price": price, "sat_yield": yield_rate, "sat_qty": quantity, "sat_volume": volume}


def register_rows(sub: Subscription, plan=None, options=None, progress=None):
    """The rows of a register, in number order: (order, accepted columns, proposed fill or None, columns
    11-17), from the book in keyset batches."""
    market = None
    who = People(sub)
    index = 0
    for batch in book_batches(sub):
        who.load(batch)
        for order in batch:
            if order.kind == "market" and market is None:
                market = market_price(sub)
            acc = accepted_values(order, sub, market)
            sat = None
            if plan is not None:
                numbers, given = plan
                if index >= len(numbers) or numbers[index] != order.number:
                    raise service.SubscriptionError(_("Книга заявок изменилась во время формирования. Повторите."))
                sat = proposed_fill(order, sub, acc, given[index], options)
            index += 1
            yield order, acc, sat, who.values(order)
        if progress:
            progress(index)


def _build(job: RegisterJob) -> None:
    sub = Subscription.get_by_id(job.subscription_id)
    total = service.accepted_orders(sub).count()
    _progress(job.id, 0, total)
    options = job.options
    plan = _proposal_plan(sub, options) if job.kind == "proposal" else None
    kind = "proposal" if job.kind == "proposal" else "accepted"
    rows = register_rows(sub, plan, options, Progress(job.id))

    path = _temp_path()
    try:
        writer = write_xml if job.format == "xml" else write_xlsx
        totals = writer(path, sub, kind, rows)
        stem = "accepted-register" if kind == "accepted" else "satisfied-register-proposal"
        stored = store_path(path, f"{stem}-{sub.number or sub.id}", job.format)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    outbox = Outbox()
    with db.atomic():
        register = None
        if job.kind == "accepted":
            register = Register.create(
                subscription=sub, kind="accepted", format=job.format, file=stored, status="accepted"
            )
            audit.record(
                "subscription.accepted_register",
                sub,
                organisation=sub.seller,
                actor=job.requested_by,
                register=register.id,
                format=job.format,
                orders=totals.orders,
            )
            fresh = Subscription.get_by_id(sub.id)
            if fresh.state == "activated":
                # S-8.1: handed to the seller (and shown to the issuer) the moment it exists.
                service._move(fresh, "accepted_register")
                users = service.users_of([sub.seller] + ([sub.issuer] if sub.issuer_id else []))
                outbox.tell(
                    users,
                    _l(
                        "Сформирован реестр принятых заявок по подписке %(number)s (заявок: %(n)s). "
                        "Сведения конфиденциальны и предназначены продавцу и эмитенту.",
                        number=sub.number or sub.isin,
                        n=totals.orders,
                    ),
                    sub,
                )
        RegisterJob.update(
            status="done", file=stored, register=register, done=totals.orders, finished_at=utcnow(), updated_at=utcnow()
        ).where(RegisterJob.id == job.id).execute()
    outbox.send()
