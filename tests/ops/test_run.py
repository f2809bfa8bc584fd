"""`is2in run` runs the queue's consumer in its own process (README, "Quick start"): once, never in the
reloader's watcher process as well as in the server it restarts, not with --no-worker, and without taking
Ctrl-C from the development server. The whole system end to end: tests/browser/test_make_run.py."""

import signal
import threading

import pytest

import core.cli
from core import create_app, tasks


@pytest.fixture
def served(app, monkeypatch):
    """`is2in run` with Flask's server and the consumer replaced by recorders."""
    calls = {"served": [], "consumers": []}

    class FakeRun:
        @staticmethod
        def callback(**options):
            calls["served"].append(options)

    class FakeConsumer:
        stopped = False

        def stop(self, graceful=False):
            self.stopped = graceful

    def start_consumer(application, workers=2):
        consumer = FakeConsumer()
        calls["consumers"].append((application, workers, consumer))
        return consumer

    monkeypatch.setattr(core.cli, "flask_run", FakeRun)
    monkeypatch.setattr(tasks, "start_consumer", start_consumer)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)

    def run(*args, env=None):
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        result = app.test_cli_runner().invoke(core.cli.run_command, list(args))
        assert result.exit_code == 0, result.output
        return calls

    return run


def test_run_serves_with_one_consumer_of_the_app_it_serves_and_stops_it_after(app, served):
    calls = served("--port", "5099", "--no-reload")
    assert len(calls["served"]) == 1 and calls["served"][0]["port"] == 5099
    ((application, workers, consumer),) = calls["consumers"]
    assert application is app and workers == 2
    assert consumer.stopped is True  # stopped gracefully once the server returned


def test_with_the_reloader_only_the_restarted_server_runs_a_consumer(served):
    watcher = served("--reload")
    assert watcher["served"] and not watcher["consumers"]  # the process that watches the files
    child = served("--reload", env={"WERKZEUG_RUN_MAIN": "true"})
    assert len(child["consumers"]) == 1  # the server process Flask restarts on every change


def test_no_worker_leaves_the_consumer_out(served):
    calls = served("--no-reload", "--no-worker", "--workers", "5")
    assert calls["served"] and not calls["consumers"]


def test_the_in_process_consumer_runs_queued_tasks_and_leaves_ctrl_c_to_the_server(app_config):
    application = create_app({**app_config, "TASKS_IMMEDIATE": False})
    ran = threading.Event()

    def mark_done():
        ran.set()

    queued = tasks.task(application, mark_done)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    consumer = tasks.start_consumer(application, workers=1)
    try:
        with application.app_context():
            queued()
        assert ran.wait(timeout=20), "the in-process consumer did not run the queued task"
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    finally:
        consumer.stop(graceful=True)
    assert not any(t.is_alive() for _, t in consumer.worker_threads)


def test_immediate_mode_needs_no_consumer(app):
    assert app.extensions["huey"].immediate is True
    assert tasks.start_consumer(app) is None
