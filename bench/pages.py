"""Scenario 1, pages under load: on the scale demo, gunicorn with two workers and 32 signed-in browsers, each page
driven for a fixed time, against the floor of a route that touches neither the database nor a template (/healthz,
asked without a session cookie, measured before and after the pages). Each page twice: a closed loop (32 clients,
each asking again when answered: the page's capacity) and then an open loop (requests arriving at random at half
that capacity, as people do: the latency a user sees on a server that is not saturated)."""

from bench import harness, report

P95_LIMIT = 50.0  # ms: what the closed loop would need, bounded by Little's law (see ``limits``)
OPEN_P95_LIMIT = 100.0  # ms: the open loop's p95 at half the page's capacity
OPEN_SHARE = 0.5  # the open loop's arrival rate, a share of the closed loop's requests/s
FLOOR_SHARE = 0.25  # each page at least a quarter of the floor's requests/s

PAGES = (
    # name, label, the sessions its clients use
    ("cabinet", "Cabinet `/`", "clients"),
    ("applications", "«На рассмотрении» `/applications`", "clients"),
    ("stage", "Application stage page", "clients"),
    ("cascade", "Cascade fragment (htmx)", "clients"),
    ("inbox", "Exchange inbox `/staff/inbox?department=listing`", "staff"),
    ("archive", "Archive search `/archive?q=…`", "staff"),
)


# --- in a child process: who signs in and what they open --------------------------------------------------------


def plan(clients: int) -> dict:
    """People and URLs from the scale demo: the authors of draft applications that have a securities cascade (for
    the cabinet, their lists, their stage page and its cascade), the listing department (for the inbox and the
    archive) and the companies with the most archived applications (what the archive is searched for)."""
    from flask import current_app
    from peewee import fn

    from core.accounts.models import Organisation, StaffRole, User
    from core.demo import DEMO_PASSWORD
    from core.workflow.models import Application, CascadeNode

    versions = current_app.extensions["is2in.procedure_versions"]
    cascading = {key: p for key, p in versions.items() if any(s.kind == "securities" for s in p.stages)}
    drafts = (
        Application.select(Application, User)
        .join(User, on=(Application.author == User.id))
        .where(
            (Application.process == "fill")
            & Application.procedure.in_({code for code, _v in cascading})
            & (User.organisation == Application.organisation)
        )
        .order_by(Application.id)
    )
    people, stage_paths, cascade_paths = [], [], []
    seen = set()
    for app in drafts:
        if app.author_id in seen:
            continue
        seen.add(app.author_id)
        procedure = cascading[(app.procedure, app.procedure_version)]
        form_stage = next(s for s in procedure.stages if s.kind == "form")
        securities = next(s for s in procedure.stages if s.kind == "securities")
        platform = CascadeNode.options(securities.catalogue, None)[0]
        people.append({"email": app.author.email, "password": DEMO_PASSWORD})
        stage_paths.append({"path": f"/applications/{app.id}?stage={form_stage.code}"})
        cascade_paths.append(
            {
                "path": f"/applications/{app.id}?stage={securities.code}&cascade=1&level0={platform.id}",
                "headers": {"HX-Request": "true"},
            }
        )
        if len(people) >= clients:
            break
    staff = (
        User.select()
        .join(StaffRole)
        .where((StaffRole.department == "listing") & (User.is_active == True))  # noqa: E712
        .order_by(User.id)
    )
    searched = (
        Organisation.select(Organisation.code, fn.COUNT(Application.id).alias("n"))
        .join(Application, on=(Application.organisation == Organisation.id))
        .where(Application.status == "archived")
        .group_by(Organisation.code)
        .order_by(fn.COUNT(Application.id).desc())
        .limit(8)
        .tuples()
    )
    return {
        "clients": people,
        "staff": [{"email": u.email, "password": DEMO_PASSWORD} for u in staff],
        "stage": stage_paths,
        "cascade": cascade_paths,
        "archive": [{"path": f"/archive?q={code}"} for code, _n in searched],
    }


# --- in the bench process ---------------------------------------------------------------------------------------


def run(env: harness.Environment, settings: harness.Settings) -> dict:
    who = harness.run_step(env, "pages:plan", {"clients": settings.clients})
    if not who["clients"] or not who["staff"]:
        raise harness.ChildFailed("the scale demo has no draft applications or no listing staff to sign in as")
    requests = {
        "cabinet": [{"path": "/"}],
        "applications": [{"path": "/applications"}],
        "stage": who["stage"],
        "cascade": who["cascade"],
        "inbox": [{"path": "/staff/inbox?department=listing"}],
        "archive": who["archive"],
    }
    phases = [{"name": "floor-before", "requests": [{"path": "/healthz"}]}]
    for name, _label, pool in PAGES:
        phases.append({"name": name, "sessions": pool, "requests": requests[name]})
        phases.append(
            {
                "name": f"{name}-open",
                "sessions": pool,
                "requests": requests[name],
                "open_of": name,
                "open_share": OPEN_SHARE,
            }
        )
    phases.append({"name": "floor-after", "requests": [{"path": "/healthz"}]})
    load_plan = {
        "clients": settings.clients,
        "seconds": settings.seconds,
        "warmup": settings.warm,
        "sessions": {"clients": who["clients"], "staff": who["staff"]},
        "phases": phases,
    }
    with harness.Server(env, workers=2, log_name="pages-server") as server:
        load_plan["base"] = server.base
        load_plan["server_pid"] = server.process.pid
        measured = harness.run_load(env, load_plan, "pages")
        worker_peak = server.workers_peak_mb()

    before, after = measured["floor-before"], measured["floor-after"]
    floor_rps = round((before["rps"] + after["rps"]) / 2, 1)
    floor_cpu = _mean(before.get("server_cpu_ms"), after.get("server_cpu_ms"))
    floor = {
        "label": "`/healthz` without a session (mean of before and after)",
        "measured": f"{report.number(floor_rps)} req/s, p95 {report.ms(before['p95_ms'])} ms"
        + (f"; server CPU {floor_cpu:.2f} ms a request" if floor_cpu else ""),
        "rps": floor_rps,
        "server_cpu_ms": floor_cpu,
        "before": before,
        "after": after,
    }
    figures = []
    for name, label, _pool in PAGES:
        m = measured[name]
        opened = measured[f"{name}-open"]
        share = report.ratio(m["rps"], floor_rps)
        cpu = m.get("server_cpu_ms")
        cpu_share = report.ratio(floor_cpu, cpu)
        values = dict(
            m,
            open_loop=opened,
            errors=(m.get("errors") or 0) + (opened.get("errors") or 0),
            cpu_ratio=cpu_share,
        )
        cpu_text = f"; server CPU {cpu:.2f} ms a request ({cpu_share:.2f} of the floor's)" if cpu and cpu_share else ""
        figures.append(
            report.figure(
                name,
                label,
                values,
                f"closed loop: {report.number(m['rps'])} req/s; p50 {report.ms(m['p50_ms'])} / "
                f"p95 {report.ms(m['p95_ms'])} / p99 {report.ms(m['p99_ms'])} ms. Open loop at "
                f"{report.number(opened.get('rate'))} req/s: p50 {report.ms(opened['p50_ms'])} / "
                f"p95 {report.ms(opened['p95_ms'])} / p99 {report.ms(opened['p99_ms'])} ms{cpu_text}",
                targets=[
                    report.target("req/s vs floor", share, ">=", FLOOR_SHARE),
                    report.target("open-loop p95", opened["p95_ms"], "<=", OPEN_P95_LIMIT, " ms"),
                ],
                floor="healthz",
                ratio=share,
            )
        )
    notes = [
        f"{settings.clients} concurrent clients in a closed loop (bench/load.py, aiohttp, its own process); "
        f"the generator's own CPU share during the floor: {before['client_cpu']:.2f} of a core.",
        f"Open loop: requests due at random (Poisson) instants at {OPEN_SHARE:g} of each page's closed-loop "
        f"requests/s, with the same {settings.clients} sessions; a request's latency counts from the instant it was "
        f"due, so waiting for a busy server counts too. Target: p95 ≤ {OPEN_P95_LIMIT:g} ms.",
        f"Peak resident memory of a gunicorn worker: {worker_peak} MB.",
        "Server CPU: what the two workers spent per request in the closed loop (/proc, utime + stime), and the "
        "floor's CPU per request over the page's. On a machine that other work shares, requests per second move "
        "with that work from one phase to the next and the CPU per request does not: where the two ratios differ, "
        "the CPU's is the page's own cost. The bench's server does not recycle its workers (IS2IN_MAX_REQUESTS=0), so "
        "every phase has the figure.",
        limits(settings.clients, floor_rps),
    ]
    return {
        "title": "1. Pages under load",
        "floors": {"healthz": floor},
        "figures": figures,
        "notes": notes,
        "server_worker_peak_mb": worker_peak,
    }


def _mean(*values):
    known = [v for v in values if v]
    return round(sum(known) / len(known), 2) if known else None


def limits(clients: int, floor_rps: float) -> str:
    """What bounds p95 in a closed loop (Little's law): each of ``clients`` asks again as soon as it is
    answered, so the mean wait is clients / throughput, whatever the page does. That is why the closed loop's p95
    is reported, not a target; the open loop's is."""
    needed = clients / (P95_LIMIT / 1000)
    if not floor_rps:
        return f"What limits p95: {clients} clients in a closed loop need > {needed:.0f} req/s for it."
    return (
        f"What limits p95: with {clients} clients in a closed loop the mean latency is {clients} ÷ the requests "
        f"per second, so p95 ≤ {P95_LIMIT:g} ms needs more than {report.number(round(needed))} req/s on every "
        f"page, {needed / floor_rps:.1f}× what the floor route (no database, no template) reaches on this machine "
        f"({report.number(round(floor_rps))} req/s). Within that bound, a page's own cost is its ratio to the floor, "
        f"and its latency is the open loop's, where the arrivals do not wait for the answers."
    )
