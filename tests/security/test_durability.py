"""Durability under faults: the app server is killed with SIGKILL while members' systems post orders through the
API, and a mail worker is killed while its SMTP server has not yet answered DATA. After each restart every
acknowledged order is there exactly once, no order is half-written, a retry with the same client_ref never makes
a second order, and the mail is sent once. Against PostgreSQL, as in production."""

import asyncio
import http.client
import threading
import time
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.conftest import PG_URL, free_port
from tests.security import servers
from tests.security.figures import record

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (IS2IN_TEST_DATABASE_URL)")

KILLS = 2  # server kills in one run
CLIENTS = 4  # member systems posting at once
NO_ANSWER = (OSError, http.client.HTTPException)


def _consistent(sub):
    """Every order row whole: an active order holds exactly its own amount blocked, and each account's blocked
    money is the sum of its active orders' blocks (nothing blocked for an order that is not there)."""
    from plugins.subscription import service
    from plugins.subscription.models import Order, Subscription, TradeAccount

    sub = Subscription.get_by_id(sub.id)
    for order in Order.select().where(Order.subscription == sub):
        assert order.status == "active" and order.secured, (order.number, order.status)
        assert order.blocked == service.order_amount(order, sub), (order.number, order.blocked)
    for account in TradeAccount.select():
        active = Order.select().where((Order.account == account) & (Order.status == "active"))
        assert account.blocked == sum((o.blocked for o in active), Decimal(0)), account.code


def _by_ref(sub) -> dict:
    from plugins.subscription.models import Order

    found = {}
    for order in Order.select().where(Order.subscription == sub.id):
        found.setdefault(order.client_ref, []).append(order.number)
    return found


@pytest.fixture
def member_token(members):
    from plugins.subscription import api
    from plugins.subscription.models import ApiToken

    raw = api.new_token()
    user = members["buyer1"]
    ApiToken.create(organisation=user.organisation_id, user=user, name="durability", token_hash=api.digest(raw))
    return raw


def test_acknowledged_orders_survive_sigkill_of_the_app_server(
    database_url, tmp_path, members, make_subscription, member_token
):
    sub = make_subscription()
    env = servers.environment(database_url, tmp_path)
    port = free_port()
    acknowledged, unanswered, refused = {}, set(), []
    lock = threading.Lock()
    sent = [0]

    def stream(server_url, stop, label):
        n = 0
        while not stop.is_set():
            n += 1
            ref = f"{label}-{n}"
            body = {"account": "BUY1-KZT", "kind": "limit", "price": "1000", "quantity": 1 + n % 3, "client_ref": ref}
            try:
                status, answer = servers.call(
                    "POST", f"{server_url}/api/v1/subscriptions/{sub.number}/orders", body, member_token
                )
            except NO_ANSWER:
                with lock:
                    unanswered.add(ref)
                return  # the server is gone: this client waits for it to come back
            with lock:
                sent[0] += 1
                if status in (200, 201):
                    acknowledged[ref] = answer["number"]
                else:
                    refused.append((status, answer))

    server = None
    try:
        for round_ in range(KILLS):
            server = servers.Server(env, tmp_path, name=f"server{round_}", port=port).start()
            stop = threading.Event()
            threads = [
                threading.Thread(target=stream, args=(server.url, stop, f"round{round_}-client{t}"))
                for t in range(CLIENTS)
            ]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while len(acknowledged) < 40 * (round_ + 1) and time.monotonic() < deadline:
                time.sleep(0.02)
            server.kill()  # mid-stream: every client has a request in flight or about to be
            stop.set()
            for t in threads:
                t.join(timeout=15)
            # While it is down: what was acknowledged is there once; the rest is there whole or not at all.
            found = _by_ref(sub)
            assert all(len(found.get(ref, [])) == 1 for ref in acknowledged), "an acknowledged order is lost"
            assert all(len(found.get(ref, [])) <= 1 for ref in unanswered)
            _consistent(sub)

        committed_unanswered = sum(1 for ref in unanswered if ref in _by_ref(sub))
        server = servers.Server(env, tmp_path, name="server-last", port=port).start()
        # The member's system retries what got no answer, and (to be sure) some of what did: same client_ref.
        retried = 0
        for ref in sorted(unanswered) + sorted(acknowledged)[:20]:
            body = {"account": "BUY1-KZT", "kind": "limit", "price": "1000", "quantity": 1, "client_ref": ref}
            status, answer = servers.call(
                "POST", f"{server.url}/api/v1/subscriptions/{sub.number}/orders", body, member_token
            )
            assert status in (200, 201), (status, answer)
            if ref in acknowledged:
                assert status == 200 and answer["number"] == acknowledged[ref]
            retried += 1
    finally:
        if server:
            server.stop()
    found = _by_ref(sub)
    assert not refused, refused[:5]
    lost = [ref for ref in acknowledged if len(found.get(ref, [])) != 1]
    doubled = [ref for ref, numbers in found.items() if len(numbers) > 1]
    assert not lost and not doubled, (lost, doubled)
    assert all(len(found.get(ref, [])) == 1 for ref in unanswered)
    _consistent(sub)
    record(
        "durability_app_server",
        {
            "faults_injected": KILLS,
            "orders_acknowledged": len(acknowledged),
            "requests_cut_by_the_kill": len(unanswered),
            "cut_requests_that_had_committed": committed_unanswered,
            "retries_with_same_client_ref": retried,
            "writes_lost": len(lost),
            "duplicates": len(doubled),
        },
    )


# --- the mail worker ------------------------------------------------------------------------------------------


class SlowToAnswerData(SMTP):
    """An SMTP server that, once, does not answer DATA until the client goes away (or 30 s pass)."""

    async def smtp_DATA(self, arg):
        handler = self.event_handler
        if handler.stall.is_set():
            handler.stall.clear()
            handler.stalled.set()
            for _ in range(600):
                if self.transport is None or self.transport.is_closing():
                    return None  # the sender died while waiting: no message was transferred
                await asyncio.sleep(0.05)
        return await super().smtp_DATA(arg)


class SlowController(Controller):
    def factory(self):
        return SlowToAnswerData(self.handler, **self.SMTP_kwargs)


class Inbox:
    def __init__(self):
        self.message_ids, self.stall, self.stalled = [], threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.message_ids.append(message["Message-ID"])
        return "250 OK"


@pytest.fixture
def slow_smtp():
    inbox = Inbox()
    port = free_port()
    controller = SlowController(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def test_a_mail_worker_killed_mid_send_sends_the_mail_once_after_restart(app_config, database_url, tmp_path, slow_smtp):
    if not servers.redis_up():
        pytest.skip("Redis is not reachable")
    import redis

    from core import create_app, tasks
    from core.notifications.models import MailMessage

    redis.Redis.from_url(servers.REDIS).flushdb()
    env = servers.environment(
        database_url,
        tmp_path,
        IS2IN_REDIS_URL=servers.REDIS,
        IS2IN_SMTP_URL=slow_smtp.url,
        IS2IN_MAIL_STALE_MINUTES="0.02",  # 1.2 s: a claim that old has lost its worker
    )
    queueing = create_app({**app_config, "REDIS_URL": servers.REDIS, "TASKS_IMMEDIATE": False})
    slow_smtp.stall.set()
    first = servers.worker(env, tmp_path, "worker1").start()
    second = None
    try:
        with queueing.app_context():
            mail = MailMessage.create(to="someone@example.kz", subject="is2in: проверка", body="Одно письмо.")
            tasks.enqueue("deliver_mail", mail.id)
        _wait(slow_smtp.stalled.is_set, 30, f"the worker did not reach DATA:\n{first.tail()}")
        assert MailMessage.get_by_id(mail.id).status == "sending"
        first.kill()  # mid-send: it is waiting for the server's answer to DATA
        assert slow_smtp.message_ids == []
        # The sweep runs once a minute across all workers, and the killed one had this minute's turn: restart
        # in the next minute (and at least 2 s on, so the claim is stale), when the new worker's start-up sweep
        # has its turn.
        next_minute = (time.time() + 2) // 60 * 60 + 60
        time.sleep(max(0.0, next_minute - time.time()) + 0.3)
        second = servers.worker(env, tmp_path, "worker2").start()
        _wait(lambda: slow_smtp.message_ids, 90, f"the mail was not sent after the restart:\n{second.tail()}")
        time.sleep(3)  # room for a second delivery, which must not come
    finally:
        first.stop()
        if second:
            second.stop()
    assert len(slow_smtp.message_ids) == 1 and f"is2in-mail-{mail.id}" in slow_smtp.message_ids[0]
    sent = MailMessage.get_by_id(mail.id)
    assert sent.status == "sent" and sent.attempts == 2
    record("durability_mail_worker", {"faults_injected": 1, "mails_sent": len(slow_smtp.message_ids), "writes_lost": 0})
