"""A fresh install gets every package the code imports: each third-party import of core/ and plugins/ comes
from a distribution pyproject.toml declares in [project].dependencies (requirements.lock only pins versions
and does not reach `pip install is2in`), and each one of tests/ from those or the `test` extra."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"core", "plugins", "tests", "examples", "bench"}


def _name(requirement: str) -> str:
    """The distribution a requirement names, normalised as PyPI does (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group(0)).lower()


def _declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {_name(r) for r in requirements}


def _imports(*folders: str) -> dict[str, set[str]]:
    """Top-level module names imported by the Python files under ``folders``, each with a file importing it."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _undeclared(folders: tuple[str, ...], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, files in sorted(_imports(*folders).items()):
        if module in sys.stdlib_module_names or module in FIRST_PARTY or module == "__future__":
            continue
        owners = {_name(d) for d in distributions.get(module, [])}
        where = ", ".join(sorted(files)[:3])
        if not owners:
            problems.append(f"{module} (imported by {where}) comes from no installed distribution")
        elif not owners & declared:
            problems.append(f"{module} (imported by {where}) comes from {sorted(owners)}, not declared")
    return problems


def test_the_code_imports_only_packages_pyproject_declares():
    problems = _undeclared(("core", "plugins"), _declared())
    assert not problems, "declare in pyproject.toml [project].dependencies:\n" + "\n".join(problems)


def test_the_tests_import_only_packages_pyproject_declares_for_them():
    problems = _undeclared(("tests",), _declared("test"))
    assert not problems, "declare in pyproject.toml (dependencies or the test extra):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("pyHanko[opentype]>=0.25", "pyhanko"),
        ("Flask-Login>=0.6.3", "flask-login"),
        ("jinja2_fragments", "jinja2-fragments"),
    ],
)
def test_requirement_names_are_compared_as_pypi_normalises_them(requirement, name):
    assert _name(requirement) == name
