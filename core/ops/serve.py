"""`is2in serve --production`: the app under gunicorn, configured from IS2IN_* variables.

Each worker builds its own app after the fork (no database connection is shared across processes);
every process is stateless apart from PostgreSQL, Redis and the file store, so any number of them on
any number of hosts can stand behind one load balancer.
"""

import multiprocessing
import os

from gunicorn.app.base import BaseApplication


def options(environ=os.environ) -> dict:
    workers = int(environ.get("IS2IN_WORKERS", "0")) or multiprocessing.cpu_count() * 2 + 1
    return {
        "bind": environ.get("IS2IN_BIND", "127.0.0.1:8000"),
        "workers": workers,
        "threads": int(environ.get("IS2IN_THREADS", "4")),
        "worker_class": "gthread",
        "timeout": int(environ.get("IS2IN_TIMEOUT", "60")),
        "graceful_timeout": 30,
        "keepalive": 5,
        # Recycle workers now and then, so a slow leak never becomes an outage.
        "max_requests": int(environ.get("IS2IN_MAX_REQUESTS", "5000")),
        "max_requests_jitter": 500,
        "accesslog": None,  # the app logs every request as JSON with its request id
        "errorlog": "-",
        "forwarded_allow_ips": environ.get("IS2IN_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "control_socket_disable": True,
    }


class Server(BaseApplication):
    def __init__(self, settings: dict):
        self.settings = settings
        super().__init__()

    def load_config(self):
        for key, value in self.settings.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from core import create_app

        return create_app({"JSON_LOGS": True})


def run(environ=os.environ) -> None:
    Server(options(environ)).run()
