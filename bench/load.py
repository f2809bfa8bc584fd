"""The load generator: an asyncio HTTP client (aiohttp) run as its own process, so the server's two workers and
the clients never share an interpreter. It signs its clients in like browsers do (the login form with its CSRF
token), then drives each phase of a plan with a fixed number of concurrent clients in a closed loop, keeping the
latency of every request.

    python -m bench.load plan.json  ->  one JSON object on stdout: per phase, requests/s and latency percentiles

A plan names the server, the sessions to open and the phases; a phase says which sessions its clients use and
which requests they send (each client takes its own from a list, round robin). The "orders" phase posts orders
to the JSON API with each client's bearer token instead of a cookie.

A phase with ``open_of`` is an open loop instead: requests arrive at random (Poisson) instants at ``open_share`` of
the requests/s the named earlier phase reached, whether or not the earlier ones were answered, each sent with the
sessions and requests of that phase in turn. Its latency counts from the instant a request was due, so time spent
waiting for a busy session or server is counted too (no coordinated omission).

With the plan's ``server_pid`` (the gunicorn process) every phase also reports the CPU its workers spent per
request (``server_cpu_ms``, from /proc): unlike requests per second, it does not move with the machine's other work."""

import asyncio
import json
import os
import random
import re
import resource
import sys
import time
import uuid
from pathlib import Path

import aiohttp

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def percentile(sorted_values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def server_cpu(pid: int | None):
    """The server's workers (the children of the gunicorn process ``pid``) and the CPU seconds they have used so far,
    from /proc; None where it does not tell. A phase's CPU per request does not depend on what else the machine runs,
    which its requests per second do (the bench's machine is shared)."""
    if not pid:
        return None
    try:
        children = tuple(sorted(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()))
        used = 0
        for child in children:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            used += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return children, used / os.sysconf("SC_CLK_TCK")


def server_cpu_ms(before, after, requests: int) -> float | None:
    """The workers' CPU per request between two ``server_cpu`` readings, in ms; None if a worker was replaced in
    between (gunicorn's max_requests), whose CPU would be lost."""
    if not before or not after or before[0] != after[0] or not requests:
        return None
    return round((after[1] - before[1]) / requests * 1000, 2)


def summary(latencies: list[float], elapsed: float, statuses: dict, errors: int, cpu: float) -> dict:
    values = sorted(latencies)
    ms = 1000.0
    return {
        "requests": len(values),
        "seconds": round(elapsed, 3),
        "rps": round(len(values) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(values, 0.50) * ms, 2) if values else None,
        "p95_ms": round(percentile(values, 0.95) * ms, 2) if values else None,
        "p99_ms": round(percentile(values, 0.99) * ms, 2) if values else None,
        "max_ms": round(values[-1] * ms, 2) if values else None,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        # the generator's own CPU time over the wall time: near 1.0 means the client, not the server, was the limit
        "client_cpu": round(cpu / elapsed, 2) if elapsed else 0.0,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def sign_in(base: str, email: str, password: str) -> aiohttp.ClientSession:
    """A browser-like session signed in through the login form (unsafe jar: cookies of a bare IP are kept)."""
    session = aiohttp.ClientSession(
        base_url=base,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(limit=1),
        timeout=aiohttp.ClientTimeout(total=60),
    )
    async with session.get("/login") as response:
        page = await response.text()
    token = CSRF.search(page)
    if token is None:
        raise RuntimeError(f"no CSRF token on the login page for {email}")
    form = {"csrf_token": token.group(1), "email": email, "password": password, "agreement": "y"}
    async with session.post("/login", data=form, allow_redirects=False) as response:
        if response.status != 302 or "/login" in response.headers.get("Location", "/login"):
            raise RuntimeError(f"could not sign in as {email}: HTTP {response.status}")
    return session


def bare_session(base: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=base, connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(total=60)
    )


def order_body(rng: random.Random, account: str, price: float) -> dict:
    """An order as a member's back office sends it: mostly limit orders around the price, some market orders (by
    quantity or by money), a third for clients with the investor's details."""
    body = {"account": account, "client_ref": uuid.uuid4().hex}
    roll = rng.random()
    if roll < 0.85:
        body |= {"kind": "limit", "price": f"{price * rng.uniform(0.9, 1.1):.2f}", "quantity": rng.randint(10, 2000)}
    elif roll < 0.93:
        body |= {"kind": "market", "basis": "quantity", "quantity": rng.randint(10, 2000)}
    else:
        body |= {"kind": "market", "basis": "money", "money": f"{rng.randint(10, 2000) * price:.2f}"}
    if rng.random() < 0.33:
        body |= {
            "for_client": True,
            "investor_name": f"Инвестор {rng.randint(1, 99999)}",
            "investor_id": f"{rng.randint(60, 99)}0101{rng.randint(300000, 699999)}"[:12],
            "investor_contacts": "+7 701 000 00 00",
            "consent": True,
        }
    return body


async def _client(phase, index, session, deadline_warm, deadline_end, sink, rng, counter):
    requests = phase["requests"]
    own = requests[index % len(requests)]
    headers = dict(own.get("headers") or {})
    if phase.get("tokens"):
        token = phase["tokens"][index % len(phase["tokens"])]
        headers["Authorization"] = f"Bearer {token['token']}"
    expect = set(phase.get("expect", [200]))
    while True:
        now = time.perf_counter()
        if now >= deadline_end:
            return
        if counter is not None and now >= deadline_warm:  # max_requests counts measured requests only
            if counter["left"] <= 0:
                return
            counter["left"] -= 1
        kwargs = {"headers": headers, "allow_redirects": False}
        if phase.get("tokens"):
            token = phase["tokens"][index % len(phase["tokens"])]
            if phase.get("batch"):  # the back office's batch route: {"orders": [...]}
                orders = [order_body(rng, token["account"], phase.get("price", 1000.0)) for _ in range(phase["batch"])]
                kwargs["json"] = {"orders": orders}
            else:
                kwargs["json"] = order_body(rng, token["account"], phase.get("price", 1000.0))
        started = time.perf_counter()
        try:
            async with session.request(own.get("method", "GET"), own["path"], **kwargs) as response:
                content = await response.read()
                status = response.status
            taken = json.loads(content)["taken"] if phase.get("batch") and status == 200 else 0
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        finished = time.perf_counter()
        if started >= deadline_warm:
            sink["taken"] += taken
            sink["latencies"].append(finished - started)
            sink["statuses"][status] = sink["statuses"].get(status, 0) + 1
            if status not in expect:
                sink["errors"] += 1
                if len(sink["samples"]) < 3:
                    sink["samples"].append(f"{own['path']}: HTTP {status}")


async def run_phase(phase: dict, sessions: list, seconds: float, warmup: float, seed: int) -> dict:
    rng = random.Random(seed)
    sink = {"latencies": [], "statuses": {}, "errors": 0, "samples": [], "taken": 0}
    start = time.perf_counter()
    warm_until = start + warmup
    end = warm_until + seconds
    counter = {"left": phase["max_requests"]} if phase.get("max_requests") else None
    cpu_before = server_before = None

    async def measured_cpu():
        nonlocal cpu_before, server_before
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        cpu_before = _cpu()
        server_before = server_cpu(phase.get("server_pid"))

    watcher = asyncio.create_task(measured_cpu())
    await asyncio.gather(
        *(
            _client(phase, i, sessions[i], warm_until, end, sink, random.Random(rng.random()), counter)
            for i in range(len(sessions))
        )
    )
    finished = time.perf_counter()
    server_after = server_cpu(phase.get("server_pid"))
    await watcher
    elapsed = finished - max(warm_until, start)
    result = summary(sink["latencies"], elapsed, sink["statuses"], sink["errors"], _cpu() - (cpu_before or _cpu()))
    result["server_cpu_ms"] = server_cpu_ms(server_before, server_after, len(sink["latencies"]))
    if sink["samples"]:
        result["error_samples"] = sink["samples"]
    if phase.get("batch"):
        result["orders_taken"] = sink["taken"]
    return result


async def _arrival(phase, index, session, due, deadline_warm, sink):
    requests = phase["requests"]
    own = requests[index % len(requests)]
    headers = dict(own.get("headers") or {})
    expect = set(phase.get("expect", [200]))
    try:
        async with session.request(own.get("method", "GET"), own["path"], headers=headers, allow_redirects=False) as r:
            await r.read()
            status = r.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    finished = time.perf_counter()
    if due >= deadline_warm:
        sink["latencies"].append(finished - due)
        sink["statuses"][status] = sink["statuses"].get(status, 0) + 1
        if status not in expect:
            sink["errors"] += 1
            if len(sink["samples"]) < 3:
                sink["samples"].append(f"{own['path']}: HTTP {status}")


async def run_open_phase(phase: dict, sessions: list, rate: float, seconds: float, warmup: float, seed: int) -> dict:
    """Requests due at Poisson instants of ``rate`` per second for ``warmup + seconds``; the latencies of those due
    after the warm-up, each from its due instant to its answer."""
    rng = random.Random(seed)
    sink = {"latencies": [], "statuses": {}, "errors": 0, "samples": []}
    start = time.perf_counter()
    warm_until = start + warmup
    end = warm_until + seconds
    cpu_before = server_before = None
    pending = set()
    due, index = start, 0
    while True:
        due += rng.expovariate(rate)
        if due >= end:
            break
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if cpu_before is None and due >= warm_until:
            cpu_before = _cpu()
            server_before = server_cpu(phase.get("server_pid"))
        slot = index % len(sessions)
        task = asyncio.create_task(_arrival(phase, slot, sessions[slot], due, warm_until, sink))
        pending.add(task)
        task.add_done_callback(pending.discard)
        index += 1
    if pending:
        await asyncio.gather(*pending)
    server_after = server_cpu(phase.get("server_pid"))
    elapsed = end - warm_until  # the requests due in the measured time, whenever they were answered
    result = summary(sink["latencies"], elapsed, sink["statuses"], sink["errors"], _cpu() - (cpu_before or _cpu()))
    result["server_cpu_ms"] = server_cpu_ms(server_before, server_after, len(sink["latencies"]))
    result["rate"] = round(rate, 1)
    result["late_s"] = round(max(0.0, time.perf_counter() - end), 2)  # how long the last answers came after the end
    if sink["samples"]:
        result["error_samples"] = sink["samples"]
    return result


async def main(plan: dict) -> dict:
    base = plan["base"]
    clients = plan["clients"]
    pools = {}
    # Sign in one session per client and pool (sequentially: the login form is rate limited and argon2 is slow).
    for name, people in plan.get("sessions", {}).items():
        pools[name] = [await sign_in(base, p["email"], p["password"]) for p in people[:clients]]
        while len(pools[name]) < clients:  # fewer people than clients: a person with a second browser
            person = people[len(pools[name]) % len(people)]
            pools[name].append(await sign_in(base, person["email"], person["password"]))
    results = {}
    try:
        for number, phase in enumerate(plan["phases"]):
            pool = phase.get("sessions")
            sessions = pools[pool] if pool else [bare_session(base) for _ in range(clients)]
            phase.setdefault("server_pid", plan.get("server_pid"))
            seconds = phase.get("seconds", plan["seconds"])
            warmup = phase.get("warmup", plan.get("warmup", max(1.0, seconds / 10)))
            if phase.get("open_of"):
                rate = results[phase["open_of"]]["rps"] * phase.get("open_share", 0.5)
                if rate > 0:
                    measured = await run_open_phase(phase, sessions, rate, seconds, warmup, seed=number)
                else:  # the closed loop answered nothing: nothing to pace the open loop by
                    measured = summary([], seconds, {}, 0, 0.0) | {"rate": 0.0}
            else:
                measured = await run_phase(phase, sessions, seconds, warmup, seed=number)
            results[phase["name"]] = measured
            if not pool:
                for session in sessions:
                    await session.close()
    finally:
        for pool in pools.values():
            for session in pool:
                await session.close()
    return results


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        loaded = json.load(fh)
    print(json.dumps(asyncio.run(main(loaded)), ensure_ascii=False))
