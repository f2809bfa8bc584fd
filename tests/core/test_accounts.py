"""Organisations and accounts created by Exchange staff (G-3); the tab "Пользователи" (G-9.2)."""

import pytest

from core.accounts.models import Organisation, User
from core.accounts.validators import is_valid_xin, make_xin
from core.audit.models import AuditEvent

ORG_FORM = {
    "code": "kztk",
    "legal_form": "АО",
    "name_ru": "Казахтелеком",
    "name_kk": "Қазақтелеком",
    "name_en": "Kazakhtelecom",
    "bin": "",
    "roles": ["issuer"],
    "is_active": "y",
}


def user_form(**overrides):
    form = {
        "last_name": "Серикова",
        "first_name": "Алма",
        "middle_name": "",
        "position": "Юрист",
        "email": "alma@kztk.kz",
        "phone": "+7 701 555 11 22",
        "iin": "",
        "is_active": "y",
    }
    form.update(overrides)
    return form


@pytest.fixture
def admin(make, auth):
    staff = make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    return staff


@pytest.mark.rule("G-3")
def test_admin_creates_an_organisation_with_names_in_three_languages(client, admin):
    bin_ = make_xin("94054000123")
    response = client.post("/staff/organisations/new", data={**ORG_FORM, "bin": bin_})
    org = Organisation.get(Organisation.code == "KZTK")
    assert response.headers["Location"] == f"/staff/organisations/{org.id}"
    assert (org.name_ru, org.name_kk, org.name_en, org.bin) == ("Казахтелеком", "Қазақтелеком", "Kazakhtelecom", bin_)
    assert org.roles == {"issuer"}
    assert AuditEvent.get(AuditEvent.action == "organisation.create").actor_id == admin.id


@pytest.mark.rule("G-3")
def test_admin_creates_an_account_and_its_owner_gets_a_one_time_link(client, admin, make, mailbox, auth):
    org = make.org("KZTK")
    iin = make_xin("80010150012")
    response = client.post(
        f"/staff/organisations/{org.id}/users/new", data=user_form(iin=iin, is_first_head="y", is_org_admin="y")
    )
    assert response.status_code == 302
    user = User.get(User.email == "alma@kztk.kz")
    assert (user.is_first_head, user.is_org_admin, user.iin, user.password_hash) == (True, True, iin, None)
    mail = mailbox.wait_for("alma@kztk.kz")[0]
    body = mailbox.body(mail)
    assert "Логин: alma@kztk.kz" in body
    link = mailbox.link_in(mail).replace("http://localhost", "")
    auth.logout()
    client.post(link, data={"new_password": "Almaty1!", "new_password_again": "Almaty1!"})
    assert auth.login("alma@kztk.kz", "Almaty1!").status_code == 302


def test_staff_accounts_carry_department_roles(client, admin, make):
    kase = admin.organisation
    client.post(
        f"/staff/organisations/{kase.id}/users/new",
        data=user_form(email="trader@kase.kz", departments=["trading", "board"]),
    )
    assert User.get(User.email == "trader@kase.kz").departments == {"trading", "board"}
    missing = client.post(f"/staff/organisations/{kase.id}/users/new", data=user_form(email="x@kase.kz"))
    assert "Выберите хотя бы одно подразделение." in missing.get_data(as_text=True)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("code", "DEMO", "Организация с таким кодом уже есть."),
        ("bin", "123", "БИН должен состоять из 12 цифр."),
        ("bin", "940540001230", "не сходится контрольная цифра"),
        ("name_kk", "", "Укажите наименование на казахском языке."),
        ("roles", [], "Выберите хотя бы одну роль."),
    ],
)
def test_bad_organisation_input_is_named_and_nothing_is_saved(client, admin, make, field, value, message):
    make.org("DEMO")
    before = Organisation.select().count()
    data = {**ORG_FORM, "bin": make_xin("94054000123"), field: value}
    response = client.post("/staff/organisations/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Organisation.select().count() == before


def test_duplicate_email_is_refused(client, admin, make):
    org = make.org()
    make.user(email="taken@example.kz")
    response = client.post(f"/staff/organisations/{org.id}/users/new", data=user_form(email="TAKEN@example.kz"))
    assert "Пользователь с таким адресом электронной почты уже есть." in response.get_data(as_text=True)


def test_first_head_needs_an_iin(client, admin, make):
    org = make.org()
    response = client.post(f"/staff/organisations/{org.id}/users/new", data=user_form(is_first_head="y"))
    assert "Для первого руководителя ИИН обязателен." in response.get_data(as_text=True)


def test_iin_and_bin_control_digits():
    assert is_valid_xin(make_xin("85010140001"))
    assert not is_valid_xin("850101400010" if make_xin("85010140001")[-1] != "0" else "850101400011")
    assert not is_valid_xin("12345")


def test_admin_unlocks_and_disables_accounts(client, admin, make):
    import datetime

    from core.db import utcnow

    user = make.user(locked_until=utcnow() + datetime.timedelta(minutes=10))
    client.post(f"/staff/users/{user.id}/unlock")
    assert User.get_by_id(user.id).locked_until is None
    form = user_form(email=user.email, last_name=user.last_name, iin=user.iin)
    form.pop("is_active")
    client.post(f"/staff/users/{user.id}/edit", data=form)
    assert User.get_by_id(user.id).is_active is False


def test_admin_cannot_remove_own_admin_rights(client, admin):
    form = user_form(email=admin.email, departments=["listing"])
    response = client.post(f"/staff/users/{admin.id}/edit", data=form, follow_redirects=True)
    assert "Нельзя отключить себя" in response.get_data(as_text=True)
    assert User.get_by_id(admin.id).departments == {"admin"}


@pytest.mark.parametrize("department", ["listing", "office", "trading"])
def test_only_exchange_admins_manage_accounts(client, auth, make, department):
    make.staff(department, email="staff@kase.kz")
    auth.login("staff@kase.kz")
    assert client.get("/staff/organisations").status_code == 403
    assert client.post("/staff/organisations/new", data=ORG_FORM).status_code == 403


def test_clients_never_reach_admin_screens(client, auth, make):
    make.user(email="a@example.kz", is_org_admin=True)
    auth.login("a@example.kz")
    assert client.get("/staff/organisations").status_code == 403
    assert client.get("/staff/users").status_code == 403


@pytest.mark.rule("G-9.2")
def test_users_tab_lists_only_active_users_of_the_organisation(client, auth, make):
    org, other = make.org(), make.org()
    make.user(org, email="a@example.kz", last_name="Активный")
    make.user(org, email="gone@example.kz", last_name="Уволенный", is_active=False)
    make.user(other, email="x@example.kz", last_name="Чужой")
    auth.login("a@example.kz")
    html = client.get("/users").get_data(as_text=True)
    assert "Активный" in html and "Уволенный" not in html and "Чужой" not in html
    assert "Добавить пользователей" not in html  # not an organisation admin


@pytest.mark.rule("G-9.2")
def test_organisation_admin_adds_users(client, auth, make, mailbox):
    org = make.org()
    make.user(org, email="boss@example.kz", is_org_admin=True)
    auth.login("boss@example.kz")
    assert "Добавить пользователей" in client.get("/users").get_data(as_text=True)
    response = client.post("/users/new", data=user_form(email="new@example.kz"))
    assert response.headers["Location"] == "/users"
    new = User.get(User.email == "new@example.kz")
    assert new.organisation_id == org.id and new.departments == set()
    mailbox.wait_for("new@example.kz")


@pytest.mark.rule("G-9.2")
def test_plain_users_cannot_add_users(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    assert client.get("/users/new").status_code == 403
    assert client.post("/users/new", data=user_form()).status_code == 403
    assert User.get_or_none(User.email == "alma@kztk.kz") is None


def test_organisation_search_by_code_name_or_bin(client, admin, make):
    make.org("ALFA", name_ru="Альфа")
    beta = make.org("BETA", name_ru="Бета")
    html = client.get("/staff/organisations?q=альф").get_data(as_text=True)
    assert "ALFA" in html and "BETA" not in html
    html = client.get(f"/staff/organisations?q={beta.bin}").get_data(as_text=True)
    assert "BETA" in html and "ALFA" not in html
    fragment = client.get("/staff/organisations?q=BETA", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "BETA" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
