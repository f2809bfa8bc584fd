"""Web protections: CSRF on every state change (htmx included), headers, cookies, other organisations' data."""

import pytest

from core.accounts.models import Organisation


def test_a_post_without_csrf_token_is_refused_with_a_clear_message(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    response = client.post("/cabinet/profile", data={"first_name": "X"}, csrf=False)
    assert response.status_code == 400
    assert "Срок действия формы истёк" in response.get_data(as_text=True)


def test_login_itself_needs_a_csrf_token(client, make):
    make.user(email="a@example.kz")
    response = client.post(
        "/login", data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"}, csrf=False
    )
    assert response.status_code == 400


def test_htmx_requests_carry_the_token_in_a_header(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    page = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    token = client.csrf_token()
    response = client.post(
        "/cabinet/notifications/read-all", csrf=False, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 302


def test_every_post_route_is_csrf_protected(app, client, auth, make):
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) > 15
    for rule in posts:
        if app.view_functions[rule.endpoint].access.who == "token":
            continue  # machine API: a bearer token, no cookie, so no CSRF (tests/plugins/subscription/test_api.py)
        url = rule.rule.replace("<int:", "<").replace("<token>", "tok")
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "1")
        response = client.post(url, data={}, csrf=False)
        assert response.status_code == 400, f"{rule.rule} accepted a POST without a CSRF token"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    https = client.get("/login", base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_scripts_or_styles(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    for path in ("/login", "/", "/procedures", "/partnerships", "/cabinet/profile", "/regulations"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and "onclick" not in html, path


def test_session_cookie_is_httponly_samesite_and_secure_on_https(app_config, make):
    from core import create_app

    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    make.user(email="a@example.kz")
    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    response = client.post("/login", data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_https_base_url_turns_secure_cookies_on():
    from core.config import from_environment

    config = from_environment(
        "/tmp/is2in-test-instance", {"IS2IN_BASE_URL": "https://is2in.kase.kz", "IS2IN_SECRET_KEY": "x"}
    )
    assert config["SESSION_COOKIE_SECURE"] is True


def test_secret_key_is_generated_once_and_kept(tmp_path):
    from core.config import from_environment

    first = from_environment(tmp_path, {})["SECRET_KEY"]
    assert len(first) == 64 and from_environment(tmp_path, {})["SECRET_KEY"] == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "path",
    [
        "/procedures",
        "/users",
        "/partnerships",
        "/applications",
        "/archive",
        "/questionnaires",
        "/regulations",
        "/insiders",
        "/cabinet/profile",
        "/cabinet/notifications",
    ],
)
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_another_organisations_admin_page_is_refused(client, auth, make):
    org = make.org()
    make.user(org, email="a@example.kz", is_org_admin=True)
    other = make.org()
    auth.login("a@example.kz")
    assert client.get(f"/staff/organisations/{other.id}").status_code == 403
    assert client.get("/staff/organisations/999999").status_code == 403


def test_unknown_pages_get_a_russian_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Страница не найдена." in response.get_data(as_text=True)


def test_staff_cannot_use_client_tabs(client, auth, make):
    make.staff("listing", email="l@kase.kz")
    auth.login("l@kase.kz")
    assert client.get("/procedures").status_code == 403
    assert Organisation.exchange().is_exchange


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(app_config, make):
    from core import create_app
    from core.accounts.models import UserSession
    from tests.conftest import Client

    app = create_app({**app_config, "PROXY_COUNT": 1})
    app.test_client_class = Client
    make.user(email="a@example.kz")
    client = app.test_client()
    client.post(
        "/login",
        data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert UserSession.get().ip == "203.0.113.7"


def test_set_password_link_can_be_made_outside_a_request(app, make, mailbox):
    from core.accounts.service import send_password_link

    user = make.user(email="cli@example.kz")
    with app.app_context():
        send_password_link(user, purpose="set")
    assert "http://localhost/password/set/" in mailbox.body(mailbox.wait_for("cli@example.kz")[0])


def test_hsts_ignores_a_raw_forwarded_proto_when_no_proxy_is_configured(client):
    """A client can write X-Forwarded-Proto itself; with no proxy count it is not the request's scheme."""
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_follows_the_forwarded_proto_behind_a_configured_proxy(app_config):
    from core import create_app
    from tests.conftest import Client

    app = create_app({**app_config, "PROXY_COUNT": 1})
    app.test_client_class = Client
    client = app.test_client()
    forwarded = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_the_in_process_rate_limit_storage_counts_as_limits_own_without_a_thread_a_hit(monkeypatch):
    """Issue #20: without Redis the limits are counted by core.security.SweptMemoryStorage: a fixed window's
    counter and a moving window's entries as limits' MemoryStorage keeps them, their expired keys swept at most
    once a second by the counting call, never by a timer thread started on a hit."""
    import threading

    from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    from core.security import SweptMemoryStorage

    storage = storage_from_string("is2in-memory://")
    assert type(storage) is SweptMemoryStorage
    started = []
    monkeypatch.setattr(threading.Timer, "start", lambda timer: started.append(timer))
    fixed, moving = FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)
    per_minute = RateLimitItemPerMinute(3)
    assert [fixed.hit(per_minute, "token-a") for _ in range(4)] == [True, True, True, False]
    assert fixed.hit(per_minute, "token-b")  # each key its own count
    assert [moving.hit(per_minute, "ip") for _ in range(4)] == [True, True, True, False]
    assert started == []
    clock = {"now": 1000.0}
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock["now"])
    per_second = RateLimitItemPerSecond(1)
    assert fixed.hit(per_second, "short") and not fixed.hit(per_second, "short")
    clock["now"] += 1.5  # the window passed: counted afresh, whether or not a sweep ran
    assert fixed.hit(per_second, "short")
    assert any("short" in key for key in storage.storage)
    storage._next_sweep = 0  # the next counting call sweeps
    clock["now"] += 1.5
    assert fixed.hit(RateLimitItemPerMinute(5), "other")
    assert not any("short" in key for key in storage.storage)  # expired, swept
    assert started == []


def test_the_read_only_apis_limit_still_answers_429_and_pages_skip_the_limiters_middleware(
    app, client, auth, make, monkeypatch
):
    from core.security import limiter

    resolved = []
    real = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", lambda *a, **k: resolved.append(a[1]) or real(*a, **k))
    app.config["API_RATE_LIMIT"] = "2 per minute"
    codes = [client.get("/api/v1/applications").status_code for _ in range(3)]
    assert codes == [401, 401, 429]  # the blueprint's limit, per caller, checked before the view
    assert resolved and all(endpoint.startswith("integrations_api.") for endpoint in resolved)
    resolved.clear()
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    assert client.get("/procedures").status_code == 200
    assert resolved == [] or all(endpoint == "auth.login" for endpoint in resolved)  # the login's own decorator
