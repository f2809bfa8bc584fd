"""The signed-in client's journeys: editing the profile, adding a user of the organisation (and that
user's first steps from the e-mailed link), and adding a partner."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settled

pytestmark = pytest.mark.browser


def test_profile_edit_and_password_change(page, returning, login, logout, field):
    login(page, "issuer@demo.kz")
    page.get_by_role("navigation", name="Личный кабинет").get_by_role("link", name="Редактировать профиль").click()
    expect(page).to_have_url(re.compile(r"/cabinet/profile$"))
    expect(page.get_by_role("heading", name="Редактирование профиля")).to_be_visible()
    expect(field(page, "Должность")).to_have_value("Специалист отдела корпоративных финансов")

    field(page, "Должность").fill("Главный специалист")
    field(page, "Телефон").fill("+7 701 555 12 34")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Изменения сохранены.")

    page.reload()
    expect(field(page, "Должность")).to_have_value("Главный специалист")
    expect(field(page, "Телефон")).to_have_value("+7 701 555 12 34")
    expect(page.get_by_role("status")).to_have_count(0)  # the message was shown once

    # The same form changes the password.
    field(page, "Старый пароль").fill("Demo!2345")
    field(page, "Новый пароль").fill("Newpass1!")
    field(page, "Новый пароль еще раз").fill("Newpass1!")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Изменения сохранены.")
    expect(field(page, "Старый пароль")).to_have_value("")  # passwords are never sent back

    logout(page)
    login(page, "issuer@demo.kz", expect_ok=False)
    expect(page.get_by_role("alert")).to_contain_text("Неверный адрес электронной почты или пароль.")
    login(page, "issuer@demo.kz", password="Newpass1!")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Добро пожаловать, Айгерим")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("Главный специалист")


def test_org_admin_adds_a_user_who_sets_a_password(page, returning, login, field, mailbox, live_server, other_browser):
    login(page, "issuer@demo.kz")
    menu = page.get_by_role("navigation", name="Меню пользователя")
    menu.get_by_role("link", name="Пользователи").click()
    expect(page.get_by_role("heading", name="Пользователи")).to_be_visible()
    page.get_by_role("link", name="Добавить пользователей").click()
    expect(page.get_by_role("heading", name="Добавить пользователей")).to_be_visible()

    field(page, "Фамилия").fill("Жанибекова")
    field(page, "Имя").fill("Сауле")
    field(page, "Должность").fill("Бухгалтер")
    field(page, "Email").fill("Saule@Demo.kz")
    field(page, "Телефон").fill("+7 702 111 22 33")
    page.get_by_role("button", name="Сохранить").click()

    expect(page).to_have_url(re.compile(r"/users$"))
    expect(page.get_by_role("status")).to_have_text(
        "Пользователь Жанибекова Сауле добавлен. На saule@demo.kz отправлена ссылка для установки пароля."
    )

    # The new user's mail: a one-time link to this server.
    message = mailbox.wait_for("saule@demo.kz")[0]
    link = mailbox.link_in(message)
    assert link.startswith(live_server + "/password/set/"), link
    assert "Логин: saule@demo.kz" in mailbox.body(message)

    # The new user, at her own computer, opens the link and sets a password.
    saule = other_browser()
    saule.goto(link)
    expect(saule.get_by_role("heading", name="Установка пароля")).to_be_visible()
    expect(saule.get_by_text("Учётная запись: saule@demo.kz")).to_be_visible()
    field(saule, "Новый пароль").fill("Saule#2025")
    field(saule, "Новый пароль еще раз").fill("Saule#2025")
    saule.get_by_role("button", name="Сохранить").click()
    expect(saule).to_have_url(re.compile(r"/login$"))
    expect(saule.get_by_role("status")).to_have_text("Пароль сохранён. Войдите с новым паролем.")

    # The link works once.
    response = saule.goto(link)
    assert response.status == 410
    expect(saule.get_by_role("heading", name="Ссылка недействительна")).to_be_visible()
    expect(saule.get_by_text("Ссылка для установки пароля уже использована")).to_be_visible()
    expect(field(saule, "Новый пароль")).to_have_count(0)

    # The organisation's list shows her.
    page.reload()
    expect(page.get_by_role("row").filter(has_text="issuer@demo.kz")).to_have_count(1)  # the list is in place
    row = page.get_by_role("row").filter(has_text="saule@demo.kz")
    expect(row).to_have_count(1, timeout=1000)
    expect(row.get_by_role("cell")).to_have_text(
        ["Жанибекова Сауле", "Бухгалтер", "saule@demo.kz", "+7 702 111 22 33", ""]
    )

    login(saule, "saule@demo.kz", password="Saule#2025", expect_ok=False)
    # The first sign-in goes to the profile with a hint to change the password.
    expect(saule).to_have_url(re.compile(r"/cabinet/profile$"))
    expect(saule.get_by_text("Вы вошли в систему впервые.")).to_be_visible()
    expect(saule.get_by_role("navigation", name="Меню пользователя").locator(".company-code")).to_have_text("DEMO")
    expect(saule.get_by_role("navigation", name="Личный кабинет")).to_contain_text("Сауле Жанибекова")


def test_client_adds_an_auditor_partner(page, returning, login, logout, field):
    # Issuers may choose only an audit organisation the Exchange recognises (the auditors plugin).
    import datetime

    from core.accounts.models import Organisation
    from plugins.auditors.models import RecognisedAuditor

    RecognisedAuditor.create(
        organisation=Organisation.get(Organisation.code == "AUDT"),
        status="recognised",
        recognised_on=datetime.date.today(),
        confirmed_until=datetime.date.today().replace(year=datetime.date.today().year + 1),
    )
    login(page, "issuer@demo.kz")
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name="Партнерства").click()
    expect(page.get_by_role("heading", name="Партнерства", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="Финансовый консультант и аудиторская организация")
    expect(table.get_by_role("row").filter(has_text="AUDT")).to_have_count(0)
    expect(field(page, "Компания")).to_have_count(0)

    # Choosing the kind fetches the company list through htmx; the page itself is not reloaded.
    page.evaluate("window.__notReloaded = true")
    with page.expect_request(lambda r: "/partnerships?" in r.url and r.headers.get("hx-request") == "true"):
        field(page, "Вид партнера").select_option(label="Аудиторская организация")
    company = field(page, "Компания")
    expect(company).to_be_visible()
    settled(page)  # the swapped-in form is boosted only once htmx has processed it
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    expect(company.locator("option")).to_have_text(["— выберите —", "ТОО «Demo Audit»"])
    company.select_option(label="ТОО «Demo Audit»")
    page.get_by_role("button", name="Добавить").click()

    expect(page.get_by_role("status")).to_have_text("Партнер ТОО «Demo Audit» добавлен.")
    row = table.get_by_role("row").filter(has_text="AUDT")
    expect(row.get_by_role("cell").nth(0)).to_have_text("Аудиторская организация")
    expect(row.get_by_role("cell").nth(2)).to_have_text("ТОО «Demo Audit»")

    # The auditor's admin sees an unread notification.
    logout(page)
    login(page, "auditor@demo.kz")
    cabinet = page.get_by_role("navigation", name="Личный кабинет")
    notifications = cabinet.get_by_role("link", name=re.compile("^Уведомления"))
    expect(notifications.locator(".badge")).to_have_text("1")
    notifications.click()
    expect(page).to_have_url(re.compile(r"/cabinet/notifications$"))
    note = page.get_by_role("row").filter(has_text="добавила вашу организацию в партнеры")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("АО «Demo Issuer» добавила вашу организацию в партнеры: Аудиторская организация.")
    expect(note).to_contain_text("Ахметова Айгерим")
    expect(note).to_have_class(re.compile(r"\bunread\b"))
    note.get_by_role("button", name=re.compile("прочитан", re.IGNORECASE)).click()  # "mark as read"
    expect(page.get_by_role("row").filter(has_text="добавила вашу организацию")).not_to_have_class(
        re.compile(r"\bunread\b")
    )
    expect(cabinet.locator(".badge")).to_have_count(0)
    # The auditor sees the issuer among the organisations it is a partner for.
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name="Партнерства").click()
    expect(page.get_by_role("row").filter(has_text="DEMO")).to_contain_text("Аудиторская организация")
