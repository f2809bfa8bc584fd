"""The yearly confirmation of users in the browser (#19.5): a user of an overdue organisation is refused at
sign-in with the reason, the organisation's admin confirms the list, and the user signs in again."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from core.accounts.models import Organisation, User
from core.confirmation import service
from core.confirmation.models import UserConfirmation
from core.db import utcnow
from tests.browser.listing_steps import screen

pytestmark = pytest.mark.browser


def _overdue(app, code):
    """The organisation's last confirmation and its people dated 370 days back, then the morning job."""
    org = Organisation.get(Organisation.code == code)
    back = utcnow() - datetime.timedelta(days=370)
    Organisation.update(created_at=back).where(Organisation.id == org.id).execute()
    User.update(created_at=back).where(User.organisation == org).execute()
    UserConfirmation.delete().where(UserConfirmation.organisation == org).execute()
    with app.app_context():
        service.user_confirmation_job()
    return org


def test_a_suspended_user_is_told_why_and_the_admins_confirmation_lets_him_back(
    app, page, returning, login, logout, other_browser
):
    _overdue(app, "DEMO")
    assert User.by_email("ceo@demo.kz").suspended_at is not None
    assert User.by_email("issuer@demo.kz").suspended_at is None  # the admin can still confirm

    login(page, "ceo@demo.kz", expect_ok=False)
    expect(page.get_by_role("alert")).to_contain_text("Доступ к вашей учётной записи приостановлен")
    expect(page).to_have_url(re.compile(r"/login"))

    admin = other_browser()
    login(admin, "issuer@demo.kz")
    admin.get_by_role("navigation", name="Меню пользователя").get_by_role(
        "link", name="Подтверждение пользователей"
    ).click()
    expect(admin.get_by_role("heading", name="Подтверждение пользователей", level=1)).to_be_visible()
    expect(admin.locator(".confirmation-standing")).to_contain_text("срок прошёл")
    ceo_row = admin.get_by_role("row").filter(has_text="ceo@demo.kz")
    expect(ceo_row).to_contain_text("Приостановлен с")
    expect(ceo_row.get_by_label("Оставить")).to_be_checked()
    # The admin's own row has no "Отключить".
    expect(admin.get_by_role("row").filter(has_text="issuer@demo.kz").get_by_label("Отключить")).to_have_count(0)
    screen(admin, "user-confirmation_1366x768")
    admin.get_by_role("button", name="Подтвердить список").click()
    expect(admin.get_by_role("status")).to_contain_text("Список пользователей подтверждён")
    expect(admin.get_by_role("row").filter(has_text="ceo@demo.kz")).not_to_contain_text("Приостановлен")
    expect(admin.locator(".confirmation-standing")).to_contain_text("осталось дней: 365")

    login(page, "ceo@demo.kz")
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_the_exchange_admin_sees_the_overdue_organisation_and_restores_a_user(app, page, returning, login):
    _overdue(app, "AUDT")
    login(page, "admin@exchange.demo")
    menu = page.get_by_role("navigation", name="Меню пользователя")
    menu.get_by_role("link", name="Организации и пользователи").click()  # the staff menu's section (issue 15)
    menu.get_by_role("link", name="Подтверждение пользователей").click()
    row = page.get_by_role("row").filter(has_text="AUDT")
    expect(row).to_contain_text("Просрочено на")
    screen(page, "user-confirmation-staff_1366x768")
    row.get_by_role("button", name="Восстановить доступ").first.click()
    expect(page.get_by_role("status")).to_contain_text("восстановлен")
    assert User.select().where(User.suspended_at.is_null(False)).count() == 0
