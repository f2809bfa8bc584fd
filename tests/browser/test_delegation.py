"""Delegation in Chromium (#19.3): the first head gives his deputy a power of attorney on "Доверенности", signs it
through the "Tumar CSP" tab (the statement downloaded, signed with his key, the CMS uploaded), and the deputy then
finds the application waiting for the first head, approves it and signs it with his own key."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from core import clock
from core.delegation.models import PowerOfAttorney
from core.workflow.models import Application, Transition
from tests.browser.conftest import settled
from tests.browser.listing_steps import screen
from tests.core.test_signing_flow import at_approval, ceo_key, world  # noqa: F401 - fixtures and helpers
from tests.core.test_signing_kit import kit, responder  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SCAN = b"%PDF-1.4\n% the scanned paper power of attorney\n%%EOF\n"


def download(page, link):
    with page.expect_download() as info:
        link.click()
    item = info.value
    return item.suggested_filename, open(item.path(), "rb").read()


def sign_in_tumar(page, kit, key, link_name):  # noqa: F811
    tumar = page.get_by_role("tablist", name="Способ подписи").get_by_role("tab", name="Tumar CSP")
    tumar.click()
    panel = page.get_by_role("tabpanel", name="Tumar CSP")
    _name, document = download(page, page.get_by_role("link", name=link_name, exact=True))
    assert document.startswith(b"%PDF")
    panel.get_by_label(re.compile(r"^\s*Файл для подписи")).set_input_files(
        {"name": "signature.p7s", "mimeType": "application/pkcs7-signature", "buffer": kit.sign(key, document)}
    )
    return panel


def test_a_first_head_gives_a_power_of_attorney_and_his_deputy_signs_for_him(
    app,
    page,
    world,  # noqa: F811
    kit,  # noqa: F811
    make,
    login,
    logout,
    field,
):
    from core.accounts.models import User
    from core.db import utcnow

    User.update(last_login_at=utcnow()).execute()
    deputy = make.user(
        world["ceo@demo.kz"].organisation,
        email="deputy@demo.kz",
        first_name="Айдос",
        last_name="Есенов",
        position="Заместитель Председателя Правления",
    )
    app_id = at_approval(app, world)
    today = clock.today()

    login(page, "ceo@demo.kz")
    page.get_by_role("link", name="Доверенности").first.click()
    settled(page)
    field(page, "Заместитель (поверенный)").select_option(label=f"{deputy.full_name}, {deputy.position}")
    field(page, "Номер доверенности").fill("17-Д")
    field(page, "Дата доверенности").fill(today.isoformat())
    field(page, "Действует с").fill(today.isoformat())
    field(page, "Действует по (включительно)").fill((today + datetime.timedelta(days=14)).isoformat())
    field(page, "Скан доверенности (PDF)").set_input_files(
        {"name": "доверенность.pdf", "mimeType": "application/pdf", "buffer": SCAN}
    )
    page.get_by_role("button", name="Сохранить и перейти к подписи").click()
    expect(page.get_by_text("Ожидает подписи первого руководителя")).to_be_visible()

    panel = sign_in_tumar(page, kit, ceo_key(kit, world), "Доверенность 17-Д.pdf")
    panel.get_by_role("button", name="Отправить файл").click()
    expect(page.get_by_text("Доверенность подписана.")).to_be_visible()
    expect(page.get_by_text("Действует сейчас", exact=True)).to_be_visible()
    screen(page, "delegation_1366x768")
    assert PowerOfAttorney.get().signed_at is not None
    logout(page)

    login(page, "deputy@demo.kz")
    page.goto(f"/applications/{app_id}")
    page.get_by_role("button", name="Согласовано").click()
    settled(page)
    expect(page.get_by_role("heading", name="Подписать ЭЦП")).to_be_visible()
    number = Application.get_by_id(app_id).number
    panel = sign_in_tumar(page, kit, kit.person(deputy, role="authorised"), f"Заявление {number}.pdf")
    panel.get_by_role("button", name="Отправить файл").click()
    settled(page)
    expect(page.get_by_text("Заявление подписано")).to_be_visible()

    assert Application.get_by_id(app_id).process == "registration"
    sign = Transition.get((Transition.application == app_id) & (Transition.action == "sign"))
    assert sign.on_behalf.startswith("действующий по доверенности № 17-Д")
