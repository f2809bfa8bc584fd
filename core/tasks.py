"""Background work through huey: SQLite storage by default, Redis when IS2IN_REDIS_URL is set.

The huey instance is built in ``create_app`` from the app's configuration (never at import time), and
tasks are registered on it there, so the web process and ``is2in worker`` share one definition.
Periodic jobs run once per scheduled minute however many workers run them (see ``JobRun``), and every
job carries the id of the request that queued it into its log lines.
"""

import contextlib
import contextvars
import datetime
import logging
import threading
from pathlib import Path

import peewee as pw
from flask import current_app, g, has_request_context
from huey import RedisHuey, SqliteHuey, crontab  # noqa: F401  (crontab re-exported for plugins)
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from core import clock
from core.db import BaseModel, db, utcnow
from core.ops.logging import request_id

log = logging.getLogger("is2in.tasks")


class JobRun(BaseModel):
    """One run of a periodic job for one scheduled minute: the unique key lets only the first worker in."""

    name = pw.CharField(max_length=128)
    slot = pw.CharField(max_length=32)
    started_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "job_run"
        indexes = ((("name", "slot"), True),)


class QueueStorage(SqliteStorage):
    """huey's SQLite queue with WAL and synchronous=NORMAL, as the app's own database: a committed task
    survives the process, and only the last ones could be lost to a power cut (the mail outbox they kick
    is in the main database and swept again). huey offers FULL (a disk sync per queued task: 500 mails
    of one deal formation cost 1-2.5 s) or OFF (no protection from corruption)."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def make_huey(app):
    if app.config.get("REDIS_URL"):
        huey = RedisHuey("is2in", url=app.config["REDIS_URL"])
    else:
        path = Path(app.instance_path) / "tasks.db"
        huey = SqliteHuey("is2in", filename=str(path), storage_class=QueueStorage)
    huey.immediate = bool(app.config.get("TASKS_IMMEDIATE"))
    return huey


class InProcessConsumer(Consumer):
    """huey's consumer run as threads of another program (the development server of ``is2in run``):
    the same workers and scheduler as ``is2in worker``, but the host keeps its signal handlers, so
    Ctrl-C stops the server, which then stops the consumer. (huey's ``start`` installs handlers for
    SIGINT/SIGTERM/SIGHUP; in a thread that is refused, and in the main thread it would swallow Ctrl-C.)"""

    def _set_signal_handlers(self):
        pass


def start_consumer(app, workers: int = 2) -> Consumer | None:
    """Run ``app``'s queue consumer (worker threads and the periodic scheduler) in this process;
    returns it for ``stop``. None in immediate mode, where tasks run in their caller."""
    huey = app.extensions["huey"]
    if huey.immediate:
        return None
    consumer = InProcessConsumer(huey, workers=workers, worker_type="thread", periodic=True)
    # ``run`` starts the threads, then restarts any that die (huey's health check) until ``stop``.
    threading.Thread(target=consumer.run, name="huey-consumer", daemon=True).start()
    log.info("task consumer started in-process", extra={"task": "consumer"})
    return consumer


def with_app(app, fn, name):
    """Wrap ``fn`` to run inside an app context with a database connection of its own."""

    def run(*args, _request_id="", **kwargs):
        token = request_id.set(_request_id)
        with app.app_context():
            # Immediate mode runs the job inside its caller's connection (maybe mid-transaction):
            # only a connection opened here is closed here.
            opened = db.is_closed()
            if opened:
                db.connect()
            queued = _deferred.set([])
            try:
                log.info("job", extra={"task": name})
                result = fn(*args, **kwargs)
            finally:
                pending = _deferred.get()
                _deferred.reset(queued)
                request_id.reset(token)
            # What the job queued leaves once the job's own transactions have committed.
            for task_name, task_args in pending:
                _call(task_name, task_args)
            if opened and not db.is_closed():
                db.close()
            return result

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
    wrapped = huey.task(name=fn.__name__, **options)(with_app(app, fn, fn.__name__))
    app.extensions["tasks"][fn.__name__] = wrapped
    return wrapped


def claim_slot(name: str, moment: datetime.datetime | None = None) -> bool:
    """True for the first caller of ``name`` in this minute, False for every other worker."""
    slot = (moment or utcnow()).strftime("%Y-%m-%dT%H:%M")
    try:
        with db.atomic():
            JobRun.create(name=name, slot=slot)
    except pw.IntegrityError:
        return False
    return True


def exchange_crontab(minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """A huey crontab read on the Exchange's clock (core.clock): ``exchange_crontab(minute="0", hour="8")``
    fires at 08:00 in Almaty whatever the machine's zone. huey hands its schedules the naive UTC minute
    (``Huey(utc=True)``, its default); this turns it into the Exchange's wall-clock time first."""
    matches = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)

    def on_exchange_clock(moment: datetime.datetime) -> bool:
        return matches(clock.to_local(moment))

    return on_exchange_clock


def periodic(app, fn, schedule, **options):
    """Register ``fn`` to run on ``schedule`` (a huey crontab), once per slot across all workers."""
    huey = app.extensions["huey"]
    name = fn.__name__

    def once(*args, **kwargs):
        if not claim_slot(name):
            log.info("job skipped: another worker has this slot", extra={"task": name})
            return None
        return fn(*args, **kwargs)

    once.__name__ = fn.__name__
    once.__module__ = fn.__module__
    wrapped = huey.periodic_task(schedule, name=name, **options)(with_app(app, once, name))
    app.extensions["tasks"][name] = wrapped
    return wrapped


_deferred = contextvars.ContextVar("deferred_tasks", default=None)


def enqueue(name: str, *args) -> None:
    """Queue task ``name`` once the current request's (or job's) work is committed (see ``flush``)."""
    if has_request_context():
        g.setdefault("pending_tasks", []).append((name, args))
    elif _deferred.get() is not None:
        _deferred.get().append((name, args))
    else:
        # The CLI or a test: queued now. A worker that runs it before the caller commits finds no row
        # and skips it; the periodic sweep sends it a minute or two later.
        _call(name, args)


@contextlib.contextmanager
def change():
    """One change made by a background job or a CLI command, in one transaction: the tasks it queues
    (mail) leave only once it has committed, as they do after a request."""
    if _deferred.get() is not None:  # inside a job already: the job sends them when it finishes
        with db.atomic():
            yield
        return
    token = _deferred.set([])
    try:
        with db.atomic():
            yield
        pending = _deferred.get()
    finally:
        _deferred.reset(token)
    for name, args in pending:
        _call(name, args)


def _call(name, args):
    try:
        current_app.extensions["tasks"][name](*args, _request_id=request_id.get())
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
