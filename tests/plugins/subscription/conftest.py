"""Fixtures for subscriptions: demo members with money, and a factory of subscriptions in any state."""

import datetime
from decimal import Decimal

import pytest

from core.db import utcnow
from plugins.subscription import application, service
from plugins.subscription.models import Subscription, TradeAccount
from plugins.subscription.rules import local, utc


def conditions(now=None, **overrides) -> dict:
    """Conditions of a subscription whose acceptance period runs now (UTC values)."""
    now = now or utcnow()
    deal_day = local(now + datetime.timedelta(days=6)).date()
    base = {
        "issuer_name": "АО «Demo Issuer»",
        "security_kind": "equity",
        "isin": "KZ1C00000876",
        "quantity": 1000,
        "price": Decimal("1000"),
        "book_value": Decimal("900"),
        "seller_account_type": "субсчет",
        "seller_account": "SELL-001",
        "accept_from": now - datetime.timedelta(hours=1),
        "accept_to": now + datetime.timedelta(days=2),
        "activation_at": now + datetime.timedelta(days=1),
        "confirmation_minutes": 30,
        "ccp": True,
        "currency": "KZT",
        "collateral_mode": "submission",
        "market_orders": True,
        "settlement_org": "cd",
        "accepted_register_on": local(now + datetime.timedelta(days=3)).date(),
        "satisfied_register_on": local(now + datetime.timedelta(days=4)).date(),
        # the deal and (with the CCP, S-11) its settlement on one Almaty day, whatever the hour the tests run at:
        # "now + 6 days, + 2 hours" crossed Almaty's midnight from 22:00 to 24:00 there
        "deal_at": utc(deal_day, datetime.time(11)),
        "settlement_at": utc(deal_day, datetime.time(15)),
    }
    base.update(overrides)
    return base


def end_period(sub) -> None:
    """The acceptance period (and its confirmation minutes) ended a minute ago: the accepted register may be
    produced now (S-8.1). Activation moves into the period, where the Rules place it (S-4.3); the period
    keeps lasting more than one day (S-4.5 (2): market orders at the fair value)."""
    now = utcnow()
    Subscription.update(
        accept_from=now - datetime.timedelta(days=2),
        accept_to=now - datetime.timedelta(minutes=1),
        activation_at=now - datetime.timedelta(minutes=2),
        confirmation_minutes=0,
    ).where(Subscription.id == sub.id).execute()


@pytest.fixture
def members(demo, app):
    from core.accounts.models import Organisation

    return {
        "seller": demo["seller@demo.kz"],
        "buyer1": demo["buyer1@demo.kz"],
        "buyer2": demo["buyer2@demo.kz"],
        "acc1": TradeAccount.get(TradeAccount.code == "BUY1-KZT"),
        "acc2": TradeAccount.get(TradeAccount.code == "BUY2-KZT"),
        "control": Organisation.get(Organisation.code == "CTRL"),
    }


@pytest.fixture
def make_subscription(app, members):
    def make(state="registered", **overrides):
        with app.test_request_context():
            sub = application.create(members["seller"], conditions(**overrides))
            if state != "draft":
                Subscription.update(
                    state=state,
                    number=f"SUB-T-{sub.id:04d}",
                    registered_at=utcnow(),
                    announced_at=None if sub.private else utcnow(),
                ).where(Subscription.id == sub.id).execute()
            return Subscription.get_by_id(sub.id)

    return make


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def people(demo, members):
    return {
        "csd": demo["csd@demo.kz"],
        "trading": demo["trading@exchange.demo"],
        "seller": members["seller"],
        "buyer1": members["buyer1"],
        "buyer2": members["buyer2"],
        "broker": demo["broker@demo.kz"],
    }


@pytest.fixture
def place(app, members):
    """Orders submitted now, filled as the accepted satisfied register says, the state moved on:
    ``specs`` = (buyer key, price, quantity, filled price or None, filled quantity[, account])."""
    from plugins.subscription import rules
    from plugins.subscription.models import Fill

    def place(sub, specs):
        orders = []
        with app.test_request_context():
            for who, price, quantity, fill_price, filled, *account in specs:
                account = account[0] if account else members["acc1" if who == "buyer1" else "acc2"]
                order = service.submit_order(
                    sub,
                    members[who],
                    {"kind": "limit", "price": Decimal(price), "quantity": quantity, "account": account},
                )
                orders.append(order)
                if filled:
                    unit = Decimal(fill_price or price)
                    Fill.create(
                        subscription=sub, order=order, price=unit, quantity=filled, volume=rules.money(unit * filled)
                    )
        Subscription.update(state="satisfied_register").where(Subscription.id == sub.id).execute()
        return Subscription.get_by_id(sub.id), orders

    return place
