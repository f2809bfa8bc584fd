"""The personal cabinet and the user menu (G-8.1, G-8.2, G-9)."""

import pytest

from core.accounts.models import User
from core.audit.models import AuditEvent
from core.auth.passwords import verify_password
from core.notifications.models import Notification
from core.notifications.service import notify

MENU = [
    "Процедуры",
    "Пользователи",
    "Партнерства",
    "На рассмотрении",
    "Архив",
    "Анкеты",
    "Нормативная база",
    "Инсайдеры Биржи",
]


@pytest.mark.rule("G-9")
def test_user_menu_shows_company_code_name_and_the_guide_tabs_in_order(client, auth, make):
    org = make.org("KZTK", name_ru="Казахтелеком")
    make.user(org, email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/").get_data(as_text=True)
    menu = html[html.index('class="usermenu"') : html.index("</nav>", html.index('class="usermenu"'))]
    assert "KZTK" in menu and "АО «Казахтелеком»" in menu
    positions = [menu.index(f">{label}</a>") for label in MENU]
    assert positions == sorted(positions)


@pytest.mark.rule("G-9")
def test_the_menu_marks_the_tab_the_page_is_under_and_only_that_one(client, auth, make):
    import re

    make.user(email="tabs@example.kz")
    auth.login("tabs@example.kz")
    for path, tab in (("/applications", "На рассмотрении"), ("/archive", "Архив"), ("/procedures", "Процедуры")):
        html = client.get(path).get_data(as_text=True)
        # the menu is drawn twice (a row on wide screens, a disclosure on phones; one is display:none)
        wide, narrow = html.split('class="menu-wide"')[1].split('class="menu-narrow"')
        for copy in (wide, narrow):
            current = re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', copy.split("</nav>")[0])
            assert current == [tab], (path, current)
    html = client.get("/").get_data(as_text=True)
    assert 'aria-current="page"' not in html.split('class="usermenu"')[1].split("</nav>")[0]


def test_header_has_logo_link_cabinet_and_logout(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/procedures").get_data(as_text=True)
    assert '<a class="brand" href="/">' in html
    for label in ("Уведомления", "Редактировать профиль", "Выйти"):
        assert label in html


@pytest.mark.rule("G-8.1")
def test_notifications_show_procedure_executor_and_time(client, auth, make, app, mailbox):
    user = make.user(email="a@example.kz")
    with app.app_context():
        notify(
            [user],
            "partnership_added",
            procedure="Включение акций в официальный список",
            executor="Ким Виктор",
            message="Назначены исполнителем",
            link="/procedures",
        )
    auth.login("a@example.kz")
    home = client.get("/").get_data(as_text=True)
    assert '<span class="badge"' in home and ">1</span>" in home
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert "Включение акций в официальный список" in html and "Ким Виктор" in html
    note = Notification.get()
    assert note.created_at is not None
    response = client.post(f"/cabinet/notifications/{note.id}/read", data={"open": "1"})
    assert response.headers["Location"] == "/procedures"
    assert Notification.unread_count(user) == 0
    assert "Назначены исполнителем" in mailbox.body(mailbox.wait_for("a@example.kz")[0])


@pytest.mark.rule("G-8.1")
def test_notification_times_are_shown_in_almaty(client, auth, make, app):
    import datetime

    user = make.user(email="a@example.kz")
    Notification.create(
        user=user, kind="partnership_added", procedure="P", created_at=datetime.datetime(2026, 3, 1, 22, 30)
    )
    auth.login("a@example.kz")
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert "02.03.2026 03:30" in html  # UTC+5


def test_nobody_reads_another_users_notification(client, auth, make):
    owner = make.user()
    note = Notification.create(user=owner, kind="partnership_added", procedure="secret")
    make.user(email="b@example.kz")
    auth.login("b@example.kz")
    assert client.post(f"/cabinet/notifications/{note.id}/read").status_code == 404
    assert "secret" not in client.get("/cabinet/notifications").get_data(as_text=True)


def test_read_all_marks_every_notification(client, auth, make):
    user = make.user(email="a@example.kz")
    for _ in range(3):
        Notification.create(user=user, kind="partnership_added")
    auth.login("a@example.kz")
    client.post("/cabinet/notifications/read-all")
    assert Notification.unread_count(user) == 0


@pytest.mark.rule("G-8.2")
def test_profile_edit_saves_contact_fields(client, auth, make):
    user = make.user(email="a@example.kz")
    auth.login("a@example.kz")
    page = client.get("/cabinet/profile").get_data(as_text=True)
    for label in (
        "Имя",
        "Фамилия",
        "Должность",
        "Email",
        "Телефон",
        "Старый пароль",
        "Новый пароль",
        "Новый пароль еще раз",
        "Сохранить",
    ):
        assert label in page
    response = client.post(
        "/cabinet/profile",
        data={
            "first_name": "Айгерим",
            "last_name": "Ахметова",
            "position": "Директор",
            "email": "new@example.kz",
            "phone": "+7 777 123 45 67",
        },
        follow_redirects=True,
    )
    assert "Изменения сохранены." in response.get_data(as_text=True)
    user = User.get_by_id(user.id)
    assert (user.first_name, user.position, user.email, user.phone) == (
        "Айгерим",
        "Директор",
        "new@example.kz",
        "+7 777 123 45 67",
    )
    assert AuditEvent.get(AuditEvent.action == "profile.update").data["fields"] == [
        "email",
        "first_name",
        "last_name",
        "phone",
        "position",
    ]


@pytest.mark.rule("G-8.2")
def test_profile_password_change_checks_old_rule_and_repeat(client, auth, make):
    user = make.user(email="a@example.kz")
    auth.login("a@example.kz")
    base = {"first_name": "И", "last_name": "Ф", "position": "П", "email": "a@example.kz", "phone": "+77010000000"}
    bad = client.post(
        "/cabinet/profile", data={**base, "old_password": "nope", "new_password": "abc", "new_password_again": "abd"}
    ).get_data(as_text=True)
    assert "Старый пароль указан неверно." in bad
    assert "не короче 8 символов" in bad and "Пароли не совпадают." in bad
    assert User.get_by_id(user.id).first_name == "Имя"  # nothing saved on a bad submit
    client.post(
        "/cabinet/profile",
        data={**base, "old_password": "Demo!2345", "new_password": "Newpass1!", "new_password_again": "Newpass1!"},
    )
    assert verify_password(User.get_by_id(user.id).password_hash, "Newpass1!")


def test_profile_refuses_another_users_email(client, auth, make):
    make.user(email="a@example.kz")
    make.user(email="b@example.kz")
    auth.login("a@example.kz")
    html = client.post(
        "/cabinet/profile",
        data={"first_name": "И", "last_name": "Ф", "position": "П", "email": "b@example.kz", "phone": "+77010000000"},
    ).get_data(as_text=True)
    assert "Пользователь с таким адресом электронной почты уже есть." in html


def test_staff_home_is_the_desk(client, auth, make):
    make.staff("listing", email="l@kase.kz")
    auth.login("l@kase.kz")
    html = client.get("/staff").get_data(as_text=True)
    assert "Рабочий стол" in html and "Нормативная база" in html
    assert "Почта" not in html  # admins only


def test_the_staff_menu_is_five_sections_and_a_page_shows_its_sections_pages(client, auth, demo):
    """Issue 15: the administrator's seventeen links in sections; the current section's pages under them."""
    import re

    auth.login("admin@exchange.demo")
    html = client.get("/staff/mail").get_data(as_text=True)
    wide = html.split('class="menu-wide"')[1].split('class="menu-narrow"')[0]
    sections = re.findall(r"<li><a [^>]*>([^<]+)</a></li>", wide.split('class="menu-pages"')[0])
    assert sections == ["Заявления", "Подписки", "Организации и пользователи", "Справочники", "Система"]
    assert re.search(r'aria-current="true">Система<', wide)
    pages = re.findall(r">([^<]+)</a></li>", wide.split('class="menu-pages"')[1])
    assert {"Почта", "Журнал действий", "Доверенные сертификаты ЭЦП"} <= set(pages)
    assert re.search(r'aria-current="page">Почта<', wide)
    # the phone's copy lists every page under its section's name
    narrow = html.split('class="menu-narrow"')[1].split("</details>")[0]
    assert narrow.count('class="menu-group"') == 5 and "Календарь" in narrow and "Организации" in narrow
