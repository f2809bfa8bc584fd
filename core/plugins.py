"""The plugin manager: built-in plugins by module name, external ones from the ``is2in`` entry points."""

import importlib

import pluggy

from core import hookspecs

DEFAULT_PLUGINS = (
    "plugins.listing",
    "plugins.nonlisting",
    "plugins.auditors",
    "plugins.membership",
    "plugins.disclosure",
    "plugins.subscription",
)


def get_plugin_manager(plugins=DEFAULT_PLUGINS, disabled=(), entry_points=True) -> pluggy.PluginManager:
    """Build a manager holding ``plugins`` (module names) and, unless told not to, the installed ones.

    ``disabled`` lists plugin names (``listing`` or ``plugins.listing``) to leave out.
    """
    pm = pluggy.PluginManager("is2in")
    pm.add_hookspecs(hookspecs)
    off = {name.rsplit(".", 1)[-1] for name in disabled}
    for name in plugins:
        if name.rsplit(".", 1)[-1] in off:
            continue
        pm.register(importlib.import_module(name), name=name)
    if entry_points:
        pm.load_setuptools_entrypoints("is2in")
        for name, plugin in list(pm.list_name_plugin()):
            if name.rsplit(".", 1)[-1] in off:
                pm.unregister(plugin)
    pm.check_pending()
    return pm


def collect(pm, hook_name: str, **kwargs) -> list:
    """Call a hook and flatten the lists its implementations return, skipping None."""
    items = []
    for result in getattr(pm.hook, hook_name)(**kwargs):
        if result is None:
            continue
        if isinstance(result, (list, tuple)):
            items.extend(result)
        else:
            items.append(result)
    return items
