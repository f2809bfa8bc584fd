"""The security figures the tests measure, merged into test-artifacts/security_figures.json (docs/security.md
quotes them). Several test processes write it at once (pytest-xdist), so each merge holds a file lock."""

import fcntl
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "test-artifacts" / "security_figures.json"


def record(section: str, values: dict) -> None:
    """Set ``values`` under ``section`` (one test's own keys), keeping every other test's."""
    FIGURES.parent.mkdir(exist_ok=True)
    with open(FIGURES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        except ValueError:
            current = {}
        current[section] = {**current.get(section, {}), **values}
        temporary = FIGURES.with_suffix(".tmp")
        temporary.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        temporary.replace(FIGURES)
