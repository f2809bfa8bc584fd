"""App servers (gunicorn, `is2in serve --production`) and workers (`is2in worker`) as real processes, for the
tests that kill them or load them: each runs in a process group of its own, so SIGKILL takes the gunicorn
master and its workers at once, as a crashed host would."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from tests.conftest import free_port

REDIS = os.environ.get("IS2IN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    parts = urllib.parse.urlsplit(REDIS)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def environment(database_url, tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "IS2IN_DATABASE_URL": database_url,
        "IS2IN_SECRET_KEY": "shared-secret",
        "IS2IN_DATA_DIR": str(tmp_path / "files"),
        "IS2IN_BASE_URL": "http://127.0.0.1",
        **extra,
    }


class Process:
    """One `is2in` command in its own process group; its output goes to a log file the test can show."""

    def __init__(self, args, env, log_path):
        self.args, self.env, self.log_path = args, env, log_path
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from core.cli import main; main()", *self.args],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL to the whole group: no graceful shutdown, no finally blocks, sockets cut mid-request."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()

    def tail(self, n=3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class Server(Process):
    def __init__(self, env, tmp_path, name="server", workers=2, threads=4, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **env,
            "IS2IN_BIND": f"127.0.0.1:{self.port}",
            "IS2IN_WORKERS": str(workers),
            "IS2IN_THREADS": str(threads),
            "IS2IN_INSTANCE_PATH": str(tmp_path / name),
        }
        super().__init__(["serve", "--production"], env, tmp_path / f"{name}.log")

    def start(self, timeout=30):
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"{self.url} did not come up:\n{self.tail()}")


def worker(env, tmp_path, name="worker") -> Process:
    return Process(["worker"], {**env, "IS2IN_INSTANCE_PATH": str(tmp_path / name)}, tmp_path / f"{name}.log")


def call(method, url, body=None, token=None, timeout=10):
    """(status, JSON answer) of one API call; raises OSError when no answer came (refused, cut, timed out)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload or b"null")
        except ValueError:
            return error.code, payload.decode(errors="replace")
