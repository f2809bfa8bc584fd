"""The language switch in the header: Рус / Қаз / Eng."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import core

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(core.__file__).resolve().parent / "translations"


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


def _catalogue(lang):
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"


@pytest.mark.parametrize("button,lang", [("Қаз", "kk"), ("Eng", "en")], ids=["kk", "en"])
def test_menu_labels_follow_the_language(page, returning, login, button, lang):
    if not _catalogue(lang).exists():
        pytest.skip(
            f"menu labels in {lang!r} not checked: {_catalogue(lang)} is not compiled (no catalogue yet; "
            "the translation pass adds the .po, `make translations` compiles it)"
        )
    login(page, "issuer@demo.kz")
    first_tab = page.locator("nav.usermenu").get_by_role("link").first
    expect(first_tab).to_have_text("Процедуры")
    _button(page, button).click()
    expect(_button(page, button)).to_have_attribute("aria-pressed", "true")
    if lang == "en":
        expect(first_tab).to_have_text("Procedures")
    else:  # the Kazakh wording is the translators' call; it is simply no longer Russian
        expect(first_tab).not_to_have_text("Процедуры")
        expect(first_tab).not_to_have_text("")


def test_language_switch_updates_html_lang_at_once(page, returning, login):
    login(page, "issuer@demo.kz")
    _button(page, "Eng").click()
    expect(_button(page, "Eng")).to_have_attribute("aria-pressed", "true")  # the new page is in place
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=1000)
