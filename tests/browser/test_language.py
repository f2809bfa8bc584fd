"""The language switch in the header: Рус / Қаз / Eng."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import core

pytestmark = pytest.mark.browser

CATALOGUE = Path(core.__file__).resolve().parent / "translations" / "en" / "LC_MESSAGES" / "messages.mo"

HTML_LANG_STALE = (
    "BUG: the language buttons submit through htmx (hx-boost on <body> in templates/base.html), and a boosted "
    "answer replaces only <body>; <html lang> keeps the old language until a full page load, so screen readers "
    "read Kazakh/English pages with Russian pronunciation (WCAG 3.1.1).")


def _button(page, label):
    return page.locator("form.lang-switch").get_by_role("button", name=label, exact=True)


def test_language_switch(page, returning, login):
    login(page, "issuer@demo.kz")
    html = page.locator("html")
    menu = page.locator("nav.usermenu")
    expect(html).to_have_attribute("lang", "ru")
    expect(_button(page, "Рус")).to_have_attribute("aria-pressed", "true")
    expect(menu.get_by_role("link").first).to_have_text("Процедуры")

    _button(page, "Қаз").click()
    expect(_button(page, "Қаз")).to_have_attribute("aria-pressed", "true")
    expect(_button(page, "Рус")).to_have_attribute("aria-pressed", "false")
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "false")
    expect(page).to_have_url(re.compile(r"/$"))  # back on the page it was pressed on
    page.reload()
    expect(html).to_have_attribute("lang", "kk")

    _button(page, "Eng").click()
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "true")
    expect(_button(page, "Қаз")).to_have_attribute("aria-pressed", "false")
    page.reload()  # the choice sticks across a full page load
    expect(html).to_have_attribute("lang", "en")
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "true")


@pytest.mark.skipif(not CATALOGUE.exists(), reason=f"English labels not checked: {CATALOGUE} is not compiled "
                    "(no English catalogue yet; the translation pass adds it, then `make translations`)")
def test_english_menu_labels(page, returning, login):
    login(page, "issuer@demo.kz")
    _button(page, "Eng").click()
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("nav.usermenu").get_by_role("link").first).to_have_text("Procedures")


@pytest.mark.xfail(reason=HTML_LANG_STALE, raises=AssertionError, strict=True)
def test_language_switch_updates_html_lang_at_once(page, returning, login):
    login(page, "issuer@demo.kz")
    _button(page, "Eng").click()
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("lang", "en")
