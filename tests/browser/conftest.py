"""Browser fixtures: the test app served by a real HTTP server in a thread, and Debian's Chromium
driven by Playwright (never a downloaded browser).

Every test gets a fresh browser context (its own cookies) and leaves a full-page screenshot of its
last screen in test-artifacts/browser/<test name>.png.
"""

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "Demo!2345"
TIMEOUT_MS = 10_000  # generous: argon2 hashing is slow on a loaded machine
# Assertions wait as long as actions do: expect()'s own default (5 s) failed a "Сохранено." that came in 6 s
# while two test workers and a browser shared the two cores.
sync_api.expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def live_server(app):
    """Serve ``app`` on 127.0.0.1 at a free port; yields the base URL. The port is chosen by the OS
    (port 0), so two workers can never race for it; BASE_URL follows, so links in e-mails open here."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browsers are never downloaded")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def _watch(pg) -> list:
    """Collect script errors and Content-Security-Policy refusals (an inline style or script slipped
    into a template); an answer's HTTP status (a 401 for a wrong password) is not an error."""
    errors = []
    pg.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    pg.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    return errors


def _fail_on(errors):
    if errors:
        pytest.fail("errors in the browser console:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(context, request):
    pg = context.new_page()
    errors = _watch(pg)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        # caret="initial": hiding the caret makes Playwright inject a <style>, which the app's CSP
        # refuses; htmx then reports that refusal on the next swap, a false alarm.
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")
    except Exception:  # noqa: BLE001 - a screenshot must never turn a result into an error
        pass
    _fail_on(errors)


@pytest.fixture
def other_browser(browser, live_server):
    """A separate browser context: a second person at another computer."""
    contexts, errors = [], []

    def open_page():
        ctx = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        pg = ctx.new_page()
        errors.append(_watch(pg))
        return pg

    yield open_page
    for ctx in contexts:
        ctx.close()
    _fail_on([e for page_errors in errors for e in page_errors])


def _field(scope, label):
    """The control labelled exactly ``label``. A required field's label ends in an aria-hidden "*",
    which Playwright's get_by_label counts as text, so the star is allowed but nothing else."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}(\s*\*)?\s*$"))


@pytest.fixture
def field():
    """``field(page_or_locator, "Label")``: the form control with exactly that visible label."""
    return _field


def settled(page):
    """htmx has finished: no element is left with the class of a request in flight, a swap or its settling,
    so the new content is in place and its hx-* attributes are live. Call it after an action whose result
    is an htmx swap (a boosted link or form, a cascade, a poll), once the action has started.

    A URL or load-state wait is not enough: a boosted click is an XHR, and htmx pushes the new URL in its
    before-swap step, so `wait_for_url` returns while the old content is still on the screen."""
    sync_api.expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def _login(page, email, password=PASSWORD, agree=True, expect_ok=True):
    """Fill and submit the login form the way a user does. With ``expect_ok`` it returns once the page
    the login leads to has been swapped in: the URL is pushed before the swap (see ``settled``), so it
    also waits for the login form to be gone and htmx to be idle."""
    page.goto("/login")
    _field(page, "Адрес электронной почты").fill(email)
    _field(page, "Пароль").fill(password)
    if agree:
        page.get_by_label("С пользовательским соглашением ознакомлен(а)").check()
    page.get_by_role("button", name="Войти").click()
    if expect_ok:
        page.wait_for_url(lambda url: "/login" not in url)
        sync_api.expect(page.get_by_role("button", name="Войти", exact=True)).to_have_count(0)
        settled(page)


def _logout(page):
    page.get_by_role("button", name="Выйти").click()
    sync_api.expect(page).to_have_url(re.compile(r"/login$"))


@pytest.fixture
def login():
    """``login(page, email, password=..., agree=True)``: sign in through the login form."""
    return _login


@pytest.fixture
def logout():
    """``logout(page)``: press "Выйти" in the header."""
    return _logout


@pytest.fixture
def returning(demo):
    """The demo accounts as people who have signed in before (the first sign-in goes to the profile)."""
    from core.accounts.models import User
    from core.db import utcnow

    User.update(last_login_at=utcnow()).execute()
    return demo
