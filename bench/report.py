"""The report: every figure with its targets (pass or miss) and its ratio to the floor measured in the same run,
printed as a Markdown table (the same one the README keeps) and written to bench/results.json."""

import json
import math

SYMBOLS = {"<=": "≤", ">=": "≥"}


def target(metric: str, value, op: str, limit, unit: str = "") -> dict:
    """One target of a figure: ``value op limit`` holds or not (a missing value is a miss)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        passed = False
    else:
        passed = value <= limit if op == "<=" else value >= limit
    return {"metric": metric, "value": value, "op": op, "limit": limit, "unit": unit, "pass": passed}


def figure(name: str, label: str, values: dict, measured: str, targets=(), floor=None, ratio=None, note="") -> dict:
    """``measured`` is the figure in words for the table; ``values`` the numbers for results.json. A figure with
    errors (HTTP errors under load, a failed step) never passes."""
    errors = values.get("errors") or 0
    return {
        "name": name,
        "label": label,
        "values": values,
        "measured": measured,
        "targets": list(targets),
        "floor": floor,
        "ratio": ratio,
        "note": note,
        "pass": bool(targets) and all(t["pass"] for t in targets) and not errors,
    }


def ratio(value, floor_value) -> float | None:
    if not value or not floor_value:
        return None
    return round(value / floor_value, 3)


def ms(value) -> str:
    return "—" if value is None else (f"{value:.0f}" if value >= 100 else f"{value:.1f}")


def seconds(value) -> str:
    if value is None:
        return "—"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def number(value) -> str:
    return "—" if value is None else f"{value:,.0f}".replace(",", " ")


def _target_text(t: dict) -> str:
    limit = t["limit"]
    shown = f"{limit:g}" if isinstance(limit, float | int) else str(limit)
    return f"{t['metric']} {SYMBOLS[t['op']]} {shown}{t['unit']}"


def _result(f: dict) -> str:
    if not f["targets"]:
        return "—"
    if f["values"].get("errors"):
        return f"**error** ({f['values']['errors']})"
    missed = [t for t in f["targets"] if not t["pass"]]
    return "pass" if not missed else "**miss**: " + ", ".join(t["metric"] for t in missed)


def table(results: dict) -> str:
    """The whole report as Markdown: the machine, then one table per scenario."""
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {number(m['memory_mb'])} MB RAM, Python {m['python']}, "
        f"{m['database']}; {m['date']}, commit {m['commit'] or '?'}; load average {m.get('load_average', '?')} at the "
        f"start, {m.get('load_average_end', '?')} at the end.",
        f"Settings: {s['clients']} clients, {s['seconds']:g} s per page, {number(s['orders'])} orders from "
        f"{s['buyers']} buyers, scale demo ×{s['scale']:g}.",
    ]
    for scenario in results["scenarios"].values():
        lines += ["", f"**{scenario['title']}**", ""]
        if scenario.get("error"):
            lines.append(f"Not measured: {scenario['error']}")
            continue
        lines.append("| Figure | Measured | Floor | Ratio | Target | Result |")
        lines.append("|---|---|---|---|---|---|")
        for f in scenario["figures"]:
            floor = scenario["floors"].get(f["floor"], {}).get("measured", "—") if f["floor"] else "—"
            shown_ratio = "—" if f["ratio"] is None else f"{f['ratio']:.2f}"
            targets = "; ".join(_target_text(t) for t in f["targets"]) or "—"
            lines.append(f"| {f['label']} | {f['measured']} | {floor} | {shown_ratio} | {targets} | {_result(f)} |")
        for floor in scenario["floors"].values():
            lines.append(f"| *floor*: {floor['label']} | {floor['measured']} | | | | |")
        for note in scenario.get("notes", []):
            lines += ["", f"- {note}"]
    return "\n".join(lines)


def write(results: dict, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
