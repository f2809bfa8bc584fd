"""Bearer tokens of the machine APIs (the subscription plugin's order API, the core's read-only API): shown
once when made, kept only as their SHA-256, read from the ``Authorization: Bearer`` header."""

import hashlib
import secrets

from flask import request


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token is 256 random bits, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new(prefix: str) -> str:
    """A new token, its prefix saying what it opens (a leaked one is recognisable in logs and scans)."""
    return prefix + secrets.token_urlsafe(32)


def bearer() -> str | None:
    """The request's bearer token, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
