"""Deals and settlement of a subscription (seed 004, S-10..S-12): the deals formed from the satisfied
register and the registration orders to the CD, net (with CCP) or gross clearing, the CD's settlement
or refusal of a buyer's deals, exchange certificates, the results (form S-A3) and their publication,
and the penalties for failed deals without CCP."""

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace

import peewee as pw
from flask import Blueprint, abort, flash, has_request_context, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core import (
    BaseModel,
    DecimalField,
    Organisation,
    User,
    add_working_days,
    audit,
    choices,
    client_required,
    clock,
    login_required,
    pdf_response,
    render,
    render_pdf,
    requires,
    staff_required,
    utcnow,
)
from core import database as db
from core import store_file as store
from plugins.subscription import rules, service
from plugins.subscription.models import (
    Deal,
    Fill,
    NetPosition,
    Order,
    Penalty,
    Results,
    Subscription,
    TradeAccount,
)
from plugins.subscription.service import SubscriptionError

bp = Blueprint("subscription_settlement", __name__, template_folder="templates")

DEAL_STATUSES = {
    "formed": _l("Заключена"),
    "settled": _l("Исполнена"),
    "refused": _l("Отказ ЦД в расчетах"),
    "failed": _l("Признана неисполненной"),
}

# S-10.6: the grounds on which the CD refuses settlement of all of a buyer's deals (without CCP).
GROUNDS = {
    "money": _l("Недостаточно денег на банковском счете покупателя для расчетов по всем его сделкам"),
    "date": _l("Дата расчетов не соответствует периоду расчетов, установленному условиями подписки"),
    "consent": _l(
        "Биржа не получила согласие центрального депозитария на проверку заявок по критериям продавца "
        "и на раскрытие сведений о субсчетах инвесторов"
    ),
    "other": _l("Иные случаи, определенные сводом правил центрального депозитария"),
}
# S-10.1: the seller did not provide the securities on its sub-account.
NO_SECURITIES = _l("Продавец не обеспечил ценные бумаги на своем субсчете в центральном депозитарии")

FILL_OUTCOMES = {  # S-11.3
    "full": _l("удовлетворена полностью"),
    "partial": _l("удовлетворена частично"),
    "none": _l("не удовлетворена"),
}

STEP_STATES = {
    "done": _l("выполнено"),
    "late": _l("выполнено с опозданием"),
    "pending": _l("ожидается"),
    "overdue": _l("просрочено"),
    "waiting": _l("после предыдущего шага"),
}

CCP_DEFAULTS = _l(
    "Подписка проводится с участием центрального контрагента: неисполнение обязательств по сделкам "
    "урегулируется процедурами урегулирования дефолтов по правилам клиринговой деятельности Биржи. "
    "Требования о неустойке в этом разделе не заявляются."
)
OTHER_ORG_CLAIMS = _l(
    "Расчеты проводит иная организация: Биржа в расчетах не участвует, требования сторон друг к другу "
    "о возмещении убытков удовлетворяются без участия Биржи."
)


class DealFailure(BaseModel):
    """Why a deal was not executed (S-10.1, S-10.6), who is to blame when the ground says so, the day it
    was declared failed (the 5 working days of S-12.2 count from it) and a referral of the penalty to
    the disputes commission (S-12.6)."""

    deal = pw.ForeignKeyField(Deal, unique=True, on_delete="CASCADE", backref="+")
    ground = pw.CharField(max_length=16)  # money | date | consent | other | securities
    note = pw.TextField(default="")
    guilty = pw.ForeignKeyField(Organisation, null=True, backref="+")
    declared_on = pw.DateField()
    declared_by = pw.ForeignKeyField(User, null=True, backref="+")
    disputed_on = pw.DateField(null=True)
    disputed_by = pw.ForeignKeyField(Organisation, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "subscription_deal_failure"

    @property
    def ground_label(self):
        return NO_SECURITIES if self.ground == "securities" else GROUNDS.get(self.ground, self.ground)

    @property
    def claim_until(self) -> datetime.date:
        """S-12.2: the injured party claims within 5 working days after the deal was declared failed."""
        return add_working_days(self.declared_on, 5)


# --- helpers -------------------------------------------------------------------------------------------


def today(at=None) -> datetime.date:
    """The Exchange's (Almaty) date of ``at`` (now by default): core.clock."""
    return clock.date_of(at or service.now())


def deal_number(deal: Deal, sub: Subscription | None = None) -> str:
    """The deal's number: the subscription's number and the order's (one deal per filled order)."""
    sub = sub or deal.subscription
    return f"{sub.number or sub.id}-{deal.order.number:03d}"


def deal_status_label(deal: Deal):
    return DEAL_STATUSES.get(deal.status, deal.status)


def role_in(sub: Subscription, user) -> str | None:
    """What the user is in the settlement of ``sub``: exchange, seller, csd, issuer, buyer, or None."""
    if user.is_staff:
        return "exchange" if user.is_admin or user.in_department("trading", "board", "management") else None
    org = user.organisation
    if org.id == sub.seller_id:
        return "seller"
    if org.has_role("csd") and sub.cd_settles:
        return "csd"
    if org.id == sub.issuer_id:
        return "issuer"
    if Order.select().where((Order.subscription == sub) & (Order.buyer == org.id)).exists():
        return "buyer"
    return None


def is_trading(user) -> bool:
    return user.is_staff and (user.is_admin or user.in_department("trading"))


def deals_of(sub: Subscription, buyer=None):
    query = (
        Deal.select(Deal, Order)
        .join(Order, on=(Deal.order == Order.id))
        .where(Deal.subscription == sub)
        .order_by(Order.number)
    )
    if buyer is not None:
        query = query.where(Deal.buyer == buyer)
    return query


def _tell(users, message, sub, actor, link=None):
    service._tell(users, message, sub, actor, link=link or f"/subscriptions/{sub.id}/settlement")


def _fmt(value) -> str:
    return f"{Decimal(value):,.2f}".replace(",", " ")


# --- deals (S-10.3, S-11.3) -----------------------------------------------------------------------------


class FormedDeals(Sequence):
    """The deals ``form_deals`` made, in the order of their orders' numbers. Its length is known at once;
    the Deal rows (with their orders) are read on the first look at them. A book of 200,000 deals is then
    not held in memory for a caller that only counts them (the clock, the button, the benchmark)."""

    def __init__(self, sub: Subscription, count: int):
        self.sub, self.count, self._deals = sub, count, None

    def _all(self) -> list[Deal]:
        if self._deals is None:
            self._deals = list(deals_of(self.sub)) if self.count else []
            for deal in self._deals:
                deal.subscription = self.sub
        return self._deals

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._all())


def _is_sqlite() -> bool:
    database = db.obj if isinstance(db, pw.DatabaseProxy) else db
    return isinstance(database, pw.SqliteDatabase)


def _sum_money(field):
    """SUM of a money column, exact on both databases: PostgreSQL sums NUMERIC exactly; SQLite keeps a
    DECIMAL as a binary REAL, so there it sums whole cents as integers (``_summed_money`` turns them back)."""
    if _is_sqlite():
        return pw.fn.SUM(pw.Cast(pw.fn.ROUND(field * 100), "INTEGER"))
    return pw.fn.SUM(field)


def _summed_money(value) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if _is_sqlite():
        return Decimal(int(value)).scaleb(-2)
    return Decimal(value)


def form_deals(sub: Subscription, user: User | None = None, at=None) -> FormedDeals:
    """S-10.3: on the deal date the Exchange forms one deal per filled order of the accepted satisfied
    register; where the CD settles, the registration orders go to it. With CCP the claims and obligations
    are netted per participant (S-10.4); without CCP each deal settles on its own (S-10.5). Every buyer
    is told how its orders were filled (S-11.3).

    Set-based for a book of 200,000 orders: the deals are copied from the fills in one INSERT ... SELECT
    (in order-number order, so the deals' ids follow the orders' numbers), and the net positions, the
    count and the volume come from one GROUP BY over the new deals."""
    at = at or service.now()
    with db.atomic():
        sub = service._fresh(sub, "satisfied_register")
        if today(at) < today(sub.deal_at):
            raise SubscriptionError(
                _(
                    "Сделки заключаются в дату заключения сделок: %(date)s.",
                    date=today(sub.deal_at).strftime("%d.%m.%Y"),
                )
            )
        if Deal.select().where(Deal.subscription == sub).exists():
            raise SubscriptionError(_("Сделки по этой подписке уже сформированы."))
        filled = (
            Fill.select(
                pw.Value(sub.id),
                Fill.order,
                Order.buyer,
                pw.Value(sub.seller_id),
                Fill.price,
                Fill.quantity,
                Fill.volume,
                pw.Value("formed"),
                pw.Value(""),
                pw.Value(at, converter=Deal.created_at.db_value),
            )
            .join(Order, on=(Fill.order == Order.id))
            .where((Fill.subscription == sub) & (Fill.quantity > 0))
            .order_by(Order.number)
        )
        Deal.insert_from(
            filled,
            [
                Deal.subscription,
                Deal.order,
                Deal.buyer,
                Deal.seller,
                Deal.price,
                Deal.quantity,
                Deal.volume,
                Deal.status,
                Deal.refusal,
                Deal.created_at,
            ],
        ).as_rowcount().execute()
        # One row per buyer, in the order of its first deal: its deals' count, securities and money.
        by_buyer = [
            (buyer, count, quantity, _summed_money(volume))
            for buyer, count, quantity, volume in Deal.select(
                Deal.buyer, pw.fn.COUNT(Deal.id), pw.fn.SUM(Deal.quantity), _sum_money(Deal.volume)
            )
            .where(Deal.subscription == sub)
            .group_by(Deal.buyer)
            .order_by(pw.fn.MIN(Deal.id))
            .tuples()
        ]
        count = sum(row[1] for row in by_buyer)
        volume = sum((row[3] for row in by_buyer), Decimal(0))
        if sub.ccp:
            positions = rules.net_positions([(b, q, v) for b, _n, q, v in by_buyer], sub.seller_id)
            rows = [
                {"subscription": sub.id, "participant": p, "money": money, "securities": securities}
                for p, (money, securities) in positions.items()
            ]
            for batch in pw.chunked(rows, 500):
                NetPosition.insert_many(batch).execute()
        service._move(sub, "deals")
        audit.record(
            "subscription.deals",
            sub,
            actor=user,
            count=count,
            volume=str(volume),
            clearing="net" if sub.ccp else "gross",
        )
        _announce_deals(sub, count, volume, user)
        if sub.cd_settles and not count:
            _finish(sub, user, at)
    return FormedDeals(sub, count)


def _announce_deals(sub, count, volume, user):
    number = sub.number or sub.isin
    if sub.cd_settles:
        _tell(
            service.csd_users(),
            _l(
                "Приказы на регистрацию сделок по подписке %(number)s: сделок %(count)s на сумму %(volume)s %(cur)s, "
                "расчеты %(date)s (%(mode)s).",
                number=number,
                count=count,
                volume=_fmt(volume),
                cur=sub.currency,
                date=rules.local(sub.settlement_at).strftime("%d.%m.%Y %H:%M"),
                mode=_("нетто-расчеты с участием центрального контрагента") if sub.ccp else _("гросс-расчеты"),
            ),
            sub,
            user,
            link="/settlement/cd",
        )
    message = _("По подписке %(number)s заключено сделок: %(count)s.", number=number, count=count)
    if not sub.cd_settles:
        message += " " + _(
            "Направьте итоги подписки по форме приложения 3 не позднее рабочего дня, следующего за днем расчетов."
        )
    _tell(service.users_of([sub.seller_id]), message, sub, user)
    _announce_fills(sub, user, number)


def _announce_fills(sub, user, number):
    """S-11.3: each buyer is told how each of its accepted orders was filled, in the orders' numbers.
    The orders are read as plain rows in the order of their numbers (the index order: no sort, no model
    instances), only each buyer's message lines are kept, and the buyers' users come from one query."""
    line = _("заявка № %(n)s — %(outcome)s")  # translated once, filled per order
    labels = {key: str(label) for key, label in FILL_OUTCOMES.items()}
    to_decimal = Fill.price.python_value  # Decimal(str(x)) of SQLite's REAL, as a model read would give
    query = (
        service.accepted_orders(sub)
        .select(Order.number, Order.buyer, Order.quantity, Order.money, Fill.id, Fill.quantity, Fill.price, Fill.volume)
        .join(Fill, pw.JOIN.LEFT_OUTER, on=((Fill.order == Order.id) & (Fill.subscription == sub)))
        .order_by(Order.number)
    )
    by_buyer, prices = {}, {}  # prices: the raw column value -> as the message shows it
    for order_number, buyer, quantity, money, fill_id, filled, price, fill_volume in _rows(query):
        filled = filled if fill_id is not None else 0
        if filled <= 0:
            outcome = "none"
        elif quantity:
            outcome = "full" if filled >= quantity else "partial"
        else:
            outcome = _outcome(quantity, to_decimal(money), filled, to_decimal(fill_volume))
        text = line % {"n": order_number, "outcome": labels[outcome]}
        if filled:
            shown = prices.get(price)
            if shown is None:
                shown = prices[price] = _fmt(to_decimal(price))
            text = f"{text} ({filled} × {shown})"
        lines = by_buyer.get(buyer)
        if lines is None:
            lines = by_buyer[buyer] = []
        lines.append(text)
    users = {}
    for person in service.users_of(list(by_buyer)):
        users.setdefault(person.organisation_id, []).append(person)
    for buyer in list(by_buyer):
        lines = by_buyer.pop(buyer)
        _tell(
            users.get(buyer, []),
            _l("Итоги удовлетворения заявок по подписке %(number)s: %(lines)s.", number=number, lines="; ".join(lines)),
            sub,
            user,
        )


def _rows(query, size: int = 5000):
    """The rows of ``query`` as plain tuples, streamed: SQLite's cursor steps through them as they are
    read; on PostgreSQL a server-side cursor (DECLARE ... FETCH) brings ``size`` at a time, where
    psycopg2's client cursor would fetch a whole book's rows into memory at once. Read-only; the cursor
    lives in a transaction (a savepoint inside the caller's)."""
    if _is_sqlite():
        yield from db.execute(query)
        return
    sql, params = query.sql()
    name = f"is2in_rows_{uuid.uuid4().hex}"
    with db.atomic():
        db.execute_sql(f'DECLARE "{name}" NO SCROLL CURSOR FOR {sql}', params)
        try:
            while True:
                rows = db.execute_sql(f'FETCH {int(size)} FROM "{name}"').fetchall()
                yield from rows
                if len(rows) < size:
                    break
        finally:
            try:
                db.execute_sql(f'CLOSE "{name}"')
            except pw.DatabaseError:  # the transaction failed meanwhile: its rollback ends the cursor
                pass


def _outcome(quantity, money, filled, fill_volume) -> str:
    """S-11.3: full, partial or none, from the order's quantity (or money) and what the register filled."""
    if filled <= 0:
        return "none"
    if quantity:
        return "full" if filled >= quantity else "partial"
    # a market order by money that was never turned into a quantity
    return "full" if money is None or fill_volume >= money else "partial"


def fill_outcomes(sub: Subscription, buyer=None) -> list[dict]:
    """S-11.3: each accepted order filled fully, partly or not at all, by the satisfied register."""
    fills = {f.order_id: f for f in Fill.select().where(Fill.subscription == sub)}
    orders = service.accepted_orders(sub)
    if buyer is not None:
        orders = orders.where(Order.buyer == buyer)
    rows = []
    for order in orders:
        fill = fills.get(order.id)
        filled = fill.quantity if fill else 0
        outcome = _outcome(order.quantity, order.money, filled, fill.volume if fill else None)
        rows.append(
            {"order": order, "fill": fill, "filled": filled, "outcome": outcome, "label": FILL_OUTCOMES[outcome]}
        )
    return rows


def net_positions(sub: Subscription) -> list[NetPosition]:
    return list(
        NetPosition.select(NetPosition, Organisation)
        .join(Organisation, on=(NetPosition.participant == Organisation.id))
        .where(NetPosition.subscription == sub)
        .order_by(NetPosition.money.desc(), Organisation.code)
    )


def participant_totals(sub: Subscription, deals) -> list[NetPosition]:
    """Without CCP the deals settle one by one (S-10.5); the CD still sees what each participant pays or
    receives in all: the deals not refused or failed, summed per participant as S-10.4 nets them."""
    live = [(d.buyer_id, d.quantity, d.volume) for d in deals if d.status in ("formed", "settled")]
    if not live:
        return []
    totals = rules.net_positions(live, sub.seller_id)
    orgs = {o.id: o for o in Organisation.select().where(Organisation.id.in_(list(totals)))}
    rows = [
        NetPosition(subscription=sub, participant=orgs[pid], money=money, securities=securities)
        for pid, (money, securities) in totals.items()
    ]
    return sorted(rows, key=lambda p: (-p.money, p.participant.code))


def buyer_groups(sub: Subscription, deals, at=None) -> list[dict]:
    """The deals by buyer, as the CD settles or refuses them (S-10.6), with what the CD would check:
    the buyer's money (S-10.2), the settlement date and the CD's consent."""
    groups = {}
    for deal in deals:
        group = groups.setdefault(
            deal.buyer_id, {"buyer": deal.buyer, "deals": [], "quantity": 0, "volume": Decimal(0)}
        )
        group["deals"].append(deal)
        group["quantity"] += deal.quantity
        group["volume"] += deal.volume
    for group in groups.values():
        statuses = {d.status for d in group["deals"]}
        group["status"] = statuses.pop() if len(statuses) == 1 else "mixed"
        group["open"] = group["status"] == "formed"
        group["hints"] = _hints(sub, group["deals"], at) if group["open"] else []
        group["money"] = _money_on_hand(sub, group["deals"])
        group["shortfall"] = max(group["volume"] - group["money"], Decimal(0)) if group["open"] else Decimal(0)
    return sorted(groups.values(), key=lambda g: g["buyer"].code)


def _money_on_hand(sub, deals) -> Decimal:
    """With CCP: the collateral blocked for the deals' orders (on the correspondent account, S-10.2);
    without: the free money on the buyer's accounts the orders name."""
    if sub.ccp:
        return sum((Decimal(d.order.blocked or 0) for d in deals), Decimal(0))
    accounts = {d.order.account_id for d in deals}
    return sum((a.free for a in TradeAccount.select().where(TradeAccount.id.in_(accounts))), Decimal(0))


def _hints(sub, deals, at=None) -> list[str]:
    """The S-10.6 grounds that the portal can see apply (the CD decides)."""
    if sub.ccp:
        return []
    found = []
    if _money_on_hand(sub, deals) < sum((d.volume for d in deals), Decimal(0)):
        found.append("money")
    if today(at) != today(sub.settlement_at):
        found.append("date")
    if sub.cd_consent_at is None:
        found.append("consent")
    return found


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


# --- exchange certificates (S-10.7) --------------------------------------------------------------------


def certificate_pdf(deal: Deal, sub: Subscription) -> bytes:
    number = deal_number(deal, sub)
    context = {
        "deal": deal,
        "sub": sub,
        "deal_date": today(sub.deal_at).strftime("%d.%m.%Y"),
        "settlement_date": today(sub.settlement_at).strftime("%d.%m.%Y"),
        "price": _fmt(deal.price),
        "volume": _fmt(deal.volume),
        "quantity": f"{deal.quantity:,}".replace(",", " "),
        "yield_rate": Fill.select(Fill.yield_rate).where(Fill.order == deal.order_id).scalar() if sub.is_debt else None,
    }
    if has_request_context():
        return render_pdf(
            "subscription/certificate_pdf.html", number=number, title=_("Биржевое свидетельство"), **context
        )
    with force_locale("ru"):
        return render_pdf(
            "subscription/certificate_pdf.html", number=number, title=_("Биржевое свидетельство"), **context
        )


def issue_certificate(deal: Deal, sub: Subscription):
    """S-10.7: the exchange certificate of a settled deal, for the seller and the buyer. Not where
    another organisation settles (S-11.1)."""
    if not sub.cd_settles:
        raise SubscriptionError(_("При расчетах через иную организацию биржевые свидетельства не выдаются."))
    stored = store(certificate_pdf(deal, sub), f"certificate-{deal_number(deal, sub)}.pdf", "pdf")
    Deal.update(certificate=stored).where(Deal.id == deal.id).execute()
    deal.certificate = stored
    return stored


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


# --- the clock --------------------------------------------------------------------------------------------


def tick(at=None) -> dict:
    """Deals are formed at the deal date and time (S-10.3) of every subscription whose satisfied register
    was accepted."""
    at = at or utcnow()
    formed = 0
    for sub in Subscription.select().where((Subscription.state == "satisfied_register") & (Subscription.deal_at <= at)):
        try:
            form_deals(sub, None, at)
            formed += 1
        except SubscriptionError:
            continue  # changed meanwhile in another transaction; the next tick looks again
    return {"deals": formed}


def settlement_clock():
    return tick()


# --- forms ---------------------------------------------------------------------------------------------------


class RefusalForm(FlaskForm):
    ground = RadioField(
        _l("Основание отказа (пункт 6 статьи 10 Правил)"),
        choices=choices(GROUNDS.items()),
        validators=[InputRequired(_l("Выберите основание отказа."))],
    )
    note = TextAreaField(_l("Пояснение"), validators=[Optional(), Length(max=1000)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Пояснение"), validators=[Optional(), Length(max=1000)])


class DateForm(FlaskForm):
    on = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату."))])


def _volume(label):
    return DecimalField(
        label,
        places=2,
        validators=[
            InputRequired(_l("Заполните это поле.")),
            NumberRange(min=0, message=_l("Не может быть отрицательным.")),
        ],
    )


class ResultsForm(FlaskForm):
    """Form S-A3: the results of the subscription."""

    settlement_date = DateField(_l("1. Дата проведения расчетов"), validators=[DataRequired(_l("Заполните это поле."))])
    price = DecimalField(
        _l("2. Цена одной ценной бумаги"),
        places=4,
        validators=[
            InputRequired(_l("Заполните это поле.")),
            NumberRange(min=0, message=_l("Не может быть отрицательной.")),
        ],
    )
    accepted_total = _volume(_l("3. Общий объем принятых заявок (при одновременной подписке на Бирже и за рубежом)"))
    accepted_exchange = _volume(_l("4. Общий объем заявок, принятых через Биржу"))
    satisfied_total = _volume(
        _l("5. Общий объем удовлетворенных заявок (при одновременной подписке на Бирже и за рубежом)")
    )
    satisfied_exchange = _volume(_l("6. Общий объем удовлетворенных заявок, поданных через Биржу"))

    def __init__(self, *args, sub=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sub = sub

    def values(self) -> dict:
        return {name: self[name].data for name in RESULT_FIELDS}

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.sub is not None:
            for name, message in results_problems(self.sub, self.values()).items():
                if not self[name].errors:
                    self[name].errors = list(self[name].errors) + [message]
                ok = False
        return ok


# --- views ---------------------------------------------------------------------------------------------------


def _sub_or_404(sub_id) -> tuple[Subscription, str]:
    sub = Subscription.get_or_none(Subscription.id == sub_id)
    if sub is None:
        abort(404)
    role = role_in(sub, current_user)
    if role is None:
        abort(404)
    return sub, role


def _back(sub, message=None, category="success"):
    if message:
        flash(message, category)
    return redirect(url_for("subscription_settlement.page", sub_id=sub.id))


def _visible_deals(sub, role):
    return deals_of(sub, current_user.organisation_id if role == "buyer" else None)


def _page_context(sub, role):
    user = current_user._get_current_object()
    status = request.args.get("status", "")
    deals = _visible_deals(sub, role)
    if status in DEAL_STATUSES:
        deals = deals.where(Deal.status == status)
    deals = list(deals)
    groups = buyer_groups(sub, deals)
    penalties = list(penalties_for(user).where(Deal.subscription == sub))
    failures = {f.deal_id: f for f in DealFailure.select().where(DealFailure.deal.in_([d.id for d in deals]))}
    mine = user.organisation_id if not user.is_staff else None
    return {
        "sub": sub,
        "role": role,
        "status": status,
        "statuses": DEAL_STATUSES,
        "deals": deals,
        "groups": groups,
        "grounds": GROUNDS,
        "deal_number": deal_number,
        "positions": (net_positions(sub) if sub.ccp else participant_totals(sub, deals)) if role != "buyer" else [],
        "total_volume": sum((d.volume for d in deals), Decimal(0)),
        "total_quantity": sum(d.quantity for d in deals),
        "outcomes": fill_outcomes(sub, mine if role == "buyer" else None) if sub.state in ("deals", "settled") else [],
        "failures": failures,
        "penalties": penalties,
        "penalty_steps": penalty_steps,
        "claimed": {p.deal_id for p in Penalty.select(Penalty.deal).where(Penalty.deal.in_([d.id for d in deals]))},
        "results": Results.get_or_none(Results.subscription == sub),
        "results_due": results_due(sub),
        "today": today(),
        "is_trading": is_trading(user),
        "is_csd": role == "csd",
        "mine": mine,
        "refusal_form": RefusalForm(formdata=None),
        "note_form": NoteForm(formdata=None),
        "local": rules.local,
        "ccp_defaults": CCP_DEFAULTS,
        "other_org_claims": OTHER_ORG_CLAIMS,
    }


@bp.route("/subscriptions/<int:sub_id>/settlement")
@login_required
def page(sub_id):
    """The deals, the clearing table, the CD's settlement, the results and the penalties of one subscription."""
    sub, role = _sub_or_404(sub_id)
    return render("subscription/settlement.html", "deal_list", **_page_context(sub, role))


@bp.route("/subscriptions/<int:sub_id>/settlement/deals", methods=["POST"])
@staff_required("trading")
def make_deals(sub_id):
    sub, _role = _sub_or_404(sub_id)
    try:
        deals = form_deals(sub, current_user._get_current_object())
    except SubscriptionError as exc:
        return _back(sub, exc.message, "danger")
    return _back(sub, _("Сформировано сделок: %(n)s.", n=len(deals)))


@bp.route("/subscriptions/<int:sub_id>/settlement/buyers/<int:buyer_id>/settle", methods=["POST"])
@client_required("csd")
def settle(sub_id, buyer_id):
    sub, _role = _sub_or_404(sub_id)
    if not NoteForm().validate_on_submit():
        abort(400)
    try:
        settle_buyer(sub, buyer_id, current_user._get_current_object())
    except SubscriptionError as exc:
        return _back(sub, exc.message, "danger")
    return _back(sub, _("Расчеты по сделкам покупателя проведены; биржевые свидетельства выданы."))


@bp.route("/subscriptions/<int:sub_id>/settlement/buyers/<int:buyer_id>/refuse", methods=["POST"])
@client_required("csd")
def refuse(sub_id, buyer_id):
    sub, _role = _sub_or_404(sub_id)
    form = RefusalForm()
    if not form.validate_on_submit():
        return _back(sub, " ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    try:
        deals = refuse_buyer(
            sub, buyer_id, current_user._get_current_object(), form.ground.data, (form.note.data or "").strip()
        )
    except SubscriptionError as exc:
        return _back(sub, exc.message, "danger")
    return _back(sub, _("В расчетах по всем сделкам покупателя отказано (%(n)s).", n=len(deals)), "warning")


@bp.route("/subscriptions/<int:sub_id>/settlement/securities-missing", methods=["POST"])
@client_required("csd")
def no_securities(sub_id):
    sub, _role = _sub_or_404(sub_id)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        securities_missing(sub, current_user._get_current_object(), (form.note.data or "").strip())
    except SubscriptionError as exc:
        return _back(sub, exc.message, "danger")
    return _back(sub, _("Сделки признаны неисполненными по вине продавца."), "warning")


@bp.route("/subscriptions/<int:sub_id>/deals/<int:deal_id>/certificate")
@login_required
def certificate(sub_id, deal_id):
    sub, role = _sub_or_404(sub_id)
    deal = _visible_deals(sub, role).where(Deal.id == deal_id).first()
    if deal is None or deal.certificate_id is None:
        abort(404)
    return pdf_response(deal.certificate.read(), f"Биржевое свидетельство {deal_number(deal, sub)}.pdf")


@bp.route("/subscriptions/<int:sub_id>/deals/<int:deal_id>/penalty", methods=["POST"])
@client_required("member")
def claim(sub_id, deal_id):
    sub, role = _sub_or_404(sub_id)
    deal = _visible_deals(sub, role).where(Deal.id == deal_id).first() or abort(404)
    if not NoteForm().validate_on_submit():
        abort(400)
    try:
        penalty = claim_penalty(deal, current_user._get_current_object())
    except SubscriptionError as exc:
        return _back(sub, exc.message, "danger")
    return _back(
        sub,
        _(
            "Уведомление о требовании неустойки %(amount)s направлено Бирже.",
            amount=_fmt(penalty.amount),
        ),
    )


@bp.route("/subscriptions/<int:sub_id>/results", methods=["GET", "POST"])
@login_required
def results(sub_id):
    """Form S-A3: the seller sends it where another organisation settles (S-11.4); everyone with a part in
    the subscription reads it."""
    sub, role = _sub_or_404(sub_id)
    record = Results.get_or_none(Results.subscription == sub)
    may_submit = role == "seller" and not sub.cd_settles and sub.state in ("deals", "settled")
    form = ResultsForm(sub=sub, obj=record) if request.method == "GET" else ResultsForm(sub=sub)
    if request.method == "GET" and record is None:
        form.settlement_date.data = today(sub.settlement_at)
        form.price.data = sub.price
    status = 200
    if request.method == "POST":
        if not may_submit:
            abort(403)
        if form.validate_on_submit():
            try:
                submit_results(sub, current_user._get_current_object(), form.values())
            except SubscriptionError as exc:
                if exc.field and exc.field in form:
                    form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
                else:
                    flash(exc.message, "danger")
            else:
                flash(
                    _("Итоги подписки направлены Бирже.")
                    + (" " + _("Итоги опубликованы на сайте Биржи.") if sub.public else ""),
                    "success",
                )
                return redirect(url_for("subscription_settlement.results", sub_id=sub.id))
        status = 422
    response = render(
        "subscription/results.html",
        "results_block",
        sub=sub,
        role=role,
        form=form,
        record=record,
        may_submit=may_submit,
        due=results_due(sub, record.settlement_date if record else None),
        late=record is not None
        and record.submitted_by_id is not None
        and today(record.submitted_at) > results_due(sub, record.settlement_date),
        figures=exchange_figures(sub),
        today=today(),
    )
    response.status_code = status
    return response


@bp.route("/settlement/cd")
@client_required("csd")
def cd_orders():
    """S-10.3: the registration orders for the CD: subscriptions it settles whose deals are formed."""
    subs = list(
        Subscription.select()
        .where((Subscription.settlement_org == "cd") & Subscription.state.in_(("deals", "settled")))
        .order_by(Subscription.settlement_at.desc())
        .limit(200)
    )
    counts = {}
    for row in (
        Deal.select(Deal.subscription, Deal.status, pw.fn.COUNT(Deal.id).alias("n"), pw.fn.SUM(Deal.volume).alias("v"))
        .where(Deal.subscription.in_([s.id for s in subs]))
        .group_by(Deal.subscription, Deal.status)
        .dicts()
    ):
        entry = counts.setdefault(row["subscription"], {})
        entry[row["status"]] = (row["n"], row["v"] or 0)
    return render(
        "subscription/settlement_cd.html",
        None,
        open_subs=[s for s in subs if s.state == "deals"],
        done_subs=[s for s in subs if s.state == "settled"],
        counts=counts,
        statuses=DEAL_STATUSES,
    )


def _sees_penalties(user) -> bool:
    if user.is_staff:
        return user.is_admin or user.in_department("trading", "board", "management")
    return user.organisation.has_role("member")


@bp.route("/settlement/penalties")
@requires(_sees_penalties)
def penalties():
    """S-12: penalty claims with their deadlines: the trading department's register, a party's own claims."""
    user = current_user._get_current_object()
    day = today()
    rows = []
    for penalty in penalties_for(user):
        deal = penalty.deal
        sub = deal.subscription
        steps = penalty_steps(penalty, day)
        rows.append(
            {
                "penalty": penalty,
                "deal": deal,
                "sub": sub,
                "number": deal_number(deal, sub),
                "steps": steps,
                "overdue": any(s["state"] == "overdue" for s in steps),
                "failure": DealFailure.get_or_none(DealFailure.deal == deal),
            }
        )
    only_overdue = bool(request.args.get("overdue"))
    if only_overdue:
        rows = [r for r in rows if r["overdue"]]
    return render(
        "subscription/settlement_penalties.html",
        "penalty_list",
        rows=rows,
        today=day,
        only_overdue=only_overdue,
        is_trading=is_trading(user),
        mine=None if user.is_staff else user.organisation_id,
    )


@bp.route("/settlement/penalties/<int:penalty_id>/<step>", methods=["POST"])
@login_required
def penalty_step(penalty_id, step):
    penalty = Penalty.get_or_none(Penalty.id == penalty_id) or abort(404)
    user = current_user._get_current_object()
    try:
        if step == "dispute":
            if not NoteForm().validate_on_submit():
                abort(400)
            refer_dispute(penalty, user)
            message = _("Разногласия переданы в комиссию по спорам.")
        elif step in ("notice", "paid", "passed"):
            if not is_trading(user):
                abort(403)
            form = DateForm()
            if not form.validate_on_submit():
                raise SubscriptionError(_("Укажите дату."))
            _penalty_step(penalty, user, step, form.on.data)
            message = _("Записано.")
        else:
            abort(404)
    except SubscriptionError as exc:
        flash(exc.message, "danger")
    else:
        flash(message, "success")
    return redirect(url_for("subscription_settlement.penalties"))


# --- what other pages show ------------------------------------------------------------------------------------


@bp.app_template_global("settlement_summary")
def settlement_summary(sub: Subscription) -> dict | None:
    """For the subscription page's section: what this user may do or see of the deals and settlement."""
    if sub.state not in ("satisfied_register", "deals", "settled") or not current_user.is_authenticated:
        return None
    role = role_in(sub, current_user)
    if role is None:
        return None
    query = Deal.select(Deal.status, pw.fn.COUNT(Deal.id).alias("n")).where(Deal.subscription == sub)
    if role == "buyer":
        query = query.where(Deal.buyer == current_user.organisation_id)
    counts = {row["status"]: row["n"] for row in query.group_by(Deal.status).dicts()}
    return {
        "role": role,
        "counts": counts,
        "labels": DEAL_STATUSES,
        "may_form": is_trading(current_user) and sub.state == "satisfied_register",
        "deal_day": today(sub.deal_at),
        "results_due": results_due(sub),
        "results": Results.get_or_none(Results.subscription == sub),
        "may_report": role == "seller" and not sub.cd_settles and sub.state in ("deals", "settled"),
    }


@bp.app_template_global("subscription_public_results")
def subscription_public_results(sub: Subscription) -> Results | None:
    return public_results(sub)
