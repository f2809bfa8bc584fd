"""Issue #19.4 for members: every status change of a member's subscription orders reaches its own systems as a
signed ``order.status_changed`` event, and another member's orders never do."""

import datetime
import json
from decimal import Decimal

import pytest

from core import tasks
from core.db import utcnow
from core.integrations import webhooks
from core.integrations.models import WebhookDelivery
from plugins.subscription import activation, service
from plugins.subscription.models import TradeAccount
from tests.webhook_receiver import Receiver, docs_verifier


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    r = Receiver()
    yield r
    r.close()


def _order(members, buyer, price="1000", quantity=10):
    account = members["acc1" if buyer == "buyer1" else "acc2"]
    return {"kind": "limit", "price": Decimal(price), "quantity": quantity, "account": account}


def _in_request(app, fn):
    """A service call as a page makes it: the events leave after the request (tasks.flush)."""
    with app.test_request_context():
        result = fn()
        tasks.flush(app.response_class())
    return result


def _events(receiver, secret):
    verify = docs_verifier()
    out = []
    for _path, headers, body in receiver.requests:
        assert verify(secret, headers["X-Is2in-Signature"], body)
        out.append(json.loads(body))
    return out


def test_a_members_orders_are_reported_taken_and_cancelled(app, members, make_subscription, receiver):
    sub = make_subscription(ccp=True, collateral_mode="submission")
    buyer = members["buyer1"]
    with app.test_request_context():
        _endpoint, secret = webhooks.register(buyer.organisation, buyer, receiver.url)
    order = _in_request(app, lambda: service.submit_order(sub, buyer, _order(members, "buyer1"), client_ref="ERP-1"))
    _in_request(app, lambda: service.cancel_order(order, buyer))
    events = _events(receiver, secret)
    assert [e["type"] for e in events] == ["order.status_changed"] * 2
    taken, cancelled = (e["data"]["order"] for e in events)
    assert (taken["number"], taken["status"], taken["action"], taken["client_ref"]) == (
        order.number,
        "active",
        "order.submit",
        "ERP-1",
    )
    assert (cancelled["status"], cancelled["action"]) == ("cancelled", "order.cancel")
    assert taken["subscription"] == sub.number and taken["isin"] == sub.isin


def test_another_members_orders_are_not_sent(app, members, make_subscription, receiver):
    sub = make_subscription()
    buyer1, buyer2 = members["buyer1"], members["buyer2"]
    with app.test_request_context():
        webhooks.register(buyer1.organisation, buyer1, receiver.url)
    _in_request(app, lambda: service.submit_order(sub, buyer2, _order(members, "buyer2")))
    assert receiver.requests == [] and WebhookDelivery.select().count() == 0


def test_orders_cancelled_at_the_collateral_check_are_reported_to_their_buyer(
    app, members, make_subscription, receiver
):
    now = utcnow()
    sub = make_subscription(ccp=True, collateral_mode="at_time", collateral_at=now + datetime.timedelta(hours=1))
    TradeAccount.update(balance=Decimal("5000")).where(TradeAccount.code == "BUY2-KZT").execute()
    buyer2 = members["buyer2"]
    poor = _in_request(app, lambda: service.submit_order(sub, buyer2, _order(members, "buyer2")))
    with app.test_request_context():
        _endpoint, secret = webhooks.register(buyer2.organisation, buyer2, receiver.url)
    result = _in_request(app, lambda: activation.collateral_check(sub, at=sub.collateral_at))
    assert result["cancelled"] == 1
    (event,) = _events(receiver, secret)
    assert event["data"]["order"]["number"] == poor.number
    assert (event["data"]["order"]["status"], event["data"]["order"]["action"]) == ("unsecured", "order.unsecured")
