"""One step of a scenario in a process of its own: the app built as a worker builds it, the step run in an app
context in Russian (as the task queue runs jobs), its result printed as one marked JSON line. The parent reads the
process's peak memory from the kernel when it ends.

    python -m bench.child book:collateral '{"...": ...}'"""

import importlib
import json
import sys

from bench.harness import RESULT_MARK


def main(step: str, params: dict) -> None:
    module_name, function_name = step.split(":")
    function = getattr(importlib.import_module(f"bench.{module_name}"), function_name)
    from flask_babel import force_locale

    from core import create_app
    from core.db import db

    app = create_app()
    with app.app_context(), force_locale("ru"):
        db.connect(reuse_if_open=True)
        try:
            result = function(**params)
        finally:
            if not db.is_closed():
                db.close()
    print(RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)


def migrate() -> dict:
    """Every pending migration, given the database itself rather than the proxy: on PostgreSQL, `is2in db upgrade`
    hands migration 0009 the proxy, which it takes for SQLite (see the README's Benchmarks section)."""
    from flask import current_app

    from core import db

    ran = db.upgrade(current_app.extensions["is2in.migrations"], database=db.db.obj, echo=lambda *_: None)
    return {"applied": len(ran)}


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
