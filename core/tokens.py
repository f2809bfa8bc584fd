"""Bearer tokens of the machine APIs (the subscription plugin's order API, the core's read-only API): shown
once when made, kept only as their SHA-256, read from the ``Authorization: Bearer`` header.

An API route declares how its token is read (``required``); Flask-Login's request loader (``load_user``)
reads it for that route only, so the API's caller is ``current_user`` like a page's, without a session:
pages sign in by their session cookie alone, and an API route never by a cookie."""

import hashlib
import secrets
from functools import wraps

from flask import current_app, request
from flask_login import current_user


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


def route_loader():
    """The token loader the matched route's view declares, or None: a page (or no route at all)."""
    endpoint = request.endpoint
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "token_loader", None)


def load_user(_request):
    """Flask-Login's request loader: on an API route, whom its bearer token acts for (the route's loader
    decides); elsewhere nobody, so a bearer token signs no page in and no session is ever made from one."""
    loader = route_loader()
    token = bearer() if loader is not None else None
    return loader(token) if token else None


def required(rule, loader, refusal):
    """An API route: ``rule`` declared for the route list (``core.access``), ``loader(token)`` naming the
    caller (or None), ``refusal()`` the route's answer when there is none (its 401)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return refusal()
            return view(*args, **kwargs)

        wrapped.access = rule
        wrapped.token_loader = loader
        return wrapped

    return decorator
