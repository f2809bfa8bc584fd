"""Structured JSON logs, one object per line, each with the request id that also travels into the
task queue's jobs, so one user action can be followed across app servers and workers."""

import contextvars
import json
import logging
import time
import uuid

from flask import g, request

request_id = contextvars.ContextVar("request_id", default="")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key in ("method", "path", "status", "duration_ms", "user_id", "remote_addr", "task"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level=logging.INFO):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # pyHanko logs a full traceback for every refused signature; the refusal is already audited.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)


def init_app(app) -> None:
    log = logging.getLogger("is2in.request")

    @app.before_request
    def _start():
        rid = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        g.request_id = rid
        g.started = time.perf_counter()
        request_id.set(rid)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        from flask_login import current_user

        log.info(
            "request",
            extra={
                "method": request.method,
                # A one-time link's token is the addressee's secret: the log keeps the route, not the token.
                "path": request.url_rule.rule
                if request.url_rule is not None and "token" in request.url_rule.arguments
                else request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
                "user_id": getattr(current_user, "id", None)
                if getattr(current_user, "is_authenticated", False)
                else None,
                "remote_addr": request.remote_addr,
            },
        )
        return response
