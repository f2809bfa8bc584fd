"""Fixtures for subscriptions: demo members with money, and a factory of subscriptions in any state."""

import datetime
from decimal import Decimal

import pytest

from core.db import utcnow
from plugins.subscription import service
from plugins.subscription.models import Subscription, TradeAccount
from plugins.subscription.rules import local


def conditions(now=None, **overrides) -> dict:
    """Conditions of a subscription whose acceptance period runs now (UTC values)."""
    now = now or utcnow()
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
        "activation_at": now + datetime.timedelta(days=2, minutes=30),
        "confirmation_minutes": 30,
        "ccp": True,
        "currency": "KZT",
        "collateral_mode": "submission",
        "market_orders": True,
        "settlement_org": "cd",
        "accepted_register_on": local(now + datetime.timedelta(days=3)).date(),
        "satisfied_register_on": local(now + datetime.timedelta(days=4)).date(),
        "deal_at": now + datetime.timedelta(days=6),
        "settlement_at": now + datetime.timedelta(days=6, hours=2),
    }
    base.update(overrides)
    return base


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
            sub = service.create(members["seller"], conditions(**overrides))
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
