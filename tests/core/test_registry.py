"""Categories, departments and step actions are what the core and the installed plugins declare (core.registry):
the union is offered and checked; a code nobody declares stops start-up."""

import textwrap

import pytest

from core import create_app
from core.plugins import DEFAULT_PLUGINS


def _plugin(tmp_path, monkeypatch, name, body):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_the_builtin_plugins_declare_the_five_categories_and_their_departments(app):
    from core.accounts.models import DEPARTMENTS
    from core.workflow.definitions import CATEGORIES

    with app.app_context():
        assert [c.code for c in CATEGORIES] == ["listing", "nonlisting", "auditors", "membership", "disclosure"]
        assert list(DEPARTMENTS) == [
            "listing",
            "auditors",
            "monitoring",
            "office",
            "trading",
            "board",
            "management",
            "admin",
            "security",
        ]


def test_without_its_plugin_a_category_is_not_known(app_config):
    from core.workflow.definitions import CATEGORY_BY_CODE

    app = create_app({**app_config, "DISABLED_PLUGINS": ["membership"]})
    with app.app_context():
        assert "membership" not in CATEGORY_BY_CODE and "listing" in CATEGORY_BY_CODE


def test_a_procedure_in_an_undeclared_category_stops_start_up(app_config, tmp_path, monkeypatch):
    name = _plugin(
        tmp_path,
        monkeypatch,
        "stray_category",
        """
        from core import Procedure, hookimpl

        @hookimpl
        def is2in_procedures():
            return [Procedure("stray.one", "nowhere", "Никуда")]
        """,
    )
    with pytest.raises(ValueError, match="procedure stray.one: unknown category 'nowhere'"):
        create_app(app_config, plugins=DEFAULT_PLUGINS + (name,))


def test_an_undeclared_department_or_action_stops_start_up(app_config, tmp_path, monkeypatch):
    name = _plugin(
        tmp_path,
        monkeypatch,
        "stray_department",
        """
        from core import Procedure, hookimpl
        from core.workflow.definitions import Process

        @hookimpl
        def is2in_procedures():
            return [Procedure("stray.two", "listing", "Два", department="nobody")]
        """,
    )
    with pytest.raises(ValueError, match="unknown department 'nobody'"):
        create_app(app_config, plugins=DEFAULT_PLUGINS + (name,))
    name = _plugin(
        tmp_path,
        monkeypatch,
        "stray_action",
        """
        from core import Procedure, hookimpl
        from core.workflow.definitions import Process

        @hookimpl
        def is2in_procedures():
            chain = (Process("fill", "Заполнение", "initiator", "draft", (), (("dance", "done"),)),
                     Process("done", "Готово", "none", "archived"))
            return [Procedure("stray.three", "listing", "Три", processes=chain)]
        """,
    )
    with pytest.raises(ValueError, match="fill has unknown action 'dance'"):
        create_app(app_config, plugins=DEFAULT_PLUGINS + (name,))


def test_one_code_declared_two_ways_stops_start_up(app_config, tmp_path, monkeypatch):
    name = _plugin(
        tmp_path,
        monkeypatch,
        "other_listing",
        """
        from core import Department, hookimpl

        @hookimpl
        def is2in_departments():
            return [Department("listing", "Другой листинг", 1)]
        """,
    )
    with pytest.raises(ValueError, match="two plugins declare department 'listing' differently"):
        create_app(app_config, plugins=DEFAULT_PLUGINS + (name,))


def test_a_plugins_department_is_offered_to_staff_and_admitted_to_the_inbox(app_config, tmp_path, monkeypatch):
    name = _plugin(
        tmp_path,
        monkeypatch,
        "own_department",
        """
        from core import Department, Procedure, hookimpl

        @hookimpl
        def is2in_departments():
            return [Department("clearing", "Департамент клиринга", 30)]

        @hookimpl
        def is2in_procedures():
            return [Procedure("own.one", "listing", "Один", department="clearing")]
        """,
    )
    app = create_app(app_config, plugins=DEFAULT_PLUGINS + (name,))
    with app.test_request_context():
        from core.accounts.forms import UserForm

        form = UserForm(staff=True, meta={"csrf": False})
        assert "clearing" in [choice.value for choice in form.departments.choices]
    assert "clearing" in app.view_functions["workflow.inbox"].access.departments
    # another app in the same process keeps its own rule
    plain = create_app(app_config)
    assert "clearing" not in plain.view_functions["workflow.inbox"].access.departments


def test_the_screens_of_every_reviewing_department_follow_the_installed_plugins(app_config):
    """The inbox, the staff's partnerships register and publishing regulations admit the departments that review
    an installed procedure: the core names none of them, so without the auditors' plugin its department is out."""
    screens = ("workflow.inbox", "partnerships.staff_index", "regulations.publish", "regulations.withdraw")
    full = create_app(app_config)
    for endpoint in screens:
        assert {"listing", "auditors", "monitoring"} <= set(full.view_functions[endpoint].access.departments)
    without = create_app({**app_config, "DISABLED_PLUGINS": ["auditors"]})
    for endpoint in screens:
        departments = set(without.view_functions[endpoint].access.departments)
        assert "auditors" not in departments and {"listing", "monitoring"} <= departments, endpoint
