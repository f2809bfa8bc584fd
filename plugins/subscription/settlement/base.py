"""What every part of settlement reads: the deal's number and status, who the user is to the subscription,
the Exchange's date, and money sums that add up the same on SQLite and PostgreSQL."""

import datetime
import uuid
from decimal import Decimal

import peewee as pw
from flask_babel import lazy_gettext as _l

from core import clock
from core import database as db
from plugins.subscription import service
from plugins.subscription.models import (
    Deal,
    Order,
    Subscription,
)

DEAL_STATUSES = {
    "formed": _l("Заключена"),
    "settled": _l("Исполнена"),
    "refused": _l("Отказ ЦД в расчетах"),
    "failed": _l("Признана неисполненной"),
}

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
