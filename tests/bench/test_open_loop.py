"""The open loop of the pages scenario (issue #20): requests arrive at the rate asked whether or not the earlier ones
were answered, and a request's latency counts from the instant it was due, so a queue at a slow server shows in the
p95 instead of slowing the arrivals down (what a closed loop does, by Little's law). No timing of the app here: a
stand-in server answers after a fixed pause."""

import asyncio
import concurrent.futures
import importlib.util
import threading
from pathlib import Path

from aiohttp import web

# the load generator is a script the bench runs in a process of its own (not a package the tests import)
_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).resolve().parents[2] / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)

PAUSE = 0.05  # seconds the stand-in server takes per request, one request at a time


def _serve(one_at_a_time: bool):
    """A server on a free port in its own thread and loop; returns (base URL, stop)."""
    lock = asyncio.Lock()

    async def page(_request):
        if one_at_a_time:
            async with lock:
                await asyncio.sleep(PAUSE)
        else:
            await asyncio.sleep(PAUSE)
        return web.Response(text="ok")

    loop = asyncio.new_event_loop()
    application = web.Application()
    application.router.add_get("/page", page)
    runner = web.AppRunner(application)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()  # the server's loop runs in its own thread from the start (a test process may run one already)
    asyncio.run_coroutine_threadsafe(runner.setup(), loop).result(5)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    asyncio.run_coroutine_threadsafe(site.start(), loop).result(5)
    port = site._server.sockets[0].getsockname()[1]

    def stop():
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return f"http://127.0.0.1:{port}", stop


def _run(coroutine):
    """asyncio.run in a thread of its own: a browser test's Playwright may already run a loop in this process."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _open(base, rate, seconds, clients=8):
    sessions = [load.bare_session(base) for _ in range(clients)]
    try:
        return await load.run_open_phase({"requests": [{"path": "/page"}]}, sessions, rate, seconds, 0.2, seed=1)
    finally:
        for session in sessions:
            await session.close()


def test_below_capacity_the_open_loop_sees_the_pages_own_time():
    base, stop = _serve(one_at_a_time=False)
    try:
        result = _run(_open(base, rate=40, seconds=2.0))
    finally:
        stop()
    assert result["errors"] == 0 and result["rate"] == 40
    assert 40 <= result["requests"] <= 130  # Poisson arrivals: 80 expected in 2 s
    assert PAUSE * 1000 <= result["p50_ms"] < PAUSE * 1000 * 6  # the pause, and some of a busy machine's delay


def test_above_capacity_the_queue_shows_in_the_latency_not_in_fewer_arrivals():
    """One request at a time, 50 ms each: at most 20 a second. Asked for 40 a second, the arrivals keep coming at
    40 and the wait grows, counted from when each request was due."""
    base, stop = _serve(one_at_a_time=True)
    try:
        result = _run(_open(base, rate=40, seconds=1.5))
    finally:
        stop()
    assert result["errors"] == 0
    assert result["rps"] > 25  # arrivals, not answers: more than the server can answer
    assert result["p95_ms"] > 500  # a second and a half of a growing queue


def test_a_closed_loop_result_paces_the_open_loop(monkeypatch):
    """In a plan, an open phase runs at its share of the named closed phase's requests/s."""
    seen = {}

    async def closed(phase, sessions, seconds, warmup, seed):
        return load.summary([0.01] * 100, 1.0, {200: 100}, 0, 0.0)  # 100 req/s

    async def opened(phase, sessions, rate, seconds, warmup, seed):
        seen["rate"] = rate
        return load.summary([0.01], 1.0, {200: 1}, 0, 0.0) | {"rate": rate}

    monkeypatch.setattr(load, "run_phase", closed)
    monkeypatch.setattr(load, "run_open_phase", opened)
    plan = {
        "base": "http://127.0.0.1:9",
        "clients": 2,
        "seconds": 1,
        "phases": [
            {"name": "page", "requests": [{"path": "/"}]},
            {"name": "page-open", "requests": [{"path": "/"}], "open_of": "page", "open_share": 0.5},
        ],
    }
    results = _run(load.main(plan))
    assert seen["rate"] == 50 and results["page-open"]["rate"] == 50


def test_the_servers_cpu_per_request_comes_from_its_workers_and_not_across_a_replaced_one():
    """server_cpu reads the CPU of a process's children (gunicorn's workers) from /proc; server_cpu_ms divides it
    by the phase's requests, and gives nothing when a worker was replaced in between (its CPU would be lost)."""
    import os
    import subprocess
    import sys
    import time

    worker = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 3\nwhile time.time() < end: pass"]
    )
    try:
        time.sleep(0.3)
        before = load.server_cpu(os.getpid())
        time.sleep(0.5)
        after = load.server_cpu(os.getpid())
    finally:
        worker.kill()
        worker.wait()
    assert before and after and worker.pid in before[0] and before[0] == after[0]
    assert after[1] > before[1]
    assert load.server_cpu_ms(before, after, 10) == round((after[1] - before[1]) / 10 * 1000, 2)
    assert load.server_cpu_ms(before, ((worker.pid + 1,), after[1]), 10) is None
    assert load.server_cpu_ms(before, after, 0) is None and load.server_cpu(None) is None
