"""The benchmark harness runs end to end on a tiny book and reports every scenario and figure. Speed is what the
benchmarks measure (`make bench`); this test asserts no timing at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FIGURES = {
    "pages": {"cabinet", "applications", "stage", "cascade", "inbox", "archive"},
    "book": {
        "api_intake",
        "api_batches",
        "service_single",
        "service_intake",
        "collateral",
        "activation",
        "xlsx",
        "xml",
        "satisfied",
        "deals",
    },
    "documents": {"pdf", "seal", "verify"},
}
FLOORS = {"pages": {"healthz"}, "book": {"http", "insert", "csv", "lxml"}, "documents": {"pdf", "seal", "verify"}}


@pytest.mark.skipif(bool(os.environ.get("IS2IN_TEST_DATABASE_URL")), reason="the harness is exercised once, on SQLite")
def test_bench_reports_every_scenario_and_figure_on_a_tiny_book(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IS2IN_", "BENCH_"))}
    env.update(
        BENCH_WORKDIR=str(tmp_path / "work"),
        BENCH_RESULTS=str(tmp_path / "results.json"),
        BENCH_SCALE="0.01",
        BENCH_ORDERS="500",
        BENCH_BUYERS="20",
        BENCH_CLIENTS="4",
        BENCH_SECONDS="1",
        BENCH_WARMUP="0.2",
        BENCH_REPEATS="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    for key in ("nproc", "memory_mb", "cpu", "python", "database", "date"):
        assert results["machine"][key], key
    assert set(results["scenarios"]) == set(FIGURES)
    for name, scenario in results["scenarios"].items():
        assert "error" not in scenario, scenario.get("error")
        assert {f["name"] for f in scenario["figures"]} == FIGURES[name]
        assert set(scenario["floors"]) == FLOORS[name]
        for figure in scenario["figures"]:
            assert figure["targets"], figure["name"]
            assert figure["floor"] in scenario["floors"], figure["name"]
            assert figure["ratio"] is not None, figure["name"]
            assert not figure["values"].get("errors"), figure
            for target in figure["targets"]:
                assert target["value"] is not None and isinstance(target["pass"], bool), (figure["name"], target)
    table = done.stdout
    for scenario in results["scenarios"].values():
        assert scenario["title"] in table
        for figure in scenario["figures"]:
            assert figure["label"] in table
