"""A first head sets up the second factor the way a person does: reads the key the page shows next to
the QR code into an authenticator (pyotp stands in for the phone), confirms, keeps the recovery codes,
and signs in again with a code, then on a remembered device with the password alone."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MFA_REQUIRED": True}


def test_a_first_head_enrols_and_signs_in_with_a_code(page, make, login, logout, field):
    head = make.user(make.org("MFAH"), email="head@example.kz", first_name="Ерлан", is_first_head=True)

    login(page, head.email)
    expect(page).to_have_url(re.compile(r"/cabinet/security/setup$"))
    expect(page.get_by_role("heading", name="Настройка входа с кодом подтверждения")).to_be_visible()
    expect(page.get_by_text("вход с кодом подтверждения обязателен")).to_be_visible()
    expect(page.locator("svg.qr-code")).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    phone = pyotp.TOTP(secret)

    # Another page is not open until the factor is set up.
    page.goto("/cabinet/profile")
    expect(page).to_have_url(re.compile(r"/cabinet/security/setup$"))

    field(page, "Код из приложения").fill(phone.now())
    page.get_by_role("button", name="Подтвердить и включить").click()
    expect(page.get_by_role("heading", name="Коды восстановления")).to_be_visible()
    codes = page.get_by_role("list", name="Коды восстановления").locator("code")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="Я сохранил(а) коды").click()
    expect(page.get_by_role("heading", name="Добро пожаловать, Ерлан")).to_be_visible()
    logout(page)

    # The password alone leads to the code page; the next code of the app opens the cabinet.
    login(page, head.email, expect_ok=False)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.get_by_role("heading", name="Код подтверждения")).to_be_visible()
    field(page, "Код подтверждения").fill("000000" if phone.at(time.time(), counter_offset=1) != "000000" else "111111")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код")
    field(page, "Код подтверждения").fill(phone.at(time.time(), counter_offset=1))  # the enrolment used this step's
    page.get_by_label("Запомнить это устройство").check()
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", name="Добро пожаловать, Ерлан")).to_be_visible()
    logout(page)

    # On this remembered device the password is enough.
    login(page, head.email)
    expect(page.get_by_role("heading", name="Добро пожаловать, Ерлан")).to_be_visible()
