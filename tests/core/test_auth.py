"""Signing in and out, the password rule and its expiry, one-time links (G-4, G-8.2, G-8.3)."""

import datetime
import re

import pytest

from core.accounts.models import PasswordToken, User, UserSession
from core.audit.models import AuditEvent
from core.auth.passwords import problems, verify_password
from core.db import utcnow


@pytest.mark.rule("G-4")
def test_login_needs_the_user_agreement(client, make):
    make.user(email="a@example.kz")
    response = client.post("/login", data={"email": "a@example.kz", "password": "Demo!2345"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "подтвердите, что ознакомились с пользовательским соглашением" in html
    assert client.get("/procedures").status_code == 302  # still signed out


@pytest.mark.rule("G-4")
def test_login_with_email_and_password_opens_the_cabinet(client, auth, make):
    make.user(email="a@example.kz")
    response = auth.login("A@Example.kz ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Уведомления" in client.get("/").get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "login").count() == 1


REFUSED = "Неверный адрес электронной почты или пароль."


def _refusal(response, email):
    """The page without what differs by design: the CSRF token and the address the person typed."""
    html = re.sub(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", "TOKEN", response.get_data(as_text=True))
    return response.status_code, html.replace(email, "EMAIL")


@pytest.mark.rule("G-4")
@pytest.mark.parametrize("case", ["wrong password", "locked, right password", "no password yet", "switched off"])
def test_a_refused_sign_in_does_not_tell_whether_the_account_exists(client, auth, make, case):
    """An outsider compares the answer for a real address with that for an unknown one: the same status,
    the same page, no attempts counter, no "locked" or "no password" wording."""
    user = make.user(email="real@example.kz", password=None if case == "no password yet" else "Demo!2345")
    if case == "locked, right password":
        User.update(locked_until=utcnow() + datetime.timedelta(minutes=10)).where(User.id == user.id).execute()
    if case == "switched off":
        User.update(is_active=False).where(User.id == user.id).execute()
    password = "Wrong!234" if case == "wrong password" else "Demo!2345"
    real = auth.login("real@example.kz", password)
    unknown = auth.login("nobody@example.kz", password)
    assert real.status_code == unknown.status_code == 401
    assert _refusal(real, "real@example.kz") == _refusal(unknown, "nobody@example.kz")
    html = real.get_data(as_text=True)
    assert REFUSED in html
    assert "Осталось попыток" not in html and "заблокирован" not in html and "не задан" not in html


@pytest.mark.parametrize("case", ["unknown", "wrong password", "locked", "no password yet"])
def test_every_refused_sign_in_costs_one_argon2_verification(client, auth, make, monkeypatch, case):
    """Same work, so the same time: an unknown address is checked against a decoy hash, a locked account's
    password is still checked. (Counting verifications, not seconds: the machine's noise would hide a
    difference a timing test looks for.)"""
    from core.auth import passwords

    real_hasher = passwords._hasher

    class Counting:
        calls = 0

        def __getattr__(self, name):
            return getattr(real_hasher, name)

        def verify(self, hashed, password):
            Counting.calls += 1
            return real_hasher.verify(hashed, password)

    user = make.user(email="real@example.kz", password=None if case == "no password yet" else "Demo!2345")
    if case == "locked":
        User.update(locked_until=utcnow() + datetime.timedelta(minutes=10)).where(User.id == user.id).execute()
    monkeypatch.setattr(passwords, "_hasher", Counting())
    email = "nobody@example.kz" if case == "unknown" else "real@example.kz"
    assert auth.login(email, "Wrong!234" if case == "wrong password" else "Demo!2345").status_code == 401
    assert Counting.calls == 1


@pytest.mark.rule("G-4")
def test_first_login_recommends_a_password_change(client, auth, make):
    make.user(email="new@example.kz", last_login_at=None)
    response = auth.login("new@example.kz")
    assert response.headers["Location"] == "/cabinet/profile"
    page = client.get("/cabinet/profile").get_data(as_text=True)
    assert "Рекомендуем сменить пароль" in page
    # Only a recommendation: the rest of the system is open.
    assert client.get("/procedures").status_code == 200


def test_five_wrong_passwords_lock_the_account_for_15_minutes_and_mail_the_owner(client, auth, make, mailbox):
    user = make.user(email="a@example.kz")
    for _ in range(4):
        auth.login("a@example.kz", "Wrong!234")
    assert mailbox.to("a@example.kz") == []
    fifth = auth.login("a@example.kz", "Wrong!234")
    assert fifth.status_code == 401 and REFUSED in fifth.get_data(as_text=True)
    again = auth.login("a@example.kz")  # the right password, but locked: the same refusal
    assert again.status_code == 401 and _refusal(again, "a@example.kz") == _refusal(fifth, "a@example.kz")
    locked_until = User.get_by_id(user.id).locked_until
    assert datetime.timedelta(minutes=14) < locked_until - utcnow() <= datetime.timedelta(minutes=15)
    (mail,) = mailbox.wait_for("a@example.kz")
    body = mailbox.body(mail)
    assert "заблокирован" in mail["Subject"] + body and "5 неудачных попыток" in body
    assert "http://localhost/password/forgot" in body
    assert AuditEvent.select().where(AuditEvent.action == "login.locked").count() == 1
    User.update(locked_until=utcnow() - datetime.timedelta(seconds=1)).where(User.id == user.id).execute()
    assert auth.login("a@example.kz").status_code == 302


def test_logins_are_rate_limited_per_address(app, client, make):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make.user(email="a@example.kz")
    codes = [
        client.post("/login", data={"email": "x@example.kz", "password": "x", "agreement": "y"}).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
    assert "Слишком много попыток" in client.post(
        "/login", data={"email": "x@example.kz", "password": "x", "agreement": "y"}
    ).get_data(as_text=True)


@pytest.mark.rule("G-8.3")
def test_logout_ends_the_session_on_the_server(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert UserSession.select().where(UserSession.ended_at.is_null()).count() == 0
    with client.session_transaction() as sess:  # replaying the old cookie does not bring it back
        sess.update(stolen)
    assert client.get("/procedures").status_code == 302


def test_login_rotates_the_session(client, auth, make):
    make.user(email="a@example.kz")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login("a@example.kz")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_idle_sessions_expire(app, client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    UserSession.update(last_seen_at=utcnow() - datetime.timedelta(minutes=31)).execute()
    assert client.get("/procedures").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """The session cookie's clock (the signer's), moved by hand; the server's row is kept fresh by the test."""
    from itsdangerous import TimestampSigner

    now = {"t": int(utcnow().timestamp())}
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now["t"])
    return now


def _session_cookie_sent(response):
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def test_the_session_cookie_dies_after_30_idle_minutes_even_with_a_fresh_row(client, auth, make, clock):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    client.get("/procedures")
    clock["t"] += 31 * 60
    UserSession.update(last_seen_at=utcnow()).execute()
    assert client.get("/procedures").status_code == 302


def test_requests_keep_the_session_alive_its_cookie_re_signed_at_most_once_a_minute(client, auth, make, clock):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    client.get("/procedures")  # the first page may still write the session (its CSRF token)
    clock["t"] += 30
    response = client.get("/procedures")
    assert response.status_code == 200 and not _session_cookie_sent(response)  # signed 30 s ago: kept
    for _ in range(3):  # a request every 20 minutes for an hour: never idle for 30
        clock["t"] += 20 * 60
        UserSession.update(last_seen_at=utcnow()).execute()
        response = client.get("/procedures")
        assert response.status_code == 200 and _session_cookie_sent(response)
    clock["t"] += 29 * 60 + 30  # 29.5 idle minutes after the last re-signing: still alive
    UserSession.update(last_seen_at=utcnow()).execute()
    assert client.get("/procedures").status_code == 200
    clock["t"] += 31 * 60
    UserSession.update(last_seen_at=utcnow()).execute()
    assert client.get("/procedures").status_code == 302


@pytest.mark.rule("G-8.2")
@pytest.mark.parametrize(
    "password, broken",
    [
        ("Ab1!", ["не короче 8 символов"]),
        ("Abcdefgh1!xyz", ["не длиннее 12 символов"]),
        ("Abcdefgh!", ["хотя бы одна цифра"]),
        ("abcdefg1!", ["хотя бы одна заглавная буква"]),
        ("ABCDEFG1!", ["хотя бы одна строчная буква"]),
        ("Abcdefg12", ["хотя бы один специальный символ, например ! # % *"]),
        (
            "abc",
            [
                "не короче 8 символов",
                "хотя бы одна цифра",
                "хотя бы одна заглавная буква",
                "хотя бы один специальный символ, например ! # % *",
            ],
        ),
    ],
)
def test_password_rule_names_every_broken_condition(app, password, broken):
    with app.test_request_context():
        assert [str(p) for p in problems(password)] == broken


@pytest.mark.rule("G-8.2")
@pytest.mark.parametrize("password", ["Demo!2345", "Kz2024#abc", "Aa1!Aa1!", "Пароль1!ok"])
def test_good_passwords_pass_the_rule(app, password):
    with app.test_request_context():
        assert problems(password) == []


@pytest.mark.rule("G-8.2")
def test_expired_password_forces_a_change(client, auth, make):
    user = make.user(email="a@example.kz", password_changed_at=utcnow() - datetime.timedelta(days=61))
    response = auth.login("a@example.kz")
    assert response.headers["Location"] == "/password/change"
    for path in ("/", "/procedures", "/cabinet/profile", "/users"):
        assert client.get(path).headers["Location"] == "/password/change", path
    page = client.post(
        "/password/change", data={"old_password": "Demo!2345", "new_password": "short", "new_password_again": "short"}
    ).get_data(as_text=True)
    assert "не короче 8 символов" in page and "хотя бы одна цифра" in page
    response = client.post(
        "/password/change",
        data={"old_password": "Demo!2345", "new_password": "Newpass1!", "new_password_again": "Newpass1!"},
    )
    assert response.headers["Location"] == "/"
    assert client.get("/procedures").status_code == 200
    assert verify_password(User.get_by_id(user.id).password_hash, "Newpass1!")


@pytest.mark.rule("G-8.2")
def test_password_expires_after_60_days(make):
    user = make.user(password_changed_at=utcnow() - datetime.timedelta(days=59))
    assert not user.password_expired()
    user.password_changed_at = utcnow() - datetime.timedelta(days=60, minutes=1)
    assert user.password_expired()


def test_new_password_must_differ_from_the_old(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    page = client.post(
        "/password/change",
        data={"old_password": "Demo!2345", "new_password": "Demo!2345", "new_password_again": "Demo!2345"},
    )
    assert "Новый пароль должен отличаться от старого." in page.get_data(as_text=True)


def test_password_change_ends_other_sessions(app, client, auth, make):
    make.user(email="a@example.kz")
    other = app.test_client()
    other.post("/login", data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"})
    auth.login("a@example.kz")
    client.post(
        "/password/change",
        data={"old_password": "Demo!2345", "new_password": "Newpass1!", "new_password_again": "Newpass1!"},
    )
    assert client.get("/procedures").status_code == 200
    assert other.get("/procedures").status_code == 302


@pytest.mark.rule("G-3")
def test_one_time_link_sets_the_password_once(client, auth, make, mailbox):
    user = make.user(email="a@example.kz", password=None)
    with client.application.test_request_context():
        token = PasswordToken.issue(user)
    page = client.get(f"/password/set/{token}")
    assert page.status_code == 200 and "a@example.kz" in page.get_data(as_text=True)
    weak = client.post(f"/password/set/{token}", data={"new_password": "weak", "new_password_again": "weak"})
    assert "Пароль не отвечает требованиям" in weak.get_data(as_text=True)
    ok = client.post(f"/password/set/{token}", data={"new_password": "Newpass1!", "new_password_again": "Newpass1!"})
    assert ok.headers["Location"] == "/login"
    assert client.get(f"/password/set/{token}").status_code == 410
    assert auth.login("a@example.kz", "Newpass1!").status_code == 302


def test_expired_link_is_refused(client, make):
    user = make.user(password=None)
    token = PasswordToken.issue(user)
    PasswordToken.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    response = client.get(f"/password/set/{token}")
    assert response.status_code == 410
    assert "Ссылка недействительна" in response.get_data(as_text=True)


def test_forgot_password_mails_a_link_without_revealing_accounts(client, auth, make, mailbox):
    make.user(email="a@example.kz")
    known = client.post("/password/forgot", data={"email": "a@example.kz"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "b@example.kz"}, follow_redirects=True)
    message = "Если такой адрес зарегистрирован, на него отправлена ссылка для смены пароля."
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    mail = mailbox.wait_for("a@example.kz")[0]
    assert mailbox.to("b@example.kz") == []
    link = mailbox.link_in(mail)
    path = link.replace("http://localhost", "")
    client.post(path, data={"new_password": "Newpass1!", "new_password_again": "Newpass1!"})
    assert auth.login("a@example.kz", "Newpass1!").status_code == 302


def test_next_parameter_cannot_redirect_elsewhere(client, make):
    make.user(email="a@example.kz")
    response = client.post(
        "/login?next=https://evil.example/", data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/partnerships", data={"email": "a@example.kz", "password": "Demo!2345", "agreement": "y"}
    )
    assert response.headers["Location"] == "/partnerships"


def test_passwords_are_stored_with_argon2id(make):
    user = make.user()
    assert user.password_hash.startswith("$argon2id$")


def test_production_hashes_with_the_strong_argon2_profile(app_config):
    from core import create_app
    from core.auth import passwords

    create_app({**app_config, "FAST_PASSWORD_HASHING": False})
    try:
        assert "$m=65536,t=3,p=4$" in passwords.hash_password("Demo!2345")
    finally:
        passwords.use_fast_hashing(True)
