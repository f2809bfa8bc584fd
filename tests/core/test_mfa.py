"""The second factor of signing in (TOTP), attacked as someone holding only the password, a used code,
a stolen "remember me" cookie or a lost phone would. Enforcement is on here, as in production."""

import re
import time

import pyotp
import pytest

from core.accounts.models import User, UserSession
from core.audit.models import AuditEvent
from core.auth.mfa.models import RecoveryCode, UserMfa

PASSWORD = "Demo!2345"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MFA_REQUIRED": True, "MFA_REMEMBER_DAYS": 30}


class Clock:
    """The server's and the phone's clock: a code works once, so a test that uses a second code waits
    for the next 30-second step the way a person does, by moving this clock on."""

    def __init__(self):
        self.offset = 0

    def time(self):
        return time.time() + self.offset

    def later(self, seconds=30):
        self.offset += seconds


CLOCK = Clock()


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    from core.auth import mfa

    CLOCK.offset = 0
    monkeypatch.setattr(mfa, "time", CLOCK)
    return CLOCK


def code(secret, offset=0):
    """What the phone shows now (offset -1: the step before, +1: the next)."""
    return pyotp.TOTP(secret).at(CLOCK.time(), counter_offset=offset)


def enrol(client):
    """Open the setup page, read the secret shown as text, confirm with a code; returns (secret, codes)."""
    page = client.get("/cabinet/security/setup").get_data(as_text=True)
    secret = re.search(r'id="mfa-secret" data-secret>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/cabinet/security/setup", data={"code": code(secret)})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", response.get_data(as_text=True))
    return secret, codes


def sign_in_with_code(client, auth, email, secret, remember=False):
    """Password, then the code, half a minute after the last code was used."""
    CLOCK.later()
    assert auth.login(email).headers["Location"] == "/login/code"
    data = {"code": code(secret)}
    if remember:
        data["remember"] = "y"
    return client.post("/login/code", data=data)


def signed_in(client) -> bool:
    return client.get("/cabinet/profile").status_code == 200


@pytest.mark.parametrize("who", ["staff", "first head"])
def test_staff_and_first_heads_must_set_up_a_second_factor_before_anything_else(client, auth, make, mailbox, who):
    user = make.staff("listing") if who == "staff" else make.user(is_first_head=True)
    response = auth.login(user.email)
    assert response.headers["Location"] == "/cabinet/security/setup"
    # Every other page sends them back to the setup until it is done.
    for path in ("/", "/notifications", "/cabinet/profile"):
        assert client.get(path).headers["Location"] == "/cabinet/security/setup", path

    page = client.get("/cabinet/security/setup")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert re.search(r'<svg [^>]*class="qr-code"', html) and "обязателен" in html
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    assert len(secret) == 32  # 160 bits

    wrong = client.post("/cabinet/security/setup", data={"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 422 and "Код не подошёл" in wrong.get_data(as_text=True)
    assert client.get("/cabinet/profile").headers["Location"] == "/cabinet/security/setup"

    done = client.post("/cabinet/security/setup", data={"code": code(secret)})
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client)

    # The secret is stored encrypted, the codes hashed, and neither is ever shown again.
    row = UserMfa.get(UserMfa.user == user.id)
    assert row.confirmed_at is not None and secret not in row.secret
    assert {r.code_hash for r in RecoveryCode.select()}.isdisjoint(codes)
    assert client.get("/cabinet/security/setup").headers["Location"] == "/cabinet/security"
    settings = client.get("/cabinet/security").get_data(as_text=True)
    assert secret not in settings.replace(" ", "")
    assert not any(c in settings for c in codes)
    assert AuditEvent.select().where(AuditEvent.action == "mfa.enrol").count() == 1
    (mail,) = mailbox.wait_for(user.email)
    assert "второй фактор" in mailbox.body(mail)


def test_other_users_are_not_asked_until_they_switch_it_on_and_off_again(client, auth, make, mailbox):
    user = make.user(email="clerk@example.kz")
    assert auth.login(user.email).headers["Location"] == "/"
    assert "Не включён" in client.get("/cabinet/security").get_data(as_text=True)
    secret, _codes = enrol(client)
    auth.logout()

    assert sign_in_with_code(client, auth, user.email, secret).headers["Location"] == "/"
    # Switching it off needs a code too: an open session left on a shared computer cannot do it.
    refused = client.post("/cabinet/security/disable", data={"code": "12345"})
    assert refused.headers["Location"] == "/cabinet/security" and UserMfa.get(UserMfa.user == user.id).enrolled
    CLOCK.later()
    client.post("/cabinet/security/disable", data={"code": code(secret)})
    assert not UserMfa.get(UserMfa.user == user.id).enrolled
    assert RecoveryCode.select().count() == 0
    assert "отключён" in mailbox.body(mailbox.wait_for(user.email, count=2)[-1])
    auth.logout()
    assert auth.login(user.email).headers["Location"] == "/"


def test_codes_posted_where_there_is_no_factor_change_nothing(client, auth, make):
    """Guessing at the factor's forms of an account without one neither writes nor locks anything."""
    user = make.user(email="clerk@example.kz")
    auth.login(user.email)
    for _ in range(6):
        assert client.post("/cabinet/security/disable", data={"code": "123456"}).status_code == 302
        assert client.post("/cabinet/security/recovery-codes", data={"code": "123456"}).status_code == 302
    # A code for a key never shown: back to the page that shows one.
    assert client.post("/cabinet/security/setup", data={"code": "123456"}).headers["Location"] == (
        "/cabinet/security/setup"
    )
    assert UserMfa.select().count() == 0 and not User.get_by_id(user.id).is_locked()
    assert signed_in(client)


def test_the_password_alone_does_not_sign_in(client, auth, make):
    user = make.staff("office")
    auth.login(user.email)
    secret, _codes = enrol(client)
    auth.logout()

    CLOCK.later()
    assert auth.login(user.email).headers["Location"] == "/login/code"
    assert not signed_in(client)  # between the password and the code nothing is open
    assert UserSession.select().where(UserSession.ended_at.is_null()).count() == 0
    page = client.get("/login/code").get_data(as_text=True)
    assert "Код подтверждения" in page
    wrong = client.post("/login/code", data={"code": "123456" if code(secret) != "123456" else "654321"})
    assert wrong.status_code == 401 and "Неверный код" in wrong.get_data(as_text=True)
    assert not signed_in(client)

    ok = client.post("/login/code", data={"code": code(secret)})
    assert ok.headers["Location"] == "/" and signed_in(client)
    login = AuditEvent.select().where(AuditEvent.action == "login").order_by(AuditEvent.id.desc()).first()
    assert '"method": "totp"' in login.details


def test_a_code_works_once(client, auth, make, app):
    user = make.staff("office")
    auth.login(user.email)
    secret, _codes = enrol(client)
    auth.logout()
    assert sign_in_with_code(client, auth, user.email, secret).headers["Location"] == "/"
    used = code(secret)
    auth.logout()

    # Someone who watched the code being typed replays it within its 30 seconds.
    auth.login(user.email)
    replay = client.post("/login/code", data={"code": used})
    assert replay.status_code == 401 and not signed_in(client)
    # So is an older one (the enrolment's code, of the step before).
    assert client.post("/login/code", data={"code": code(secret, -1)}).status_code == 401
    CLOCK.later()
    assert client.post("/login/code", data={"code": code(secret)}).headers["Location"] == "/"


def test_five_wrong_codes_lock_the_account_and_mail_the_owner(client, auth, make, mailbox):
    user = make.staff("listing")
    auth.login(user.email)
    secret, _codes = enrol(client)
    auth.logout()
    mailbox.clear()

    CLOCK.later()
    auth.login(user.email)
    wrong = "000000" if code(secret) != "000000" else "999999"
    for _ in range(4):
        assert client.post("/login/code", data={"code": wrong}).status_code == 401
    fifth = client.post("/login/code", data={"code": wrong})
    assert fifth.headers["Location"] == "/login"
    assert User.get_by_id(user.id).is_locked()
    # The pending sign-in is gone: the right code no longer helps, nor does the password now.
    assert client.post("/login/code", data={"code": code(secret)}).headers["Location"] == "/login"
    assert auth.login(user.email).status_code == 401
    (mail,) = mailbox.wait_for(user.email)
    assert "неверный код подтверждения" in mailbox.body(mail)
    assert AuditEvent.select().where(AuditEvent.action == "mfa.failed").count() == 5
    assert AuditEvent.select().where(AuditEvent.action == "login.locked").count() == 1


def test_guessing_codes_in_an_open_session_locks_the_account_and_ends_the_session(client, auth, make, mailbox):
    """Someone at a computer left signed in tries to switch the factor off without the phone."""
    user = make.user(email="clerk@example.kz")
    auth.login(user.email)
    secret, _codes = enrol(client)
    wrong = "000000" if code(secret) != "000000" else "999999"
    for _ in range(5):
        client.post("/cabinet/security/disable", data={"code": wrong})
    assert UserMfa.get(UserMfa.user == user.id).enrolled
    assert User.get_by_id(user.id).is_locked() and not signed_in(client)
    assert "неверный код подтверждения" in mailbox.body(mailbox.wait_for(user.email, count=2)[-1])


def test_code_entry_is_rate_limited(app, client, auth, make):
    user = make.staff("listing")
    auth.login(user.email)
    enrol(client)
    auth.logout()
    auth.login(user.email)
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    codes = [client.post("/login/code", data={"code": "000001"}).status_code for _ in range(4)]
    assert codes[3] == 429


def test_the_code_page_expires_after_five_minutes(client, auth, make):
    user = make.staff("listing")
    auth.login(user.email)
    secret, _codes = enrol(client)
    auth.logout()
    auth.login(user.email)
    with client.session_transaction() as sess:
        sess["mfa_pending"] = {**sess["mfa_pending"], "at": int(time.time()) - 301}
    CLOCK.later()
    assert client.post("/login/code", data={"code": code(secret)}).headers["Location"] == "/login"
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, auth, make):
    user = make.user(email="head@example.kz", is_first_head=True)
    auth.login(user.email)
    _secret, codes = enrol(client)
    auth.logout()

    auth.login(user.email)
    typed = codes[3].lower().replace("-", " ")  # read off paper: case and separators do not matter
    response = client.post("/login/code", data={"code": typed}, follow_redirects=True)
    assert "Осталось кодов: 9" in response.get_data(as_text=True) and signed_in(client)
    auth.logout()

    auth.login(user.email)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 401
    assert client.post("/login/code", data={"code": codes[4]}).headers["Location"] == "/"


def test_new_recovery_codes_replace_the_old_ones(client, auth, make):
    user = make.staff("listing")
    auth.login(user.email)
    secret, old = enrol(client)
    CLOCK.later()
    response = client.post("/cabinet/security/recovery-codes", data={"code": code(secret)})
    new = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login(user.email)
    assert client.post("/login/code", data={"code": old[0]}).status_code == 401
    assert client.post("/login/code", data={"code": new[0]}).headers["Location"] == "/"


def test_a_remembered_device_skips_the_code_until_the_devices_are_forgotten(app, client, auth, make):
    user = make.staff("listing")
    auth.login(user.email)
    secret, _codes = enrol(client)
    auth.logout()

    response = sign_in_with_code(client, auth, user.email, secret, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("is2in_device="))
    assert "HttpOnly" in cookie and "Max-Age=2592000" in cookie and "SameSite=Lax" in cookie
    auth.logout()
    assert auth.login(user.email).headers["Location"] == "/"  # the password alone, on this device
    # The cookie names its user: another account on the same browser still needs its code.
    other = make.staff("office")
    auth.logout()
    auth.login(other.email)
    other_secret, _ = enrol(client)
    auth.logout()
    assert auth.login(other.email).headers["Location"] == "/login/code"

    # A forged or edited cookie is worthless.
    value = client.get_cookie("is2in_device").value
    client.set_cookie("is2in_device", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert auth.login(user.email).headers["Location"] == "/login/code"

    # "Forget all devices" revokes the cookie it was given.
    client.set_cookie("is2in_device", value)
    with client.session_transaction() as sess:
        sess.clear()
    assert auth.login(user.email).headers["Location"] == "/"
    client.post("/cabinet/security/forget-devices")
    client.set_cookie("is2in_device", value)
    auth.logout()
    assert auth.login(user.email).headers["Location"] == "/login/code"


def test_a_remembered_device_is_forgotten_after_the_configured_days(app, client, auth, make, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from core.auth import mfa

    user = make.staff("listing")
    auth.login(user.email)
    enrol(client)
    auth.logout()
    with app.test_request_context():
        fresh = mfa.remember_value(user)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 31 * 86400)
        old = mfa.remember_value(user)
        monkeypatch.undo()
    client.set_cookie("is2in_device", old)
    assert auth.login(user.email).headers["Location"] == "/login/code"
    with client.session_transaction() as sess:
        sess.clear()
    client.set_cookie("is2in_device", fresh)
    assert auth.login(user.email).headers["Location"] == "/"


def test_an_admin_resets_a_lost_device_audited_and_told_to_the_owner(app, client, auth, make, mailbox):
    owner = make.user(email="head@example.kz", is_first_head=True, locale="en")
    auth.login(owner.email)
    secret, codes = enrol(client)
    assert signed_in(client)
    owner_client = client
    mailbox.clear()

    admin_client = app.test_client()
    from tests.conftest import Auth

    admin = make.staff("admin", email="root@kase.kz")
    UserMfa.create(user=admin, exempt=True)
    Auth(admin_client).login(admin.email)
    page = admin_client.get(f"/staff/users/{owner.id}/mfa").get_data(as_text=True)
    assert "Включён" in page and "Сбросить второй фактор" in page
    assert admin_client.post(f"/staff/users/{owner.id}/mfa/reset", csrf=False).status_code == 400
    listing = make.staff("listing", email="listing@kase.kz")
    UserMfa.create(user=listing, exempt=True)
    nosy = app.test_client()
    Auth(nosy).login(listing.email)
    assert nosy.post(f"/staff/users/{owner.id}/mfa/reset").status_code == 403

    response = admin_client.post(f"/staff/users/{owner.id}/mfa/reset")
    assert response.headers["Location"] == f"/staff/users/{owner.id}/mfa"
    event = AuditEvent.get(AuditEvent.action == "mfa.reset")
    assert event.actor_id == admin.id and event.object_id == str(owner.id)
    (mail,) = mailbox.wait_for(owner.email)
    body = mailbox.body(mail)
    assert "reset the second factor" in body and admin.full_name in body  # in the owner's language
    # The owner's open sessions end (the phone may be in other hands); old codes are void.
    assert not signed_in(owner_client)
    Auth(owner_client).login(owner.email)
    assert owner_client.get("/cabinet/profile").headers["Location"] == "/cabinet/security/setup"
    assert RecoveryCode.select().where(RecoveryCode.user == owner.id).count() == 0
    assert codes


def test_demo_accounts_sign_in_without_a_phone_until_an_admin_clears_the_exemption(client, auth, demo):
    for email in ("listing@exchange.demo", "admin@exchange.demo", "ceo@demo.kz", "issuer@demo.kz"):
        assert auth.login(email).headers["Location"] in ("/", "/cabinet/profile"), email
        assert signed_in(client), email
        auth.logout()

    auth.login("admin@exchange.demo")
    ceo = demo["ceo@demo.kz"]
    assert "Освобождён" in client.get("/staff/users?q=ceo").get_data(as_text=True)
    client.post(f"/staff/users/{ceo.id}/mfa/exempt", data={"exempt": "0"})
    assert AuditEvent.select().where(AuditEvent.action == "mfa.exempt_cleared").count() == 1
    auth.logout()
    auth.login("ceo@demo.kz")
    assert client.get("/cabinet/profile").headers["Location"] == "/cabinet/security/setup"


@pytest.mark.parametrize(
    "lang, words",
    [
        ("kk", "Растау кодымен кіруді баптау"),
        ("en", "Set up sign-in with a confirmation code"),
    ],
)
def test_the_setup_speaks_the_users_language(client, auth, make, lang, words):
    user = make.staff("listing")
    client.post("/language", data={"lang": lang})
    auth.login(user.email)
    assert words in client.get("/cabinet/security/setup").get_data(as_text=True)


def test_every_demo_account_of_a_fresh_install_signs_in_without_a_phone(tmp_path):
    """As a checker on a fresh clone: `is2in db upgrade`, `is2in demo`, then the production default
    (the requirement on) and every demo account with its password alone. The operator's commands
    clear an exemption and reset a factor."""
    from click.testing import CliRunner

    from core import create_app
    from core import db as database
    from core.cli import main
    from core.demo import USERS
    from tests.conftest import Auth, Client

    env = {"IS2IN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "IS2IN_INSTANCE_PATH": str(tmp_path)}
    runner = CliRunner()
    for args in (["db", "upgrade"], ["demo"]):
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    cleared = runner.invoke(main, ["mfa", "exempt", "board@exchange.demo", "--clear"], env=env)
    assert cleared.exit_code == 0 and "no longer exempt" in cleared.output
    assert runner.invoke(main, ["mfa", "reset", "nobody@demo.kz"], env=env).exit_code != 0
    reset = runner.invoke(main, ["mfa", "reset", "listing@exchange.demo"], env=env)
    assert reset.exit_code == 0 and "reset" in reset.output
    # Loading the demo again does not undo an admin's decision.
    assert runner.invoke(main, ["demo"], env=env).exit_code == 0

    app = create_app({"DATABASE_URL": env["IS2IN_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.config["MFA_REQUIRED"] is True
    app.test_client_class = Client
    database.db.connect(reuse_if_open=True)
    try:
        for email, *_rest in USERS:
            client = app.test_client()
            assert Auth(client).login(email).status_code == 302, email
            landing = client.get("/cabinet/profile")
            if email == "board@exchange.demo":
                assert landing.headers["Location"] == "/cabinet/security/setup"
            else:
                assert landing.status_code == 200, email
        board = User.by_email("board@exchange.demo")
        assert AuditEvent.select().where(AuditEvent.action == "mfa.exempt_cleared").count() == 1
        assert AuditEvent.get(AuditEvent.action == "mfa.reset").details == (
            '{"email": "listing@exchange.demo", "via": "cli"}'
        )
        from core.notifications.models import MailMessage

        # The demo's applications mail the listing department too: the reset's mail is the one about the factor.
        mails = MailMessage.select().where(MailMessage.to == "listing@exchange.demo")
        (mail,) = [m for m in mails if "сбросил второй фактор" in m.body]
        assert "оператор сервера" in mail.body
        assert UserMfa.get(UserMfa.user == board.id).exempt is False
    finally:
        database.db.close()


def test_one_code_typed_in_two_browsers_at_once_signs_in_once(app, client, auth, make):
    """Someone who saw a recovery code (or a code of the app) races its owner with it: one sign-in."""
    import threading

    from tests.conftest import Auth

    user = make.staff("listing")
    auth.login(user.email)
    secret, codes = enrol(client)
    auth.logout()
    CLOCK.later()
    for typed in (codes[0], code(secret)):
        browsers = [app.test_client() for _ in range(2)]
        for browser in browsers:
            assert Auth(browser).login(user.email).headers["Location"] == "/login/code"
        barrier, results = threading.Barrier(2), []

        def post(browser, typed=typed, barrier=barrier, results=results):
            barrier.wait()
            results.append(browser.post("/login/code", data={"code": typed}).status_code)

        threads = [threading.Thread(target=post, args=(b,)) for b in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results) == [302, 401], (typed, results)


def test_the_admins_user_list_shows_each_accounts_second_factor(client, auth, make, app):
    admin = make.staff("admin", email="root@kase.kz")
    UserMfa.create(user=admin, exempt=True)
    head = make.user(email="head@example.kz", is_first_head=True)
    make.user(email="clerk@example.kz")
    staff = make.staff("listing", email="lst@kase.kz")
    UserMfa.create(user=staff, secret="x", confirmed_at=head.created_at)
    auth.login(admin.email)
    html = client.get("/staff/users").get_data(as_text=True)
    cells = dict(re.findall(r"<td>([^<]+@[^<]+)</td>.*?/mfa\">([^<]+)</a>", html, re.S))
    assert cells == {
        "root@kase.kz": "Освобождён",
        "head@example.kz": "Не включён, обязателен",
        "clerk@example.kz": "Не включён",
        "lst@kase.kz": "Включён",
    }
    page = client.get(f"/staff/users/{head.id}/edit").get_data(as_text=True)
    assert f"/staff/users/{head.id}/mfa" in page and "Не включён, обязателен" in page
