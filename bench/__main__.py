"""`python -m bench` (`make bench`): a fresh instance and database, the scale demo, the three scenarios, the table
on stdout and bench/results.json. BENCH_* variables (see bench/harness.py and the README) shrink it for a quick
look; BENCH_DATABASE_URL runs it on PostgreSQL."""

import sys
import time
import traceback

from bench import harness, report

SCENARIOS = ("pages", "book", "documents", "registers")  # registers: only when BENCH_ONLY names it


def main() -> int:
    settings = harness.Settings.from_environment()
    env = harness.Environment(settings)
    started = time.perf_counter()
    print(f"bench: {env.kind}, work folder {settings.workdir}", flush=True)
    env.prepare()
    harness.run_step(env, "child:migrate")
    seconds = harness.run_command(
        env, [harness.IS2IN, "demo", "--scale", "--factor", str(settings.scale)], "demo-scale"
    )
    print(f"bench: scale demo loaded in {seconds:.0f} s", flush=True)
    results = {
        "machine": harness.machine(env),
        "settings": {
            "clients": settings.clients,
            "seconds": settings.seconds,
            "orders": settings.orders,
            "buyers": settings.buyers,
            "scale": settings.scale,
            "repeats": settings.repeats,
            "database": env.kind,
            "scale_demo_seconds": round(seconds, 1),
        },
        "scenarios": {},
    }
    failed = False
    for name in SCENARIOS:
        if name not in settings.only:
            continue
        print(f"bench: scenario {name}...", flush=True)
        began = time.perf_counter()
        module = __import__(f"bench.{name}", fromlist=["run"])
        try:
            results["scenarios"][name] = module.run(env, settings)
        except Exception as exc:  # noqa: BLE001 - the other scenarios still run; the report says what broke
            traceback.print_exc()
            failed = True
            results["scenarios"][name] = {"title": name, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        results["scenarios"][name]["seconds"] = round(time.perf_counter() - began, 1)
        report.write(results, settings.results)
    results["settings"]["total_seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_end"] = harness.load_average()
    report.write(results, settings.results)
    print()
    print(report.table(results))
    print(f"\nbench: {results['settings']['total_seconds']:.0f} s; results in {settings.results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
