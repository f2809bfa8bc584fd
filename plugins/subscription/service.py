"""Every change of a subscription and its orders (seed 004): one transaction each, audited, notified.
Views and the JSON API call these, so both apply the same checks with the same messages.
This module holds who is who, the periods, the windows and the orders; the application's way to
registration is in ``application``, the collateral check and activation in ``activation``."""

import datetime
from decimal import Decimal

import peewee
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from peewee import Cast, IntegrityError, fn

from core import (
    Organisation,
    OrganisationRole,
    Prepared,
    Slot,
    StaffRole,
    User,
    audit,
    bulk_insert,
    insert_one,
    notify,
    utcnow,
    webhooks,
)
from core import database as db
from plugins.subscription import rules
from plugins.subscription.models import (
    ORDER_FIELDS,
    Order,
    Subscription,
    TradeAccount,
    Window,
)

PROCEDURE = _l("Подписка на ценные бумаги")


class SubscriptionError(Exception):
    """A refusal with a message for the person; nothing was changed."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class ConflictError(SubscriptionError):
    """The thing changed since the person's page (or the API caller) read it: a version mismatch."""


def now() -> datetime.datetime:
    """Now as a stored instant (naive UTC); its Exchange date is rules.local(now()).date()."""
    return utcnow()


# --- who is who ----------------------------------------------------------------------------------


def member_categories(organisation) -> set[str] | None:
    answers = [
        a
        for a in current_app.extensions["is2in.pm"].hook.is2in_member_categories(organisation=organisation)
        if a is not None
    ]
    if not answers:
        return None
    return set().union(*answers)


def is_stock_member(organisation) -> bool:
    """S-1.2: sellers and buyers are Exchange members of the "stock" category. Kept on the organisation
    object, like its roles: one request asks it several times (the API's visibility, then the order)."""
    if not hasattr(organisation, "_stock_member"):
        if not organisation.is_active or not organisation.has_role("member"):
            organisation._stock_member = False
        else:
            categories = member_categories(organisation)
            organisation._stock_member = categories is None or "stock" in categories
    return organisation._stock_member


def staff_of(*departments) -> list[User]:
    return list(
        User.select().join(StaffRole).where(StaffRole.department.in_(departments) & (User.is_active == True)).distinct()
    )  # noqa: E712


def users_of(organisations) -> list[User]:
    ids = [o.id if hasattr(o, "id") else o for o in organisations]
    return list(User.select().where(User.organisation.in_(ids) & (User.is_active == True)))  # noqa: E712


def stock_members() -> list[Organisation]:
    query = (
        Organisation.select()
        .join(OrganisationRole)
        .where((OrganisationRole.role == "member") & (Organisation.is_active == True))
    )  # noqa: E712
    return [org for org in query if is_stock_member(org)]


def csd_users() -> list[User]:
    orgs = Organisation.with_role("csd")
    return users_of(orgs)


def _tell(users, message, sub, actor, link=None):
    """Notify ``users``; a lazy ``message`` (``_l``) is kept in every language and read in the reader's."""
    number = sub.number or sub.isin
    notify(
        users,
        "subscription.update",
        procedure=LazyString(lambda: f"{PROCEDURE} {number}"),
        executor=actor.full_name if actor else "",
        message=message,
        link=link or f"/subscriptions/{sub.id}",
    )


def _fresh(sub, *states) -> Subscription:
    fresh = Subscription.get_by_id(sub.id)
    if states and fresh.state not in states:
        raise SubscriptionError(
            _("Подписка сейчас в состоянии «%(state)s»: действие недоступно.", state=fresh.state_label)
        )
    return fresh


def _move(sub, state, **fields):
    moved = (
        Subscription.update(state=state, version=Subscription.version + 1, **fields)
        .where((Subscription.id == sub.id) & (Subscription.version == sub.version))
        .execute()
    )
    if not moved:
        raise SubscriptionError(_("Подписка уже изменена в другом окне. Обновите страницу."))
    sub.state, sub.version = state, sub.version + 1
    for name, value in fields.items():
        setattr(sub, name, value)


# --- acceptance windows (issue #17) ------------------------------------------------------------------

EDITABLE = ("draft", "refused", "board_refused")


def windows_of(sub: Subscription) -> list[Window]:
    return list(_WINDOWS.rows(subscription=sub.id))  # every order reads them: their SQL written once per process


_WINDOWS = Prepared(
    lambda: Window.select().where(Window.subscription == Slot("subscription")).order_by(Window.accept_from, Window.name)
)


def add_window(sub: Subscription, user: User, name: str, accept_from, accept_to, min_amount=None) -> Window:
    """A separate acceptance window, set by the seller with the application's conditions: inside the
    acceptance period, with its own minimum order."""
    if user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Окна приема заявок задает продавец."))
    name = (name or "").strip()
    if not name:
        raise SubscriptionError(_("Укажите название окна."), field="name")
    with db.atomic():
        sub = _fresh(sub, *EDITABLE)
        if accept_to <= accept_from:
            raise SubscriptionError(_("Окончание приема в окне должно быть позже его начала."), field="accept_to")
        if accept_from < sub.accept_from or accept_to > sub.accept_to:
            raise SubscriptionError(
                _(
                    "Окно лежит внутри периода приема заявок: с %(start)s по %(end)s.",
                    start=rules.local(sub.accept_from).strftime("%d.%m.%Y %H:%M"),
                    end=rules.local(sub.accept_to).strftime("%d.%m.%Y %H:%M"),
                ),
                field="accept_from",
            )
        if min_amount is not None and min_amount < 0:
            raise SubscriptionError(_("Не может быть отрицательным."), field="min_amount")
        if Window.select().where((Window.subscription == sub) & (Window.name == name)).exists():
            raise SubscriptionError(_("Окно с таким названием уже есть."), field="name")
        window = Window.create(
            subscription=sub, name=name, accept_from=accept_from, accept_to=accept_to, min_amount=min_amount or None
        )
        audit.record("subscription.window_add", sub, organisation=sub.seller, window=name)
    return window


def remove_window(window: Window, user: User) -> None:
    sub = window.subscription
    if user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Окна приема заявок задает продавец."))
    with db.atomic():
        _fresh(sub, *EDITABLE)
        Window.delete().where(Window.id == window.id).execute()
        audit.record("subscription.window_remove", sub, organisation=sub.seller, window=window.name)


def _check_window(sub: Subscription, windows: dict, fields: dict, at, probe: Order, current=None) -> Window | None:
    """Where the subscription has windows: the order names one, comes within its times and reaches its
    minimum. ``windows``: the subscription's windows by id."""
    if not windows:
        return None
    chosen = fields.get("window") or current
    if isinstance(chosen, Window):
        chosen = chosen.id
    elif isinstance(chosen, str):
        chosen = int(chosen) if chosen.isdigit() else None
    window = windows.get(chosen)
    if window is None:
        raise SubscriptionError(_("Выберите окно приема заявок."), field="window")
    if not window.accept_from <= at <= window.accept_to:
        raise SubscriptionError(
            _(
                "Заявки в окно «%(name)s» принимаются с %(start)s по %(end)s.",
                name=window.name,
                start=rules.local(window.accept_from).strftime("%d.%m.%Y %H:%M"),
                end=rules.local(window.accept_to).strftime("%d.%m.%Y %H:%M"),
            ),
            field="window",
        )
    amount = order_amount(probe, sub)
    if window.min_amount and amount is not None and amount < window.min_amount:
        raise SubscriptionError(
            _(
                "Минимальный размер заявки в окне «%(name)s» — %(min)s.",
                name=window.name,
                min=f"{window.min_amount:,.2f}".replace(",", " "),
            ),
            field="quantity",
        )
    return window


# --- orders (S-4, S-5, S-7) ----------------------------------------------------------------------


# The states in which the acceptance period may still run: activation (S-4.5, footnote 3) falls inside the
# period and does not close it. What the period allows is decided by the clock, never by the state alone.
OPEN_STATES = ("registered", "activated")


def accepting(sub: Subscription, at=None) -> bool:
    """S-4.1, S-4.3: within the acceptance period buyers submit, amend and cancel orders."""
    at = at or now()
    return sub.state in OPEN_STATES and sub.accept_from <= at <= sub.accept_to


def removing(sub: Subscription, at=None) -> bool:
    """S-4.3: the seller removes any buyer's order after activation, during the acceptance period."""
    at = at or now()
    return accepting(sub, at) and at >= sub.activation_at


def confirmation_ends(sub: Subscription) -> datetime.datetime:
    """S-4.2, S-A1 condition 5: the time after acceptance ends until which a control user may refuse."""
    return sub.accept_to + datetime.timedelta(minutes=sub.confirmation_minutes or 0)


def confirming(sub: Subscription, at=None) -> bool:
    """S-4.2: the control & collateral system user refuses confirmation after activation and until the time
    the application sets after the acceptance period ends."""
    at = at or now()
    return sub.state in OPEN_STATES and sub.activation_at <= at <= confirmation_ends(sub)


def period_over(sub: Subscription, at=None) -> bool:
    """Acceptance and the confirmation period are over: the accepted register may be produced (S-8.1)."""
    return (at or now()) > confirmation_ends(sub)


def _period_text(sub) -> dict:
    return {
        "start": rules.local(sub.accept_from).strftime("%d.%m.%Y %H:%M"),
        "end": rules.local(sub.accept_to).strftime("%d.%m.%Y %H:%M"),
        "activation": rules.local(sub.activation_at).strftime("%d.%m.%Y %H:%M"),
        "until": rules.local(confirmation_ends(sub)).strftime("%d.%m.%Y %H:%M"),
    }


def removal_refusal(sub: Subscription, at=None) -> str | None:
    """Why the seller may not remove an order now (S-4.3), or None."""
    at = at or now()
    if removing(sub, at):
        return None
    if sub.state in OPEN_STATES and at < sub.activation_at and at <= sub.accept_to:
        return _(
            "Продавец снимает заявки после активации (%(activation)s) до окончания приема заявок (%(end)s).",
            **_period_text(sub),
        )
    return _("Период приема заявок закончился.")


def collateral_due(sub: Subscription, at) -> bool:
    """S-5.1/5.2: with CCP, an order must be secured at submission, or once the set check time passed."""
    if not sub.ccp:
        return False
    return sub.collateral_mode == "submission" or (sub.collateral_at is not None and at >= sub.collateral_at)


def estimate_price(sub: Subscription) -> Decimal | None:
    """The price a market order's amount is estimated at before activation."""
    return sub.seller_price or sub.price or sub.fair_value or (sub.nominal if sub.is_debt else sub.book_value)


def order_amount(order: Order, sub: Subscription) -> Decimal | None:
    return order.amount(price=estimate_price(sub))


def _investor_key(order_fields, buyer) -> str:
    return (order_fields.get("investor_id") or "") if order_fields.get("for_client") else f"member:{buyer.id}"


def _check_order(sub: Subscription, buyer: Organisation, fields: dict, at, existing: Order | None = None, member=None):
    if not accepting(sub, at):
        raise SubscriptionError(
            _(
                "Заявки принимаются с %(start)s по %(end)s.",
                start=rules.local(sub.accept_from).strftime("%d.%m.%Y %H:%M"),
                end=rules.local(sub.accept_to).strftime("%d.%m.%Y %H:%M"),
            )
        )
    if not (is_stock_member(buyer) if member is None else member):
        raise SubscriptionError(_("Заявки подают члены Биржи категории «фондовая»."))
    kind = fields.get("kind")
    if kind not in ("limit", "market"):
        raise SubscriptionError(_("Укажите вид заявки: лимитированная или рыночная."), field="kind")
    if kind == "market" and not sub.market_orders:
        raise SubscriptionError(_("Условия подписки не допускают рыночные заявки."), field="kind")
    if kind == "limit":
        if sub.is_debt and fields.get("yield_rate") is None and fields.get("price") is None:
            raise SubscriptionError(_("Укажите доходность или цену."), field="yield_rate")
        if not sub.is_debt and (fields.get("price") is None or fields["price"] <= 0):
            raise SubscriptionError(_("Укажите цену больше нуля."), field="price")
    basis = fields.get("basis") or "quantity"
    if kind == "market" and basis == "money":
        if not fields.get("money") or fields["money"] <= 0:
            raise SubscriptionError(_("Укажите объем заявки в деньгах больше нуля."), field="money")
    elif not fields.get("quantity") or fields["quantity"] <= 0:
        raise SubscriptionError(_("Укажите количество больше нуля."), field="quantity")
    account = fields.get("account")
    if account is None or account.organisation_id != buyer.id:
        raise SubscriptionError(_("Выберите торгово-клиринговый счет своей организации."), field="account")
    if account.currency != sub.currency:
        raise SubscriptionError(
            _("Валюта счета не совпадает с валютой расчетов подписки (%(cur)s).", cur=sub.currency), field="account"
        )
    if fields.get("for_client") and not (fields.get("investor_name") and fields.get("investor_id")):
        if not fields.get("omnibus"):
            raise SubscriptionError(_("Укажите наименование (ФИО) и БИН/ИИН инвестора."), field="investor_id")
    if sub.investor_data and fields.get("for_client") and not fields.get("consent"):
        # S-7.1: by submitting the buyer consents and confirms the investor's consent to disclosure.
        raise SubscriptionError(_("Подтвердите согласие инвестора на раскрытие сведений о нем."), field="consent")
    if sub.private:
        if fields.get("for_client") and not fields.get("qualified"):
            raise SubscriptionError(
                _("В частном размещении заявки подаются только за квалифицированных инвесторов."), field="qualified"
            )
        probe = Order(
            kind=kind,
            basis=basis,
            price=fields.get("price"),
            quantity=fields.get("quantity"),
            money=fields.get("money"),
        )
        amount = order_amount(probe, sub)
        if amount is not None and sub.currency == "KZT" and amount < rules.PRIVATE_MIN_ORDER:
            raise SubscriptionError(
                _("Минимальный размер заявки в частном размещении — 100 000 тенге."), field="quantity"
            )
        investors = {
            (o.investor_id if o.for_client else f"member:{o.buyer_id}")
            for o in Order.select(Order.investor_id, Order.for_client, Order.buyer).where(
                (Order.subscription == sub)
                & (Order.status == "active")
                & (Order.id != (existing.id if existing else 0))
            )
        }
        investors.add(_investor_key(fields, buyer))
        if len(investors) > rules.PRIVATE_MAX_INVESTORS:
            raise SubscriptionError(_("В частном размещении участвуют не более 50 инвесторов."), field="investor_id")
    return kind, basis, account


def _block(order: Order, account: TradeAccount, amount: Decimal) -> None:
    """Block ``amount`` on the account for the order (S-5.2); the update is refused if money is short."""
    # CAST keeps the comparison numeric on SQLite too, where a Decimal parameter arrives as text.
    wanted = Cast(str(amount), "NUMERIC")
    moved = (
        TradeAccount.update(blocked=TradeAccount.blocked + wanted)
        .where((TradeAccount.id == account.id) & (TradeAccount.balance - TradeAccount.blocked >= wanted))
        .execute()
    )
    if not moved:
        raise _short_of_money(account, amount)
    order.secured, order.blocked = True, amount


def _release(order: Order) -> None:
    if order.blocked:
        TradeAccount.update(blocked=TradeAccount.blocked - order.blocked).where(
            TradeAccount.id == order.account_id
        ).execute()
    order.secured, order.blocked = False, Decimal(0)


def locked(sub_id) -> Subscription:
    """The subscription's row, locked for the transaction on PostgreSQL, so orders are numbered one
    after another and a retried client_ref finds its first order (SQLite's writers queue anyway)."""
    row = _LOCKED.first(id=sub_id)  # every order reads it: its SQL written once per process
    if row is None:
        raise Subscription.DoesNotExist(f"subscription {sub_id}")
    return row


def _locked_query():
    query = Subscription.select().where(Subscription.id == Slot("id")).limit(1)
    return query if isinstance(db.obj, peewee.SqliteDatabase) else query.for_update()


_LOCKED = Prepared(_locked_query)


def submit_order(sub: Subscription, user: User, fields: dict, at=None, client_ref=None) -> Order:
    """One order, as the order page and the API submit it: checked, numbered, secured if collateral is due
    (S-5.2), audited. A refusal raises SubscriptionError and changes nothing."""
    try:
        (taken,) = submit_orders(sub, user, [(fields, client_ref)], at=at)
    except IntegrityError:
        # Everything rolled back, the block included; a raced retry finds its first order.
        earlier = _earlier(sub, user.organisation, [client_ref]).get(client_ref) if client_ref else None
        if earlier is None:
            raise
        return earlier
    if isinstance(taken, SubscriptionError):
        raise taken
    return taken


def _earlier(sub, buyer, refs) -> dict:
    refs = [r for r in refs if r]
    if not refs:
        return {}
    buyer_id = buyer.id if hasattr(buyer, "id") else buyer
    if len(refs) == 1:
        # one order a request (the API's single route): its SQL (the order's 31 columns) written once per process
        found = _EARLIER.rows(subscription=sub.id, buyer=buyer_id, ref=refs[0])
    else:
        found = Order.select().where(
            (Order.subscription == sub) & (Order.buyer == buyer_id) & (Order.client_ref.in_(refs))
        )
    return {o.client_ref: o for o in found}


_EARLIER = Prepared(
    lambda: Order.select().where(
        (Order.subscription == Slot("subscription"))
        & (Order.buyer == Slot("buyer"))
        & (Order.client_ref == Slot("ref"))
    )
)
_LAST_NUMBER = Prepared(
    lambda: (
        Order.select(fn.COALESCE(fn.MAX(Order.number), 0)).where(Order.subscription == Slot("subscription")).tuples()
    )
)


def _free_money(account_ids) -> dict:
    """The free money (balance less blocked) of the accounts ``account_ids`` (ids, or a query of them), their
    rows locked for the transaction on PostgreSQL (SQLite's writers queue anyway): nothing else blocks on
    them meanwhile."""
    query = TradeAccount.select(TradeAccount.id, TradeAccount.balance, TradeAccount.blocked).where(
        TradeAccount.id.in_(account_ids)
    )
    if not isinstance(db.obj, peewee.SqliteDatabase):
        query = query.order_by(TradeAccount.id).for_update()
    return {id_: Decimal(balance) - Decimal(blocked) for id_, balance, blocked in query.tuples()}


def _short_of_money(account, amount) -> SubscriptionError:
    return SubscriptionError(
        _(
            "Недостаточно денег на счете %(code)s для обеспечения заявки: нужно %(amount)s.",
            code=account.code,
            amount=f"{amount:,.2f}".replace(",", " "),
        ),
        field="account",
    )


def submit_orders(sub: Subscription, user: User, items, at=None) -> list:
    """A member's orders in one transaction: ``items`` are ``(fields, client_ref)`` pairs; the result has,
    for each, its Order (a new one, or the one an earlier request with the same client_ref made) or the
    SubscriptionError that refused it alone. Each is checked and secured exactly as a single order is
    (S-4, S-5.2, S-7.1): the same messages; the block of each is its own amount, while the account's
    free money lasts, in the order given; numbers follow one another.

    The checks that read the database (stock membership, the accounts' money, the last number, earlier
    client_refs) are read once per batch, and the orders and their audit events written with one INSERT
    per thousand: a member's back office sending its book no longer pays a transaction per order."""
    at = at or now()
    buyer = user.organisation
    items = list(items)
    results = []
    with db.atomic():
        sub = locked(sub.id)
        earlier = _earlier(sub, buyer, [ref for _fields, ref in items])
        member = is_stock_member(buyer)
        due = collateral_due(sub, at)
        free = None
        (number,) = _LAST_NUMBER.first(subscription=sub.id)
        windows = {w.id: w for w in windows_of(sub)}
        pending, new, blocked = [], [], {}
        for fields, client_ref in items:
            if client_ref and client_ref in earlier:
                results.append(earlier[client_ref])  # the member system's retry of an order already taken
                continue
            try:
                if sub.private and pending:
                    _insert(pending)  # the private placement's investor count reads the orders before this one
                    pending = []
                kind, basis, account = _check_order(sub, buyer, fields, at, member=member)
                data = {k: fields.get(k) for k in ORDER_FIELDS if k in fields}
                data.update(kind=kind, basis=basis)
                order = Order(
                    subscription=sub,
                    number=number + 1,
                    buyer=buyer,
                    entered_by=user,
                    account=account,
                    submitted_at=at,
                    client_ref=client_ref,
                    confirmed=None if account.controller_id else True,
                    **{k: v for k, v in data.items() if v is not None},
                )
                _activated_quantity(sub, order)
                order.window = _check_window(sub, windows, fields, at, order)
                if due:
                    amount = order_amount(order, sub)
                    if amount is None:
                        raise SubscriptionError(
                            _("Сумма рыночной заявки неизвестна до активации: укажите объем в деньгах.")
                        )
                    if free is None:
                        own = TradeAccount.select(TradeAccount.id).where(TradeAccount.organisation == buyer)
                        free = _free_money(own)
                    if free.get(account.id, Decimal(0)) < amount:
                        raise _short_of_money(account, amount)
                    free[account.id] -= amount
                    blocked[account.id] = blocked.get(account.id, Decimal(0)) + amount
                    order.secured, order.blocked = True, amount
            except SubscriptionError as exc:
                results.append(exc)
                continue
            number += 1
            order.taken_now = True
            pending.append(order)
            new.append(order)
            results.append(order)
            if client_ref:
                earlier[client_ref] = order
        _insert(pending)
        _add_blocked(blocked)
        audit.record_many(
            "order.submit",
            sub,
            organisation=buyer,
            actor=user,
            entries=[{"order": o.number, "kind": o.kind} for o in new],
        )
        _ids(sub, new)
        webhooks.order_changed(
            buyer.id, [_order_event(sub, o.id, o.number, "active", "order.submit", o.client_ref) for o in new]
        )
    return results


_INSERTED = [f for f in Order._meta.sorted_fields if f.name != "id"]


def _insert(orders: list) -> None:
    if len(orders) == 1:
        # one order (the page, the API's single route): its id comes back with the insert, no read-back (_ids)
        (order,) = orders
        order.id = insert_one(Order, _INSERTED, [order.__data__.get(f.name) for f in _INSERTED])
        return
    # peewee writing a 31-column INSERT cost more than reading the ids back by their numbers (_ids)
    bulk_insert(Order, _INSERTED, ([o.__data__.get(f.name) for f in _INSERTED] for o in orders))


def _ids(sub, orders: list) -> None:
    """The new orders' ids, read back by their numbers (one query; RETURNING differs between databases)."""
    if not orders:
        return
    numbers = {o.number: o for o in orders if o.id is None}
    if not numbers:
        return
    query = Order.select(Order.number, Order.id).where(
        (Order.subscription == sub) & Order.number.between(min(numbers), max(numbers))
    )
    for number, id_ in query.tuples():
        if number in numbers:
            numbers[number].id = id_


def amend_order(order: Order, user: User, fields: dict, version: int, at=None) -> Order:
    """S-4.3: the buyer amends during the acceptance period; the block follows the new amount."""
    at = at or now()
    with db.atomic():
        order = Order.get_by_id(order.id)
        if order.buyer_id != user.organisation_id:
            raise SubscriptionError(_("Изменить заявку может только подавший ее покупатель."))
        if order.status != "active":
            raise SubscriptionError(_("Заявка уже %(status)s.", status=str(order.status_label).lower()))
        if order.version != version:
            raise ConflictError(_("Заявка уже изменена в другом окне. Обновите страницу."), field="version")
        sub = order.subscription
        merged = {k: getattr(order, k) for k in ORDER_FIELDS}
        merged.update({k: v for k, v in fields.items() if k in ORDER_FIELDS})
        merged["account"] = fields.get("account") or order.account
        merged["consent"] = fields.get("consent", True)
        kind, basis, account = _check_order(sub, order.buyer, merged, at, existing=order)
        was_secured = order.secured
        _release(order)
        for key in ORDER_FIELDS:
            setattr(order, key, merged[key])
        order.account, order.amended_at = account, at
        _activated_quantity(sub, order)
        windows = {w.id: w for w in windows_of(sub)}
        window = _check_window(sub, windows, fields, at, order, current=order.window_id)
        if was_secured or collateral_due(sub, at):
            _block(order, account, order_amount(order, sub))
        moved = (
            Order.update(
                version=Order.version + 1,
                **{k: getattr(order, k) for k in ORDER_FIELDS},
                account=account,
                amended_at=at,
                window=window,
                secured=order.secured,
                blocked=order.blocked,
            )
            .where((Order.id == order.id) & (Order.version == version))
            .execute()
        )
        if not moved:
            raise ConflictError(_("Заявка уже изменена в другом окне. Обновите страницу."), field="version")
        audit.record("order.amend", sub, organisation=order.buyer, order=order.number, actor=user)
    return Order.get_by_id(order.id)


def _order_event(sub, order_id, number, status: str, action: str, client_ref=None) -> dict:
    """An order's status change as the buyer's own systems receive it (core.integrations.webhooks)."""
    return {
        "id": order_id,
        "number": number,
        "subscription": sub.number,
        "isin": sub.isin,
        "status": status,
        "action": action,
        "client_ref": client_ref,
    }


def _close(order: Order, status: str, actor: User, action: str, reason: str = "", at=None):
    at = at or now()
    with db.atomic():
        order = Order.get_by_id(order.id)
        if order.status != "active":
            raise SubscriptionError(_("Заявка уже %(status)s.", status=str(order.status_label).lower()))
        sub = order.subscription
        if action == "order.cancel" and not accepting(sub, at):
            raise SubscriptionError(_("Период приема заявок закончился."))
        if action == "order.remove" and (refusal := removal_refusal(sub, at)):
            raise SubscriptionError(refusal)
        _release(order)
        Order.update(status=status, secured=False, blocked=0, version=Order.version + 1).where(
            Order.id == order.id
        ).execute()
        audit.record(action, sub, organisation=order.buyer, order=order.number, reason=reason)
        webhooks.order_changed(
            order.buyer_id, [_order_event(sub, order.id, order.number, status, action, order.client_ref)]
        )
        if action == "order.cancel" and order.criteria_ok is not None:
            # S-6: the CD is told when a buyer cancels an order it has already checked.
            _tell(
                csd_users(),
                _l("Покупатель отменил заявку № %(n)s, проверенную центральным депозитарием.", n=order.number),
                sub,
                actor,
            )
        if action != "order.cancel":
            _tell(
                users_of([order.buyer]),
                _l(
                    "Заявка № %(n)s: %(status)s. %(reason)s",
                    n=order.number,
                    status=Order(status=status).status_label,
                    reason=reason,
                ),
                sub,
                actor,
            )
    return Order.get_by_id(order.id)


def cancel_order(order: Order, user: User, at=None) -> Order:
    """S-4.3: cancelling during the acceptance period releases the block (S-5.2)."""
    if order.buyer_id != user.organisation_id:
        raise SubscriptionError(_("Отменить заявку может только подавший ее покупатель."))
    return _close(order, "cancelled", user, "order.cancel", at=at)


def remove_order(order: Order, user: User, reason: str, at=None) -> Order:
    """S-4.3: the seller may remove any order during the period."""
    if user.organisation_id != order.subscription.seller_id:
        raise SubscriptionError(_("Снять заявку может только продавец."))
    return _close(order, "removed", user, "order.remove", reason, at=at)


def refuse_order(order: Order, user: User, reason: str, at=None) -> Order:
    """S-4.2: the control & collateral system user refuses to confirm an order on an account it controls,
    until the time the application sets after acceptance ends."""
    at = at or now()
    sub = order.subscription
    if order.account.controller_id != user.organisation_id:
        raise SubscriptionError(_("Подтверждает заявки только пользователь, контролирующий этот счет."))
    if not confirming(sub, at):
        if sub.state in OPEN_STATES and at < sub.activation_at:
            raise SubscriptionError(
                _(
                    "Отказать в подтверждении можно после активации заявок (%(activation)s) до %(until)s.",
                    **_period_text(sub),
                )
            )
        raise SubscriptionError(_("Срок подтверждения заявок истек."))
    return _close(order, "refused", user, "order.refuse", reason, at=at)


def confirm_order(order: Order, user: User) -> Order:
    if order.account.controller_id != user.organisation_id:
        raise SubscriptionError(_("Подтверждает заявки только пользователь, контролирующий этот счет."))
    with db.atomic():
        Order.update(confirmed=True).where((Order.id == order.id) & (Order.status == "active")).execute()
        audit.record("order.confirm", order.subscription, organisation=order.buyer, order=order.number)
    return Order.get_by_id(order.id)


def criteria_result(order: Order, user: User, ok: bool, reason: str = "") -> Order:
    """S-6: after each day's acceptance the CD checks orders against the seller's criteria; a failing
    order is returned (rejected)."""
    if not user.organisation.has_role("csd"):
        raise SubscriptionError(_("Проверку на соответствие критериям проводит центральный депозитарий."))
    if not order.subscription.criteria_check:
        raise SubscriptionError(_("Условия подписки не предусматривают проверку по критериям."))
    if ok:
        with db.atomic():
            Order.update(criteria_ok=True).where(Order.id == order.id).execute()
            audit.record("order.criteria_ok", order.subscription, organisation=order.buyer, order=order.number)
        return Order.get_by_id(order.id)
    Order.update(criteria_ok=False).where(Order.id == order.id).execute()
    return _close(order, "rejected", user, "order.criteria_reject", reason)


def _add_blocked(totals: dict) -> None:
    """Add each account's newly blocked total (the increments, so a concurrent release still counts)."""
    for account_id, amount in totals.items():
        if amount:
            TradeAccount.update(blocked=TradeAccount.blocked + Cast(str(amount), "NUMERIC")).where(
                TradeAccount.id == account_id
            ).execute()


def _activated_quantity(sub: Subscription, order: Order) -> None:
    """An order submitted or amended after activation is active at once (S-4.5, footnote 3): a market
    order gets its quantity at the price activation used."""
    if order.kind == "market" and sub.activated_at is not None and sub.fair_value:
        order.quantity = rules.market_quantity(order.basis, order.quantity, order.money, sub.fair_value)


def accepted_orders(sub: Subscription):
    """S-8.2: the orders the accepted register lists: none that failed the criteria, were refused by the
    control user, were cancelled, removed or unsecured."""
    return (
        Order.select()
        .where(
            (Order.subscription == sub)
            & (Order.status == "active")
            & ((Order.confirmed == True) | Order.confirmed.is_null())
        )  # noqa: E712
        .order_by(Order.number)
    )


def open_accounts(organisation) -> list[TradeAccount]:
    return list(_ACCOUNTS.rows(organisation=organisation))  # every order reads them: SQL written once per process


_ACCOUNTS = Prepared(
    lambda: TradeAccount.select().where(TradeAccount.organisation == Slot("organisation")).order_by(TradeAccount.code)
)


def may_see_orders(user: User, sub: Subscription) -> str | None:
    """Whose orders a user may see: "all" (the seller, S-4.6; the trading department; the CD where it
    settles), "own" (a buyer), or None."""
    if user.is_staff:
        return "all" if user.in_department("trading", "board", "management") or user.is_admin else None
    org = user.organisation
    if org.id == sub.seller_id:
        return "all"
    if org.has_role("csd") and sub.cd_settles:
        return "all"
    if org.has_role("member"):
        return "own"
    if org.has_role("control"):
        return "controlled"  # orders on the accounts it controls (S-4.2)
    return None


def may_see_registers(user: User, sub: Subscription) -> bool:
    """S-8.4: the registers are confidential to the seller and the issuer (and the Exchange's trading staff)."""
    if user.is_staff:
        return user.in_department("trading") or user.is_admin
    return user.organisation_id in (sub.seller_id, sub.issuer_id)
