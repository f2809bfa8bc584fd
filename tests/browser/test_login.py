"""Signing in through the browser: the login form, the agreement checkbox, lockout, an expired
password, and the keyboard path through the form."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from core.db import utcnow

pytestmark = pytest.mark.browser

CLIENT_TABS = [
    "Процедуры",
    "Пользователи",
    "Партнерства",
    "На рассмотрении",
    "Архив",
    "Анкеты",
    "Нормативная база",
    "Инсайдеры Биржи",
]
AGREEMENT = "С пользовательским соглашением ознакомлен(а)"


def test_login_lands_on_home_with_menu(page, returning, login):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Вход в систему is2in")).to_be_visible()

    # Forgetting the agreement: an error under the checkbox, still on the login page, not signed in.
    login(page, "issuer@demo.kz", agree=False, expect_ok=False)
    agreement_error = page.locator("#agreement-error")
    expect(agreement_error).to_be_visible()
    expect(agreement_error).to_contain_text("подтвердите, что ознакомились с пользовательским соглашением")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("navigation", name="Меню пользователя")).to_have_count(0)
    expect(page.get_by_label(AGREEMENT)).to_have_attribute("aria-invalid", "true")

    login(page, "issuer@demo.kz")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Добро пожаловать, Айгерим")).to_be_visible()
    menu = page.get_by_role("navigation", name="Меню пользователя")
    for tab in CLIENT_TABS:
        expect(menu.get_by_role("link", name=tab, exact=True)).to_be_visible()
    # The core's tabs keep their order; procedure plugins may add tabs of their own in between.
    shown = [text.strip() for text in menu.get_by_role("link").all_inner_texts()]
    assert [t for t in shown if t in CLIENT_TABS] == CLIENT_TABS, shown
    expect(menu.locator(".company-code")).to_have_text("DEMO")
    expect(page.get_by_role("navigation", name="Личный кабинет").get_by_text("Айгерим Ахметова")).to_be_visible()


def test_five_wrong_passwords_lock_the_account(page, returning, login, mailbox):
    refused = "Неверный адрес электронной почты или пароль."
    for _attempt in range(1, 6):
        login(page, "issuer@demo.kz", password="Wrong!pass1", expect_ok=False)
        expect(page.get_by_role("alert")).to_contain_text(refused)
        expect(page.get_by_role("alert")).not_to_contain_text("Осталось попыток")  # would betray the account

    # The right password is refused while the lock lasts, in the words an unknown address gets; the
    # owner learns of the lock by mail.
    login(page, "issuer@demo.kz", expect_ok=False)
    expect(page.get_by_role("alert")).to_contain_text(refused)
    expect(page.get_by_role("alert")).not_to_contain_text("заблокирована до")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("navigation", name="Меню пользователя")).to_have_count(0)
    (mail,) = mailbox.wait_for("issuer@demo.kz")
    assert "заблокирован" in mailbox.body(mail)


def test_expired_password_must_be_changed(page, make, login, field):
    org = make.org("EXPD")
    make.user(
        org, email="old@example.kz", first_name="Олжас", password_changed_at=utcnow() - datetime.timedelta(days=61)
    )

    login(page, "old@example.kz")
    expect(page).to_have_url(re.compile(r"/password/change$"))
    expect(page.get_by_role("heading", name="Смена пароля")).to_be_visible()
    expect(
        page.get_by_text("Срок действия пароля истёк. Чтобы продолжить работу, задайте новый пароль.")
    ).to_be_visible()

    # Any other page sends the user back here: typed in the address bar and through the menu.
    for path in ("/", "/users", "/cabinet/profile", "/partnerships"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/password/change$"))
    # A menu link is followed by htmx (hx-boost) and ends on the same URL, so wait for the new page
    # itself: the old <main> carries a mark that the swapped-in one does not.
    page.locator("#main").evaluate("main => main.dataset.old = 'yes'")
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name="Процедуры").click()
    expect(page.locator("#main[data-old]")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/password/change$"))
    expect(page.get_by_role("heading", name="Смена пароля")).to_be_visible()

    # A weak password: every broken condition is named.
    field(page, "Старый пароль").fill("Demo!2345")
    field(page, "Новый пароль").fill("abc")
    field(page, "Новый пароль еще раз").fill("abc")
    page.get_by_role("button", name="Сохранить").click()
    # The error sits under the field it is about; the wording of its lead-in may change, the named
    # conditions may not.
    error = page.locator("#new_password-error")
    expect(field(page, "Новый пароль")).to_have_attribute("aria-describedby", re.compile(r"\bnew_password-error\b"))
    for rule in (
        "не короче 8 символов",
        "хотя бы одна цифра",
        "хотя бы одна заглавная буква",
        re.compile(r"хотя бы один[^,.]* символ"),
    ):
        expect(error).to_contain_text(rule)
    expect(error).not_to_contain_text("строчная")  # "abc" has lower-case letters
    expect(field(page, "Новый пароль")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/password/change$"))

    field(page, "Старый пароль").fill("Demo!2345")
    field(page, "Новый пароль").fill("Newpass1!")
    field(page, "Новый пароль еще раз").fill("Newpass1!")
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Пароль изменён.")).to_be_visible()
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name="Пользователи").click()
    expect(page).to_have_url(re.compile(r"/users$"))
    expect(page.get_by_role("heading", name="Пользователи")).to_be_visible()


def test_keyboard_reaches_the_login_form_in_order(page, returning, field):
    page.goto("/login")
    email = field(page, "Адрес электронной почты")
    password = field(page, "Пароль")
    agreement = page.get_by_label(AGREEMENT)
    submit = page.get_by_role("button", name="Войти")

    # Tab from the top of the page until the e-mail field has focus (skip link, logo, language
    # buttons come first), then each next Tab moves to the next control of the form.
    for _ in range(15):
        page.keyboard.press("Tab")
        if email.evaluate("el => el === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.type("issuer@demo.kz")
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type("Demo!2345")
    page.keyboard.press("Tab")
    # The link to the agreement sits between the password and the checkbox.
    expect(page.get_by_role("link", name="Пользовательское соглашение").first).to_be_focused()
    page.keyboard.press("Tab")
    expect(agreement).to_be_focused()
    page.keyboard.press("Space")
    expect(agreement).to_be_checked()
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="Меню пользователя")).to_be_visible()
