"""Screenshots of the main pages for docs/screens/ (issue 15), so a reviewer sees the product without
running it: `make screens` sets IS2IN_SCREENS to the folder and runs this file; without it the test is
skipped. Each shot is the viewport only (1366×768 and 390×844), reduced to a 64-colour palette.

It checks what it shows: every page answers 200 (403 for the refused one) with its heading visible, and
every file is written and small."""

import datetime
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TARGET = os.environ.get("IS2IN_SCREENS")
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
MAX_BYTES = 160_000
# (file name, who, the page); the demo's accounts (README)
SHOTS = [
    ("client-home", "issuer@demo.kz", "/"),
    ("client-procedures", "issuer@demo.kz", "/procedures"),
    ("client-applications", "issuer@demo.kz", "/applications"),
    ("client-profile-errors", "issuer@demo.kz", "/cabinet/profile#errors"),
    ("first-head-home", "ceo@demo.kz", "/"),
    ("office-inbox", "office@exchange.demo", "/staff/inbox"),
    ("admin-dashboard", "admin@exchange.demo", "/staff"),
    ("admin-menu-open", "admin@exchange.demo", "/staff#menu"),
    ("admin-organisations", "admin@exchange.demo", "/staff/organisations"),
    ("admin-forbidden", "admin@exchange.demo", "/users/new"),
    ("seller-subscriptions", "seller@demo.kz", "/subscriptions"),
    ("cd-home", "csd@demo.kz", "/"),
]


@pytest.fixture
def waiting(returning):
    """Three applications waiting at the Exchange, one overdue, so the inbox shows its deadlines."""
    from core.accounts.models import Organisation
    from core.db import utcnow
    from core.workflow.models import Application

    issuer = Organisation.get(Organisation.code == "DEMO")
    today = datetime.date.today()
    for n, left in enumerate((3, -2, 10)):
        Application.create(
            number=f"L-2026-{n + 1:04d}",
            organisation=issuer,
            procedure="listing.shares",
            process="registration",
            status="submitted",
            author=returning["issuer@demo.kz"],
            executor=returning["office@exchange.demo"],
            submitted_at=utcnow(),
            deadline=today + datetime.timedelta(days=left),
        )
    return returning


def _save(page, path: Path):
    from PIL import Image

    page.screenshot(path=str(path), caret="initial")
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
    return path.stat().st_size


@pytest.mark.skipif(not TARGET, reason="`make screens` sets IS2IN_SCREENS")
def test_screenshots_of_the_main_pages(browser, live_server, waiting, login):
    target = Path(TARGET)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    by_user = {}
    for name, email, path in SHOTS:
        by_user.setdefault(email, []).append((name, path))
    for email, shots in by_user.items():
        context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 768})
        page = context.new_page()
        try:
            login(page, email)
            for name, path in shots:
                address, _hash, anchor = path.partition("#")
                response = page.goto(address)
                if anchor == "errors":  # the form sent empty: the error summary
                    page.locator("main form").first.evaluate(
                        "f => f.querySelectorAll('input[type=text], input[type=email], input[type=tel]')"
                        ".forEach(i => i.value = '')"
                    )
                    page.locator("main form button[type=submit]").first.click()
                    page.locator(".error-summary").wait_for()
                else:
                    assert response.status == (403 if name.endswith("forbidden") else 200), (name, response.status)
                assert page.locator("main h1").first.is_visible(), name
                for size, (width, height) in SIZES.items():
                    page.set_viewport_size({"width": width, "height": height})
                    if anchor == "menu":  # the phone's menu, opened
                        if size != "phone":
                            continue
                        page.locator(".menu-narrow summary").click()
                    page.evaluate("window.scrollTo(0, 0)")
                    file = target / f"{name}-{size}.png"
                    assert _save(page, file) < MAX_BYTES, file
                    written.append(file)
                page.set_viewport_size({"width": 1366, "height": 768})
        finally:
            context.close()
    assert len(written) == 2 * len(SHOTS) - 1
