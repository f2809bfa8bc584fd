"""The plugin core: hooks, built-in and external plugins, and the rules that keep plugins independent."""

import ast
import inspect
import re
from pathlib import Path

import pytest

from core import create_app, hookspecs
from core.plugins import DEFAULT_PLUGINS, get_plugin_manager
from tests.installed import pip_installed

ROOT = Path(__file__).resolve().parents[2]


def test_every_hookspec_is_documented_in_docs_plugins_md():
    doc = (ROOT / "docs" / "plugins.md").read_text()
    specs = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("is2in_")]
    assert specs
    for name in specs:
        assert re.search(rf"^### `{name}`", doc, re.M), f"{name} is not documented in docs/plugins.md"
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"


def test_the_six_builtin_plugins_are_registered_by_name():
    pm = get_plugin_manager(entry_points=False)
    assert [name for name, _ in pm.list_name_plugin()] == list(DEFAULT_PLUGINS)
    assert len(DEFAULT_PLUGINS) == 6


def test_a_misspelt_hookimpl_fails_at_start_up(tmp_path, monkeypatch):
    (tmp_path / "typo_plugin.py").write_text(
        "from core import hookimpl\n\n@hookimpl\ndef is2in_procedure():\n    return []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        get_plugin_manager(plugins=("typo_plugin",), entry_points=False)


@pytest.fixture
def installed_example(tmp_path_factory):
    """pip-install the example package of examples/is2in-example-plugin into a folder on sys.path."""
    source = ROOT / "examples" / "is2in-example-plugin"
    with pip_installed(tmp_path_factory.mktemp("site"), source, "is2in_example_plugin") as target:
        yield target


def test_an_installed_external_plugin_appears_in_procedures(installed_example, app_config, auth_factory):
    app = create_app({**app_config, "PLUGIN_ENTRY_POINTS": True})
    assert "example.bond_buyback" in app.extensions["is2in.procedures"]
    client = auth_factory(app)
    html = client.get("/procedures").get_data(as_text=True)
    assert "Выкуп облигаций (внешний плагин)" in html


def test_an_external_plugin_contributes_through_each_hook_it_implements(
    installed_example, app_config, auth_factory, make
):
    from click.testing import CliRunner

    from core import db as database
    from core.notifications.models import Notification

    app = create_app({**app_config, "PLUGIN_ENTRY_POINTS": True})
    # its own migration history, applied by the same runner as the core's
    assert "example" in [s.app for s in app.extensions["is2in.migrations"]]
    assert database.upgrade(app.extensions["is2in.migrations"], echo=lambda *_: None) == ["example.0001_notes"]
    client = auth_factory(app, "issuer@example.kz")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/example/"' in home and ">Пример</a>" in home  # menu link
    assert "Заметок: 0" in client.get("/example/").get_data(as_text=True)  # blueprint and template
    client.post("/example/ping")
    assert Notification.get().kind == "example.ping"  # notification kind
    staff = make.staff("listing", email="l@kase.kz")
    staff_client = auth_factory(app, staff.email)
    assert "Пример для Биржи" in staff_client.get("/staff").get_data(as_text=True)  # staff screen
    assert staff_client.get("/example/").status_code == 403
    result = CliRunner().invoke(app.cli, ["example-count"], obj=None)
    assert "example notes: 1" in result.output  # CLI command


def test_a_plugin_can_be_switched_off(app_config, installed_example):
    app = create_app({**app_config, "DISABLED_PLUGINS": ["listing", "example"], "PLUGIN_ENTRY_POINTS": True})
    codes = set(app.extensions["is2in.procedures"])
    assert not any(code.startswith(("listing.", "example.")) for code in codes)
    assert any(code.startswith("auditors.") for code in codes)


@pytest.mark.parametrize("plugin", [name.rsplit(".", 1)[-1] for name in DEFAULT_PLUGINS])
def test_the_rest_works_with_any_one_plugin_off(app_config, plugin, auth_factory):
    app = create_app({**app_config, "DISABLED_PLUGINS": [plugin]})
    client = auth_factory(app)
    for path in ("/", "/procedures", "/partnerships", "/applications", "/regulations"):
        assert client.get(path).status_code == 200, path


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_core_imports_no_plugin_and_no_plugin_imports_another():
    for path in (ROOT / "core").rglob("*.py"):
        bad = [m for m in _imports(path) if m == "plugins" or m.startswith("plugins.")]
        assert not bad, f"{path} imports {bad}"
    for plugin_dir in (ROOT / "plugins").iterdir():
        if not (plugin_dir / "__init__.py").exists():
            continue
        for path in plugin_dir.rglob("*.py"):
            for module in _imports(path):
                if module.startswith("plugins."):
                    assert module.split(".")[1] == plugin_dir.name, f"{path} imports {module}"


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static") and getattr(app.view_functions[rule.endpoint], "access", None) is None
    ]
    assert undeclared == []


def test_an_undeclared_route_is_refused(app, client):
    app.add_url_rule("/naked", "naked", lambda: "secret")
    assert client.get("/naked").status_code == 403
