"""Every change of a subscription and its orders (seed 004): one transaction each, audited, notified.
Views and the JSON API call these, so both apply the same checks with the same messages."""

import datetime
import json
from decimal import Decimal

import peewee
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from peewee import Cast, IntegrityError, fn

from core import audit
from core.accounts.models import Organisation, OrganisationRole, StaffRole, User
from core.db import bulk_insert, bulk_update, db, prepared, utcnow
from core.integrations import webhooks
from core.notifications.service import notify
from core.workdays import add_working_days
from plugins.subscription import rules
from plugins.subscription.models import (
    ORDER_FIELDS,
    ConditionChange,
    ConsortiumMember,
    Order,
    Subscription,
    TradeAccount,
    Window,
    amount_of,
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
    return list(Window.select().where(Window.subscription == sub).order_by(Window.accept_from, Window.name))


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
    query = Subscription.select().where(Subscription.id == sub_id).limit(1)
    if not isinstance(db.obj, peewee.SqliteDatabase):
        query = query.for_update()
    rows = prepared("subscription.locked", query, sub_id, 1)  # every order reads it: its SQL written once
    if not rows:
        raise Subscription.DoesNotExist(f"subscription {sub_id}")
    return rows[0]


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
    found = Order.select().where((Order.subscription == sub) & (Order.buyer == buyer) & (Order.client_ref.in_(refs)))
    return {o.client_ref: o for o in found}


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
        number = Order.select(fn.COALESCE(fn.MAX(Order.number), 0)).where(Order.subscription == sub).scalar()
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
    # one order (the page, the API's single route) too: peewee writing a 31-column INSERT cost more than
    # reading its id back by its number (_ids)
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


def collateral_check(sub: Subscription, at=None) -> dict:
    """S-5.2 at the set time: every unsecured order is secured now, in the order of the book, while its
    account's free money lasts; an order it does not cover is cancelled (unsecured).

    One pass over the book: the accounts' free money is read once (locked), the orders are walked as
    tuples in number order and the outcome written set-based. Done order by order, 200,000 orders were
    400,000 statements and 52 s."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if not sub.ccp or sub.collateral_checked_at is not None:
            return {"secured": 0, "cancelled": 0}
        free = _free_money(Order.select(Order.account).where(Order.subscription == sub).distinct())
        price = estimate_price(sub)
        blocks, unsecured, totals, seen, events = [], [], {}, [], {}
        unsecured_orders = (
            Order.select(
                Order.id,
                Order.account,
                Order.kind,
                Order.basis,
                Order.price,
                Order.quantity,
                Order.money,
                Order.buyer,
                Order.number,
                Order.client_ref,
            )
            .where((Order.subscription == sub) & (Order.status == "active") & (Order.secured == False))  # noqa: E712
            .order_by(Order.number)
            .tuples()
        )
        for (
            order_id,
            account_id,
            kind,
            basis,
            unit,
            quantity,
            money,
            buyer_id,
            number,
            ref,
        ) in unsecured_orders.iterator():
            amount = amount_of(kind, basis, unit, quantity, money, price)
            if amount is not None and free[account_id] >= amount:
                free[account_id] -= amount
                totals[account_id] = totals.get(account_id, Decimal(0)) + amount
                blocks.append((order_id, True, amount))
            else:
                unsecured.append(order_id)
                seen.append((order_id, free[account_id], amount))
                events.setdefault(buyer_id, []).append(
                    _order_event(sub, order_id, number, "unsecured", "order.unsecured", ref)
                )
        bulk_update(Order, [Order.secured, Order.blocked], blocks)
        _add_blocked(totals)
        for start in range(0, len(unsecured), 500):
            Order.update(status="unsecured", version=Order.version + 1).where(
                Order.id.in_(unsecured[start : start + 500])
            ).execute()
        bulk_update(Order, [Order.free_at_check, Order.needed_at_check], seen)
        Subscription.update(collateral_checked_at=at).where(Subscription.id == sub.id).execute()
        sub.collateral_checked_at = at
        audit.record("subscription.collateral_check", sub, secured=len(blocks), cancelled=len(unsecured))
        _tell_unsecured(sub, unsecured)
        for buyer_id, changed in events.items():
            webhooks.order_changed(buyer_id, changed)
    return {"secured": len(blocks), "cancelled": len(unsecured)}


TOLD_ORDERS = 20  # orders named one by one in a buyer's notice of the collateral check; the rest are counted


def _amount_text(amount) -> str:
    return "—" if amount is None else f"{Decimal(amount):,.2f}".replace(",", " ")


def _tell_unsecured(sub: Subscription, order_ids: list) -> None:
    """S-5.2: each buyer is told which of its orders the check cancelled and why: the account's free money
    at the check against what the order needed."""
    if not order_ids:
        return
    when = rules.local(sub.collateral_checked_at).strftime("%d.%m.%Y %H:%M")
    by_buyer = {}
    query = (
        Order.select(Order.buyer, Order.number, TradeAccount.code, Order.free_at_check, Order.needed_at_check)
        .join(TradeAccount)
        .where((Order.subscription == sub) & (Order.status == "unsecured"))  # only the check cancels so
        .order_by(Order.number)
        .tuples()
    )
    for buyer, number, code, free, needed in query:
        by_buyer.setdefault(buyer, []).append((number, code, free, needed))
    for buyer, orders in by_buyer.items():
        lines = [
            _(
                "№ %(n)s (счет %(code)s: нужно %(needed)s, свободно %(free)s)",
                n=number,
                code=code,
                needed=_amount_text(needed),
                free=_amount_text(free),
            )
            for number, code, free, needed in orders[:TOLD_ORDERS]
        ]
        if len(orders) > TOLD_ORDERS:
            lines.append(_("и еще заявок: %(n)s", n=len(orders) - TOLD_ORDERS))
        _tell(
            users_of([buyer]),
            _l(
                "Заявки отменены: не обеспечены на %(when)s (проверка обеспечения, п. 2 ст. 5): %(orders)s.",
                when=when,
                orders="; ".join(str(line) for line in lines),
            ),
            sub,
            None,
        )


def set_seller_price(sub: Subscription, user: User, price: Decimal) -> Subscription:
    """S-4.5 (1) and (3): for a one-day period the seller gives the market orders' price before activation
    (with CCP, before the collateral check)."""
    if user.organisation_id != sub.seller_id:
        raise SubscriptionError(_("Цену для рыночных заявок указывает продавец."))
    if price is None or price <= 0:
        raise SubscriptionError(_("Укажите цену больше нуля."), field="price")
    with db.atomic():
        sub = _fresh(sub, "registered")
        deadline = sub.collateral_at if (sub.ccp and sub.collateral_mode == "at_time") else sub.activation_at
        if now() >= deadline:
            raise SubscriptionError(
                _("Цену нужно было указать до %(t)s.", t=rules.local(deadline).strftime("%d.%m.%Y %H:%M"))
            )
        Subscription.update(seller_price=price).where(Subscription.id == sub.id).execute()
        audit.record("subscription.seller_price", sub, price=str(price))
    return Subscription.get_by_id(sub.id)


def activate(sub: Subscription, at=None) -> Subscription:
    """After acceptance ends: the market orders' quantities at the seller's price (one-day period) or at
    the fair value (S-4.5); no orders at all declares the subscription failed and publishes it (S-4.7)."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if sub.state != "registered":
            return sub
        active = Order.select().where((Order.subscription == sub) & (Order.status == "active"))
        if not active.exists() and at >= sub.accept_to:
            _failed_empty(sub, activated_at=at)
            return sub
        if rules.one_day(sub.accept_from, sub.accept_to) and sub.market_orders:
            price = sub.seller_price
        else:
            limits = (
                Order.select(Order.price, Order.quantity)
                .where(
                    (Order.subscription == sub)
                    & (Order.status == "active")
                    & (Order.kind == "limit")
                    & Order.price.is_null(False)
                )
                .tuples()
            )
            price = rules.fair_value(limits.iterator(), sub.nominal if sub.is_debt else sub.book_value)
        if sub.market_orders and price is not None:
            market = (
                Order.select(Order.id, Order.basis, Order.quantity, Order.money)
                .where((Order.subscription == sub) & (Order.status == "active") & (Order.kind == "market"))
                .tuples()
            )
            bulk_update(
                Order,
                [Order.quantity],
                [(id_, rules.market_quantity(basis, qty, money, price)) for id_, basis, qty, money in market],
            )
        _move(sub, "activated", activated_at=at, fair_value=price)
        audit.record("subscription.activate", sub, fair_value=str(price) if price is not None else None)
    return sub


def _failed_empty(sub: Subscription, **fields) -> None:
    """S-4.7: no orders at all: the subscription is declared failed."""
    _move(sub, "failed", failed_reason=str(_("Не подано ни одной заявки.")), **fields)
    audit.record("subscription.failed", sub, reason="no orders")
    _tell(
        users_of([sub.seller]) + csd_users(),
        _l("Подписка %(number)s признана несостоявшейся: не подано ни одной заявки.", number=sub.number),
        sub,
        None,
    )


def close_period(sub: Subscription, at=None) -> bool:
    """At the end of an acceptance period that activation fell inside: with no order in force the
    subscription fails (S-4.7), as it would have at an activation after the period. True if it failed."""
    at = at or now()
    with db.atomic():
        sub = locked(sub.id)
        if sub.state != "activated" or at < sub.accept_to:
            return False
        if Order.select().where((Order.subscription == sub) & (Order.status == "active")).exists():
            return False
        _failed_empty(sub)
    return True


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
    return list(TradeAccount.select().where(TradeAccount.organisation == organisation).order_by(TradeAccount.code))


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
