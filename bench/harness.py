"""What the scenarios share: the settings (BENCH_* variables), the bench's own instance and database, the child
processes whose peak memory the operating system reports, the app server under gunicorn, and the machine."""

import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IS2IN = str(Path(sys.executable).with_name("is2in"))
RESULT_MARK = "BENCH-RESULT "
BENCH_DATABASE = "is2in_bench"  # the database the bench makes (and drops) on BENCH_DATABASE_URL's server


@dataclass
class Settings:
    """The knobs, from the environment; the defaults are the issue's sizes."""

    seconds: float = 30.0  # BENCH_SECONDS: per page, and for the API intake
    clients: int = 32  # BENCH_CLIENTS
    orders: int = 200_000  # BENCH_ORDERS: the subscription book
    buyers: int = 500  # BENCH_BUYERS
    scale: float = 1.0  # BENCH_SCALE: the scale demo's --factor
    repeats: int = 5  # BENCH_REPEATS: runs of each document operation
    warmup: float | None = None  # BENCH_WARMUP: seconds of load before measuring (default: a tenth, at least 1 s)
    step_timeout: float = 600.0  # BENCH_STEP_TIMEOUT: a book step still running then is stopped (a miss)
    database_url: str | None = None  # BENCH_DATABASE_URL: PostgreSQL instead of SQLite
    only: tuple = ("pages", "book", "documents")  # BENCH_ONLY
    workdir: Path = field(default_factory=lambda: ROOT / "bench" / ".work")  # BENCH_WORKDIR
    results: Path = field(default_factory=lambda: ROOT / "bench" / "results.json")  # BENCH_RESULTS

    @property
    def warm(self) -> float:
        return self.warmup if self.warmup is not None else max(1.0, self.seconds / 10)

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Settings":
        settings = cls()
        for name, cast in (
            ("seconds", float),
            ("clients", int),
            ("orders", int),
            ("buyers", int),
            ("scale", float),
            ("repeats", int),
            ("warmup", float),
            ("step_timeout", float),
        ):
            raw = environ.get(f"BENCH_{name.upper()}")
            if raw:
                setattr(settings, name, cast(raw))
        settings.database_url = environ.get("BENCH_DATABASE_URL") or None
        if environ.get("BENCH_ONLY"):
            settings.only = tuple(s.strip() for s in environ["BENCH_ONLY"].split(",") if s.strip())
        if environ.get("BENCH_WORKDIR"):
            settings.workdir = Path(environ["BENCH_WORKDIR"]).resolve()
        if environ.get("BENCH_RESULTS"):
            settings.results = Path(environ["BENCH_RESULTS"]).resolve()
        return settings


# --- the bench's instance and database --------------------------------------------------------------------------


class Environment:
    """A fresh instance folder and database for one run, and the IS2IN_* variables every process gets."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.instance = settings.workdir / "instance"
        self.logs = settings.workdir / "logs"
        self.kind = "postgresql" if settings.database_url else "sqlite"
        self.database_url = None

    def prepare(self) -> None:
        if self.settings.workdir.exists():
            shutil.rmtree(self.settings.workdir)
        self.instance.mkdir(parents=True)
        self.logs.mkdir(parents=True)
        if self.settings.database_url:
            self.database_url = fresh_postgres(self.settings.database_url)
        else:
            self.database_url = f"sqlite:///{self.instance / 'is2in.db'}"

    def env(self, **extra) -> dict:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("IS2IN_")}
        environ.update(
            IS2IN_INSTANCE_PATH=str(self.instance),
            IS2IN_DATABASE_URL=self.database_url,
            IS2IN_SECRET_KEY="bench-secret-key",
            IS2IN_BASE_URL="http://127.0.0.1",
            # the bench signs 64 browsers in from one address within a minute
            IS2IN_LOGIN_RATE_LIMIT="10000 per minute",
            # the scale demo's staff have no phones; the bench measures pages, not the second factor
            IS2IN_MFA_REQUIRED="0",
            PYTHONPATH=str(ROOT),
        )
        environ.update({k: str(v) for k, v in extra.items()})
        return environ

    def database_version(self) -> str:
        if self.kind == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg2

        with psycopg2.connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"


def fresh_postgres(url: str) -> str:
    """Drop and create the bench's own database on the server of ``url``; return its URL."""
    import psycopg2
    from psycopg2 import sql

    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
    admin.close()
    return urlunsplit(urlsplit(url)._replace(path="/" + BENCH_DATABASE))


# --- child processes --------------------------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    pass


class StepTimeout(ChildFailed):
    """A step still running at its time limit: stopped, and reported as a miss."""

    def __init__(self, step: str, seconds: float):
        super().__init__(f"step {step} stopped after {seconds:.0f} s")
        self.seconds = seconds


def run_command(env: Environment, args: list[str], log_name: str, timeout: float = 3600) -> float:
    """Run a command of the app (``is2in ...``) to its end, its output in a log file; return the wall seconds."""
    started = time.perf_counter()
    with open(env.logs / f"{log_name}.log", "w") as log:
        done = subprocess.run(args, env=env.env(), stdout=log, stderr=subprocess.STDOUT, timeout=timeout, cwd=ROOT)
    if done.returncode:
        tail = (env.logs / f"{log_name}.log").read_text()[-2000:]
        raise ChildFailed(f"{' '.join(args)} failed ({done.returncode}):\n{tail}")
    return time.perf_counter() - started


def run_step(env: Environment, step: str, params: dict | None = None, timeout: float = 3600) -> dict:
    """Run one step (``bench.child``) in a process of its own and return what it reports, with the process's peak
    resident memory as the kernel counted it (``wait4``'s ru_maxrss of that very child, in MB)."""
    args = [PYTHON, "-m", "bench.child", step, json.dumps(params or {})]
    stem = step.replace(":", "-")
    out_path, log_path = env.logs / f"{stem}.out", env.logs / f"{stem}.log"
    started = time.perf_counter()
    with open(out_path, "w") as out, open(log_path, "w") as log:
        process = subprocess.Popen(args, env=env.env(), stdout=out, stderr=log, cwd=ROOT)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode and wall >= timeout:
        raise StepTimeout(step, wall)
    if process.returncode:
        raise ChildFailed(f"step {step} failed ({process.returncode}):\n{log_path.read_text()[-3000:]}")
    lines = [line for line in out_path.read_text().splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise ChildFailed(f"step {step} reported nothing:\n{log_path.read_text()[-3000:]}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    result["peak_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux counts ru_maxrss in kilobytes
    result["process_seconds"] = round(wall, 2)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a live process: the most resident memory it has held, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Server:
    """`is2in serve --production` (gunicorn, two workers) on a free port of 127.0.0.1."""

    def __init__(self, env: Environment, workers: int = 2, log_name: str = "server"):
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_name = log_name
        self.process = None

    def __enter__(self):
        log = open(self.env.logs / f"{self.log_name}.log", "w")  # noqa: SIM115 - closed in __exit__
        self._log = log
        self.process = subprocess.Popen(
            [IS2IN, "serve", "--production"],
            # Workers are not recycled during a run (production recycles after 5,000 requests): a phase measures
            # the steady state, and the CPU per request is read from the same two workers from start to end.
            env=self.env.env(IS2IN_BIND=f"127.0.0.1:{self.port}", IS2IN_WORKERS=self.workers, IS2IN_MAX_REQUESTS=0),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChildFailed(f"the server exited: see {self.env.logs / self.log_name}.log")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) >= self.workers:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise ChildFailed("the server did not answer /healthz within 60 s")

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def workers_peak_mb(self) -> float | None:
        peaks = [peak_rss_mb(pid) for pid in self.worker_pids()]
        peaks = [p for p in peaks if p is not None]
        return max(peaks) if peaks else None

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def run_load(env: Environment, plan: dict, name: str, timeout: float = 3600) -> dict:
    """Run the load generator (``bench.load``) as its own process on ``plan``."""
    path = env.settings.workdir / f"{name}-plan.json"
    path.write_text(json.dumps(plan, ensure_ascii=False, indent=1))
    with open(env.logs / f"{name}-load.log", "w") as log:
        done = subprocess.run(
            [PYTHON, "-m", "bench.load", str(path)],
            env=env.env(),
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
            text=True,
            timeout=timeout,
        )
    if done.returncode:
        raise ChildFailed(f"the load generator failed:\n{(env.logs / f'{name}-load.log').read_text()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the machine ------------------------------------------------------------------------------------------------


def machine(env: Environment) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "load_average": load_average(),
        "nproc": os.cpu_count(),
        "memory_mb": memory_mb,
        "cpu": cpu,
        "python": platform.python_version(),
        "database": env.database_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine shows here."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, timeout=5
        ).stdout.strip()
    except OSError:
        return ""
