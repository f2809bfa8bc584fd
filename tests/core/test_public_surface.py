"""The public surface: ``core`` names what a plugin may use (core.EXPORTS), lazily, and plugins use nothing else.

So the core can move its insides (the workflow package, the demo, the file store) without breaking a plugin, and
the integrator's rewrite of imports has a table to read.
"""

import ast
import pathlib
import subprocess
import sys

import core

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_public_name_resolves_and_is_listed():
    for name in core.EXPORTS:
        assert getattr(core, name) is not None, name
    assert set(core.__all__) == {"create_app", "hookimpl", *core.EXPORTS}
    assert set(core.__all__) <= set(dir(core))


def test_importing_core_imports_nothing_else():
    """Lazy: ``import core`` stays cheap for a plugin's tests and the CLI, and no import cycle runs through it."""
    code = "import sys, core; print(sorted(m for m in sys.modules if m.startswith('core.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_public_name_never_collides_with_a_core_submodule():
    """Importing ``core.x`` sets ``core.x`` on the package, which would shadow an export named ``x``."""
    submodules = {p.stem for p in (ROOT / "core").glob("*.py")} | {
        p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").exists()
    }
    for name, target in core.EXPORTS.items():
        if name in submodules:
            assert target == f"core.{name}", f"core.{name} is a module: export {target} under another name"


def test_an_unknown_name_is_an_attribute_error():
    try:
        core.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("core.no_such_thing resolved")


def _sources():
    for base in ("plugins", "examples"):
        for path in sorted((ROOT / base).rglob("*.py")):
            if "build" not in path.parts and ".venv" not in path.parts:
                yield path


def test_plugins_and_examples_import_only_the_public_surface():
    found = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [f"{rel}:{node.lineno}: import {a.name}" for a in node.names if a.name.startswith("core.")]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("core."):
                found += [f"{rel}:{node.lineno}: from {node.module} import {a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "core":
                found += [
                    f"{rel}:{node.lineno}: from core import {a.name}: not in core.EXPORTS"
                    for a in node.names
                    if a.name not in core.__all__
                ]
    assert not found, "use 'from core import ...' (core.EXPORTS):\n" + "\n".join(found)


def test_plugins_ask_the_engine_for_procedures():
    """``engine.procedures()`` is the registry's public face; the app's extensions are the core's business."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                if node.slice.value in ("is2in.procedures", "is2in.procedure_versions"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "read engine.procedures() instead of current_app.extensions: " + ", ".join(found)
