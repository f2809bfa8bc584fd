"""Issue 19.1 and 19.2 in a real browser: the first head back on his returned application sees what changed beside
his comment and unfolds an unchanged section; the Exchange's reviewer sees the review clock's history and sorts the
inbox by working days left. Both leave their screenshot in docs/screens/."""

import datetime
import io
import re

import pytest
import time_machine
from playwright.sync_api import expect

from core.workflow.models import Application
from tests.browser.listing_steps import SCREENS, settled
from tests.journeys import PDF
from tests.plugins.listing.conftest import GENERAL, journey  # noqa: F401  (fixtures)
from tests.plugins.listing.test_review_clock import _answer_and_sign, _registered_on_10_december, almaty, as_user

pytestmark = pytest.mark.browser


def screen_of(page, locator, name):
    """A 1366×768 screenshot for docs/screens/ with ``locator`` at the top of the screen."""
    from PIL import Image

    SCREENS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1366, "height": 768})
    settled(page)
    locator.evaluate("el => el.scrollIntoView({block: 'start'})")
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), caret="initial")
    page.set_viewport_size(size)
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def test_the_first_head_sees_what_changed_since_his_return(page, login, client, auth, journey, returning):  # noqa: F811
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    as_user(auth, "ceo@demo.kz")
    client.post(
        journey.url("/comments"),
        data={"form_code": "listing.general", "field": "phone", "text": "Укажите прямой номер"},
    )
    journey.act("return", {"note": "Исправьте телефон и приложите устав в новой редакции"})
    as_user(auth, "issuer@demo.kz")
    journey.stage("general", {**GENERAL, "general-phone": "+7 727 311 11 11"})
    client.post(
        journey.url("/stages/documents/documents"),
        data={"title": "Устав эмитента", "file": (io.BytesIO(PDF + b"%v2\n"), "ustav-2026.pdf")},
        content_type="multipart/form-data",
    )
    client.post(journey.url("/stages/documents/documents/done"))
    journey.act("send_to_head")
    auth.logout()

    login(page, "ceo@demo.kz")
    page.goto(journey.url())
    settled(page)
    panel = page.locator("#changes")
    expect(panel.get_by_role("heading", name="Что изменилось с возврата на доработку")).to_be_visible()
    phone = panel.locator("tr.changed").filter(has_text="Телефон")
    expect(phone.locator("td.old")).to_have_text("+7 727 000 00 00")
    expect(phone.locator("td.new")).to_have_text("+7 727 311 11 11")
    expect(phone).to_contain_text("Укажите прямой номер")  # his comment beside the field
    statute = panel.locator("tr.changed").filter(has_text="Устав эмитента")
    expect(statute.locator("td.new")).to_contain_text("ustav-2026.pdf")
    first_folded = panel.locator("details").evaluate_all("els => els.findIndex(e => !e.open)")
    assert first_folded >= 0
    folded = panel.locator("details").nth(first_folded)
    expect(folded.locator("table")).to_be_hidden()  # unchanged sections are folded
    folded.locator("summary").click()
    expect(folded.locator("table")).to_be_visible()
    folded.locator("summary").click()
    screen_of(page, panel, "changes_since_1366x768")


def test_the_reviewer_sees_the_stopped_clock_and_sorts_the_inbox_by_days_left(
    app,
    page,
    login,
    client,
    auth,
    journey,  # noqa: F811
    trusted,  # noqa: F811
    returning,
):
    _registered_on_10_december(client, auth, journey, trusted, returning)
    with time_machine.travel(almaty(14), tick=False):
        as_user(auth, "listing@exchange.demo")
        journey.act("request_documents", {"note": "Представьте протокол собрания", "deadline": "2026-12-24"})
    _answer_and_sign(app, auth, journey, returning, 19)
    auth.logout()

    with time_machine.travel(almaty(24), tick=True):  # Thursday 24 December on the Exchange's clock
        login(page, "listing@exchange.demo")
        page.goto("/staff/inbox?department=listing")
        settled(page)
        row = page.locator("tbody tr").filter(has_text=re.compile(r"L-2026-\d+"))
        expect(row.first.locator('td[data-label="Срок"]')).to_contain_text("осталось раб. дней: 4")
        sort = page.get_by_role("link", name=re.compile("^Осталось раб. дней"))
        column = page.locator("th", has=sort)  # aria-sort belongs on the header cell (axe, issue 15)
        expect(column).to_have_attribute("aria-sort", "ascending")  # the inbox opens with the fewest days left
        expect(sort).to_contain_text("↑")
        sort.click()
        settled(page)
        sort = page.get_by_role("link", name=re.compile("^Осталось раб. дней"))
        expect(page.locator("th", has=sort)).to_have_attribute("aria-sort", "descending")
        expect(sort).to_contain_text("↓")
        page.goto(journey.url())
        settled(page)
        clock = page.locator("#review-clock")
        expect(clock).to_contain_text("Использовано раб. дней: 6.")
        expect(clock).to_contain_text("Осталось раб. дней: 4 (до 30.12.2026).")
        expect(clock.locator("tbody tr")).to_have_count(3)
        expect(clock.locator("tr.clock-stopped")).to_contain_text("14.12.2026")
        screen_of(page, clock, "review_clock_1366x768")
    assert Application.get_by_id(journey.app_id).deadline == datetime.date(2026, 12, 30)
