"""Every route of the app (plugins included) against every kind of user: the answer matches the route's
declared rule, no route answers 500, and a route without a declaration fails this test."""

import json
import re
from pathlib import Path

from werkzeug.routing import IntegerConverter

from core.access import Rule

ROOT = Path(__file__).resolve().parents[2]

# (label, e-mail or None, how to make the user: organisation roles, flags, staff departments)
ROLES = [
    ("anonymous", None, None),
    ("issuer", "issuer@demo.kz", None),
    ("first head", "ceo@demo.kz", None),
    ("consultant", "broker@demo.kz", None),
    ("auditor", "auditor@demo.kz", None),
    ("candidate", "candidate@demo.kz", None),
    ("member", "buyer1@demo.kz", None),
    ("central depository", "csd@demo.kz", None),
    ("control user", "control@demo.kz", None),
    ("other organisation", "outsider@example.kz", {"roles": ("issuer",)}),
    ("partner not assigned", "partner@example.kz", {"roles": ("consultant",)}),
    ("listing", "listing@exchange.demo", None),
    ("office", "office@exchange.demo", None),
    ("trading", "trading@exchange.demo", None),
    ("board", "board@exchange.demo", None),
    ("monitoring", "monitoring@exchange.demo", None),
    ("auditors", "auditors@exchange.demo", None),
    ("admin", "admin@exchange.demo", None),
]


def _url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        number = isinstance(rule._converters[arg], IntegerConverter)
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", "999999" if number else "nothing", url)
    return url


def _expected(access: Rule, user) -> str:
    if access.who == "public":
        return "open"
    if access.who == "token":
        return "token"
    if user is None:
        return "login"
    return "open" if access.allows(user) else "refused"


def test_every_route_for_every_role(app, client, auth, demo, make):
    from core.accounts.models import User

    for _label, email, extra in ROLES:
        if extra and User.by_email(email) is None:
            make.user(make.org(roles=extra["roles"]), email=email)
    routes = [r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static")]
    undeclared = [r.rule for r in routes if getattr(app.view_functions[r.endpoint], "access", None) is None]
    assert undeclared == [], f"routes without a declared access rule: {undeclared}"

    checked, failures = 0, []
    for label, email, _extra in ROLES:
        with client.session_transaction() as sess:
            sess.clear()
        user = None
        if email:
            response = auth.login(email)
            assert response.status_code == 302, (label, response.status_code)
            user = User.by_email(email)
            user.session = None
        for rule in routes:
            access = app.view_functions[rule.endpoint].access
            with app.test_request_context():
                expected = _expected(access, user)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if rule.endpoint in ("auth.logout",) or (method == "POST" and rule.endpoint == "auth.login"):
                    continue  # would end the session under test; covered by the auth tests
                url = _url(rule)
                data = {"csrf_token": client.csrf_token()} if method != "GET" else None
                response = client.open(url, method=method, data=data, headers={"Accept": "text/html"})
                status = response.status_code
                checked += 1
                if status >= 500:
                    failures.append((label, method, rule.rule, status, "server error"))
                elif expected == "login" and not (
                    status == 302 and "/login" in response.headers.get("Location", "") or status == 401
                ):
                    failures.append((label, method, rule.rule, status, "should ask to sign in"))
                elif expected == "token" and status != 401:
                    failures.append((label, method, rule.rule, status, "an API route wants its token"))
                elif expected == "refused" and status not in (403, 404):
                    failures.append((label, method, rule.rule, status, "should be refused"))
                elif expected == "open" and status == 403 and method == "GET" and "999999" not in url:
                    failures.append((label, method, rule.rule, status, "should be open"))
        if email:
            auth.logout()
    report = ROOT / "test-artifacts" / "access_matrix.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(
        json.dumps(
            {"routes": len(routes), "roles": len(ROLES), "requests": checked, "failures": len(failures)}, indent=2
        )
    )
    assert not failures, "\n".join(map(str, failures[:40]))
    assert checked > len(routes) * len(ROLES) * 0.9
