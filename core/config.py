"""Configuration from IS2IN_* environment variables, with defaults safe for a one-machine try-out."""

import os
import secrets
from pathlib import Path

from core.clock import checked_zone_name, zone_name


def _secret_key(instance_path: Path, name: str = "secret_key") -> str:
    # A key generated once and kept beside the database survives restarts, so sessions and
    # one-time links stay valid; production sets IS2IN_SECRET_KEY instead.
    key_file = instance_path / name
    if key_file.exists():
        if key_file.stat().st_mode & 0o077:
            key_file.chmod(0o600)  # readable by its owner only, whatever copied it here
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _positive(environ, name: str, default: int) -> int:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of days, at least 1")
    return int(value)


def from_environment(instance_path: str | os.PathLike, environ=os.environ) -> dict:
    """Return the Flask config mapping for this process."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    data_dir = Path(environ.get("IS2IN_DATA_DIR") or instance / "data")
    timezone = checked_zone_name(zone_name(environ))
    base_url = environ.get("IS2IN_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = base_url.startswith("https://")
    return {
        "DATABASE_URL": environ.get("IS2IN_DATABASE_URL") or f"sqlite:///{instance / 'is2in.db'}",
        "SECRET_KEY": environ.get("IS2IN_SECRET_KEY") or _secret_key(instance),
        "SMTP_URL": environ.get("IS2IN_SMTP_URL") or None,
        "MAIL_FROM": environ.get("IS2IN_MAIL_FROM", "is2in <no-reply@is2in.kase.kz>"),
        "BASE_URL": base_url,
        "DATA_DIR": str(data_dir),
        # Root and intermediate certificates (PEM/DER) the Exchange trusts for e-signatures.
        "TRUST_DIR": environ.get("IS2IN_TRUST_DIR") or str(instance / "trust"),
        # The Exchange's seal (PKCS#12) for PAdES signatures of signed copies and letters; see docs/operations.md.
        "SEAL_P12": environ.get("IS2IN_SEAL_P12") or str(instance / "seal" / "seal.p12"),
        "SEAL_PASSWORD": environ.get("IS2IN_SEAL_PASSWORD", ""),
        # NCANode-style service that verifies GOST 34.310 signatures (unset: such keys are not accepted yet).
        "GOST_VERIFIER_URL": (environ.get("IS2IN_GOST_VERIFIER_URL") or "").rstrip("/") or None,
        "NCALAYER_URL": environ.get("IS2IN_NCALAYER_URL", "wss://127.0.0.1:13579"),
        "REVOCATION_TIMEOUT": float(environ.get("IS2IN_REVOCATION_TIMEOUT", "10")),
        # CRLs (DER or PEM, *.crl) the operator supplies as revocation evidence for certificates that name no
        # CRL or OCSP source; without evidence for every certificate of its path a signature is refused
        # unless IS2IN_REVOCATION_REQUIRED=0. See docs/security.md, Verification policy.
        "CRL_DIR": environ.get("IS2IN_CRL_DIR") or str(instance / "crl"),
        "REVOCATION_REQUIRED": environ.get("IS2IN_REVOCATION_REQUIRED", "1").strip().lower()
        not in ("0", "no", "false"),
        # How far in the future a signature's claimed signing time may be, in seconds.
        "SIGNING_TIME_SKEW": int(environ.get("IS2IN_SIGNING_TIME_SKEW", "300")),
        # SHA-256 fingerprints (hex, colons allowed, comma-separated) of further certificates that count as the
        # Exchange's seal besides the one in IS2IN_SEAL_P12 (earlier seals, after a rotation).
        "SEAL_CERT_SHA256": [
            fp.replace(":", "").strip().lower()
            for fp in environ.get("IS2IN_SEAL_CERT_SHA256", "").split(",")
            if fp.strip()
        ],
        "REDIS_URL": environ.get("IS2IN_REDIS_URL") or None,
        "DISABLED_PLUGINS": [
            name.strip() for name in environ.get("IS2IN_DISABLED_PLUGINS", "").split(",") if name.strip()
        ],
        "MAX_CONTENT_LENGTH": int(environ.get("IS2IN_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # Idle timeout: the session dies after this many minutes without a request. Its cookie is renewed
        # by requests at most once a minute (core.security.IdleSessionInterface), as its server row is.
        "PERMANENT_SESSION_LIFETIME": int(environ.get("IS2IN_IDLE_MINUTES", "30")) * 60,
        "SESSION_REFRESH_EACH_REQUEST": True,
        # without Redis, each process counts in its own memory (core.security.SweptMemoryStorage)
        "RATELIMIT_STORAGE_URI": environ.get("IS2IN_REDIS_URL") or "is2in-memory://",
        "LOGIN_RATE_LIMIT": environ.get("IS2IN_LOGIN_RATE_LIMIT", "20 per minute"),
        # The second factor (TOTP): required for Exchange staff and first heads unless switched off;
        # how long "remember this device" lasts (0: never remember); the key its secrets are encrypted
        # with (unset: derived from IS2IN_SECRET_KEY). See docs/security.md, Multi-factor sign-in.
        "MFA_REQUIRED": environ.get("IS2IN_MFA_REQUIRED", "1") not in ("0", "false", "no"),
        "MFA_REMEMBER_DAYS": int(environ.get("IS2IN_MFA_REMEMBER_DAYS", "30")),
        "MFA_KEY": environ.get("IS2IN_MFA_KEY") or None,
        # Every client organisation's admin confirms its active users this often (core/confirmation);
        # the admins are reminded 30, 7 and 1 days before, the users not confirmed in time are suspended.
        "USER_CONFIRMATION_DAYS": _positive(environ, "IS2IN_USER_CONFIRMATION_DAYS", 365),
        "BABEL_DEFAULT_LOCALE": "ru",
        # The Exchange's clock (core.clock): every date a person reads or a rule counts is taken in this zone;
        # instants are stored in UTC. Pages (Flask-Babel) show times in the same zone.
        "TIMEZONE": timezone,
        "BABEL_DEFAULT_TIMEZONE": timezone,
        "LANGUAGES": {"ru": "Рус", "kk": "Қаз", "en": "Eng"},
        "TASKS_IMMEDIATE": False,
        # Webhooks go only to https URLs whose every address is public (docs/webhooks.md). 1 lifts both checks,
        # for a receiver on this machine in development or tests only; never in production.
        "WEBHOOK_ALLOW_PRIVATE": environ.get("IS2IN_WEBHOOK_ALLOW_PRIVATE", "0").strip().lower()
        in ("1", "true", "yes"),
        # Seconds a webhook delivery waits to connect and for the answer.
        "WEBHOOK_TIMEOUT": float(environ.get("IS2IN_WEBHOOK_TIMEOUT", "10")),
        # A mail claimed for sending this long ago lost its worker: the sweep queues it again.
        "MAIL_STALE_MINUTES": float(environ.get("IS2IN_MAIL_STALE_MINUTES", "10")),
        "JSON_LOGS": environ.get("IS2IN_JSON_LOGS", "0") in ("1", "true", "yes"),
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto/-Host.
        "PROXY_COUNT": int(environ.get("IS2IN_PROXY_COUNT", "0")),
        # The audit chain's HMAC key: outside the database, so a database writer cannot recompute the chain.
        # Every app server and worker of one installation needs the same key (docs/operations.md).
        "AUDIT_KEY": environ.get("IS2IN_AUDIT_KEY") or _secret_key(instance, "audit_key"),
        # Where the chain's head is anchored (append-only; best on another machine or a WORM mount).
        "AUDIT_ANCHOR_FILE": environ.get("IS2IN_AUDIT_ANCHOR_FILE") or str(instance / "audit_anchors.log"),
        "AUDIT_ANCHOR_MINUTES": int(environ.get("IS2IN_AUDIT_ANCHOR_MINUTES", "60")),
    }
