"""/healthz (the process answers) and /readyz (its database, queue and file store answer)."""

import os
import tempfile

from flask import Blueprint, current_app, jsonify

from core.access import public
from core.db import db

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@public
def healthz():
    return jsonify(status="ok")


def _check_database():
    db.execute_sql("SELECT 1").fetchone()


def _check_queue():
    huey = current_app.extensions["huey"]
    huey.storage.queue_size()


def _check_storage():
    directory = current_app.config["DATA_DIR"]
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".ready-"):
        pass


@bp.route("/readyz")
@public
def readyz():
    checks = {}
    for name, check in (("database", _check_database), ("queue", _check_queue), ("storage", _check_storage)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
            current_app.logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
