"""Web protections every response gets: CSRF on state changes, security headers, rate limits."""

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

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
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app) -> None:
    csrf.init_app(app)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    limiter.init_app(app)
    app.after_request(security_headers)
