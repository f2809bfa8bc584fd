"""Two people pressing the same button at the same moment: the change applies once. Against
PostgreSQL the threads really overlap; on SQLite the database serialises them, which the test accepts."""

import threading
from decimal import Decimal

from core.workflow.models import Application, Transition


def _race(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is part of the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_concurrent_approvals_advance_once(app, auth, demo, journey):
    from tests.conftest import Auth, Client

    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    version = Application.get_by_id(journey.app_id).version
    clients = []
    for _ in range(2):
        app.test_client_class = Client
        c = app.test_client()
        Auth(c).login("ceo@demo.kz")
        clients.append(c)
    results = _race(
        [
            lambda c=c: (
                c.post(f"/applications/{journey.app_id}/act/approve", data={"version": str(version)}).status_code
            )
            for c in clients
        ]
    )
    assert sorted(map(str, results)) in (["302", "409"], ["302", "302"]), results  # the loser sees "already changed"
    assert (
        Transition.select().where((Transition.application == journey.app_id) & (Transition.action == "approve")).count()
        == 1
    )
    assert Application.get_by_id(journey.app_id).version == version + 1


def test_two_concurrent_done_on_a_stage_keep_one_state(app, auth, demo, journey):
    from tests.conftest import Auth, Client
    from tests.plugins.listing.conftest import GENERAL

    auth.login("issuer@demo.kz")
    journey.create()
    clients = []
    for _ in range(2):
        app.test_client_class = Client
        c = app.test_client()
        Auth(c).login("issuer@demo.kz")
        clients.append(c)
    results = _race(
        [
            lambda c=c: (
                c.post(f"/applications/{journey.app_id}/stages/general", data={**GENERAL, "do": "done"}).status_code
            )
            for c in clients
        ]
    )
    assert all(code == 302 for code in results)
    from core.workflow.models import FormData, StageState

    assert FormData.select().where(FormData.application == journey.app_id).count() == 1
    assert (
        StageState.get((StageState.application == journey.app_id) & (StageState.stage == "general")).status == "filled"
    )


def test_two_concurrent_order_amendments_apply_once(app, members, make_subscription):
    from plugins.subscription import service
    from plugins.subscription.models import Order, TradeAccount

    sub = make_subscription(ccp=True)
    with app.test_request_context():
        order = service.submit_order(
            sub,
            members["buyer1"],
            {"kind": "limit", "price": Decimal("1000"), "quantity": 10, "account": members["acc1"]},
        )

    def amend(quantity):
        def run():
            with app.test_request_context():
                return service.amend_order(order, members["buyer1"], {"quantity": quantity}, version=order.version)

        return run

    results = _race([amend(20), amend(30)])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    final = Order.get_by_id(order.id)
    assert final.version == order.version + 1 and final.quantity == winners[0].quantity
    # the money blocked is exactly the winner's amount, never both
    assert TradeAccount.get_by_id(members["acc1"].id).blocked == Decimal(final.quantity * 1000)
