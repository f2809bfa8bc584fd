"""Installing an example plugin package the way a plugin team's users would: ``pip install`` into a folder put
on ``sys.path`` for the test (the virtualenv stays as it was), found through its entry point."""

import contextlib
import importlib
import subprocess
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


@contextlib.contextmanager
def pip_installed(target, source, package: str):
    """``source`` (a folder with a pyproject.toml) pip-installed into ``target``, importable as ``package`` while
    the block runs; its compiled catalogues made as `make translations` does (they are build output, not in git)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*command, "--target", str(target), str(source)], check=True, capture_output=True)
    for po in (target / package / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as text, po.with_suffix(".mo").open("wb") as out:
            write_mo(out, read_po(text))
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
