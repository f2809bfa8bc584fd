"""Web protections every response gets: CSRF on state changes, security headers, rate limits."""

import time

from flask import abort, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from limits.storage import MemoryStorage
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage (``is2in-memory://``, the default without Redis), its expired keys swept by
    the request that counts, at most once a second, instead of by a timer thread. limits' own (5.8) starts a
    thread, 10 ms long, on every hit when the last one has ended: on the order API, about every other request
    paid a thread's start and the wait for it to run (issue #20). What counts is unchanged: a fixed window's
    counter expires when read (``get``), a moving window compares its entries' times; the sweep only frees
    memory. Written by hand because limits offers no switch for its timer; the override is of its private
    ``__schedule_expiry`` (checked against the pinned limits), which every counting call makes."""

    STORAGE_SCHEME = ["is2in-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the name limits' own calls resolve to
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def rate_limit(limit, **options):
    """A plugin's rate limit on a view or a blueprint (``core.rate_limit("60 per minute", key_func=...)``): the
    core's limiter, whose storage the app configures, without the plugin holding the limiter itself."""
    return limiter.limit(limit, **options)


def csrf_exempt(view_or_blueprint):
    """Leave a view or a blueprint out of CSRF checks: only for routes no cookie authenticates (bearer tokens)."""
    return csrf.exempt(view_or_blueprint)


# No inline scripts or styles anywhere, so the policy can stay strict. connect-src adds NCALayer on the user's
# machine (signing with an NCA key) and the KAZTOKEN HTTP API that ncalayer-js-client probes for.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' wss://127.0.0.1:13579 https://127.0.0.1:24680; "
    "form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def security_headers(response):
    headers = response.headers
    csp = CSP
    ncalayer = current_app.config.get("NCALAYER_URL") or ""
    if ncalayer and ncalayer not in csp:  # NCALayer somewhere else (a test's stand-in): allow exactly that
        csp = csp.replace("connect-src 'self'", f"connect-src 'self' {ncalayer}")
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Only the request's own scheme counts: behind a proxy, ProxyFix (IS2IN_PROXY_COUNT) or gunicorn's
    # forwarded_allow_ips has already made it the forwarded one. A raw X-Forwarded-Proto from anyone else
    # is a header the client wrote, and trusting it would tell browsers to pin HTTPS on a plain host.
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def refuse_nul():
    """before_request: a NUL character anywhere in what a request submits is refused (400). No field needs
    one, and PostgreSQL cannot store one in text: it would otherwise surface as a server error mid-save."""
    if "\x00" in request.path or any(_has_nul(values) for _key, values in request.args.lists()):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            # a JSON body has no form fields or files (werkzeug parses only form encodings): the API's every
            # request skips building them
            if _has_nul(request.get_json(silent=True)):
                abort(400)
            return
        if any(_has_nul(key) or _has_nul(values) for key, values in request.form.lists()):
            abort(400)
        if any(_has_nul(key) or _has_nul(f.filename or "") for key, f in request.files.items(multi=True)):
            abort(400)


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in URLs: an id a database integer holds. A longer number is simply not found (404); it
    would otherwise reach the query and fail there (PostgreSQL: integer out of range; SQLite: overflow)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class _IdleSession(SecureCookieSession):
    age = None  # seconds since the cookie was signed; None: no cookie came (or it did not verify)


class IdleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, whose signature's age is its idle timeout (``PERMANENT_SESSION_LIFETIME``, checked
    on every request as Flask checks it), re-signed at most once a minute rather than on every response.

    With ``SESSION_REFRESH_EACH_REQUEST`` Flask re-signs and re-sends the cookie on each response (a fifth of
    the per-request overhead outside the view, issue #20). The signed-in session's row on the server already
    moves its own idle deadline (``UserSession.last_seen_at``) at most once a minute; the cookie now moves on
    the same step, so the session still dies between 29 and 30 minutes after its last request and lives on
    while requests come. A session whose content changed is written at once, as before."""

    session_class = _IdleSession
    refresh_after = 60  # seconds

    def open_session(self, app, request):
        # Flask's own open_session, keeping the signature's timestamp, which Flask drops.
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        # the signer's own clock, the one its max_age is counted by
        session.age = serializer.make_signer().get_timestamp() - int(signed_at.timestamp())
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        age = getattr(session, "age", None)
        return age is None or age >= self.refresh_after


def _middleware_check_only_where_limited(app) -> None:
    """Flask-Limiter's before_request runs on every route; here it runs only where something it checks there is
    declared. Its check there covers the app-wide limits (application, default, meta: none are configured
    today; if any is, it runs everywhere as before) and a blueprint's limits (the API's, a plugin's through
    rate_limit); a view's own @limiter.limit is checked by its decorator whatever happens here. Resolving
    "nothing to check" cost ~0.2 ms on each page (issue #20). Hand-written because Flask-Limiter has no switch
    for it: its request_filter exempts the views' own limits too. The blueprint registry read is the
    limiter's; if a later Flask-Limiter lacks it, every request is checked, as before."""
    check = limiter._check_request_limit
    funcs = app.before_request_funcs.setdefault(None, [])
    if check not in funcs:
        return
    manager = limiter.limit_manager
    blueprint_limits = getattr(manager, "_blueprint_limits", None)
    hints = getattr(manager, "_endpoint_hints", None)

    def check_declared_limits():
        if (
            blueprint_limits is None
            or hints is None
            or manager.application_limits
            or manager.default_limits
            or getattr(limiter, "_meta_limits", True)
            or hints.get(request.endpoint or "")
            or any(name in blueprint_limits for name in (request.blueprint or "").split(".") if name)
        ):
            return check()
        return None

    funcs[funcs.index(check)] = check_declared_limits


def init_app(app) -> None:
    app.session_interface = IdleSessionInterface()
    app.url_map.converters["int"] = DatabaseIntConverter  # before any blueprint adds its rules
    csrf.init_app(app)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    limiter.init_app(app)
    _middleware_check_only_where_limited(app)
    app.before_request(refuse_nul)
    app.after_request(security_headers)
