"""Background work through huey: SQLite storage by default, Redis when IS2IN_REDIS_URL is set.

The huey instance is built in ``create_app`` from the app's configuration (never at import time), and
tasks are registered on it there, so the web process and ``is2in worker`` share one definition.
"""

from pathlib import Path

from flask import current_app, g, has_request_context
from huey import RedisHuey, SqliteHuey, crontab


def make_huey(app):
    if app.config.get("REDIS_URL"):
        huey = RedisHuey("is2in", url=app.config["REDIS_URL"])
    else:
        path = Path(app.instance_path) / "tasks.db"
        huey = SqliteHuey("is2in", filename=str(path))
    huey.immediate = bool(app.config.get("TASKS_IMMEDIATE"))
    return huey


def with_app(app, fn):
    """Wrap ``fn`` to run inside an app context with a database connection of its own."""
    from core.db import db

    def run(*args, **kwargs):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                return fn(*args, **kwargs)
            finally:
                if not db.is_closed():
                    db.close()

    run.__name__ = fn.__name__
    run.__qualname__ = fn.__qualname__
    run.__module__ = fn.__module__
    return run


def init_app(app) -> None:
    huey = make_huey(app)
    app.extensions["huey"] = huey
    app.extensions["tasks"] = {}


def task(app, fn, **options):
    """Register ``fn`` as a huey task of ``app`` and remember it by name."""
    huey = app.extensions["huey"]
    wrapped = huey.task(name=fn.__name__, **options)(with_app(app, fn))
    app.extensions["tasks"][fn.__name__] = wrapped
    return wrapped


def periodic(app, fn, schedule: crontab, **options):
    huey = app.extensions["huey"]
    wrapped = huey.periodic_task(schedule, name=fn.__name__, **options)(with_app(app, fn))
    app.extensions["tasks"][fn.__name__] = wrapped
    return wrapped


def enqueue(name: str, *args) -> None:
    """Queue task ``name`` once the current request's work is committed (see ``flush``)."""
    if not has_request_context():
        _call(name, args)
        return
    g.setdefault("pending_tasks", []).append((name, args))


def _call(name, args):
    try:
        current_app.extensions["tasks"][name](*args)
    except Exception:  # noqa: BLE001 - the queue being down must not fail the caller
        current_app.logger.exception("could not enqueue %s%r; the sweep will retry", name, args)


def flush(response):
    """after_request: hand queued tasks to huey. A failure to enqueue never breaks the page: the
    rows stay pending and the periodic sweep picks them up."""
    pending = g.pop("pending_tasks", [])
    if response.status_code >= 500:
        return response
    for name, args in pending:
        _call(name, args)
    return response
