"""Issue 15: every form says all its errors at once. An empty submit answers one page whose error summary
(GOV.UK's pattern) names every required field with a link to it, is focused on arrival (autofocus; htmx
focuses it after a swap too), and is the page's only "not saved" banner; the browser's own validation is
off (no ``required`` attribute) so the server's messages, which name the field, are the ones shown."""

import re

import pytest

NOT_SAVED = "Проверьте выделенные поля: данные не сохранены."

# (who, the form's page) for each kind of form: a person's profile, a new user, a new organisation,
# a publication, an insider, a password reminder, a password change.
FORMS = [
    ("issuer@demo.kz", "/cabinet/profile"),
    ("issuer@demo.kz", "/users/new"),
    ("admin@exchange.demo", "/staff/organisations/new"),
    ("admin@exchange.demo", "/regulations/new"),
    ("admin@exchange.demo", "/insiders/new"),
    ("admin@exchange.demo", "/password/change"),
    (None, "/password/forgot"),
]


def _required_controls(html: str) -> dict[str, str]:
    """id → label text of every control the form marks required (aria-required)."""
    found = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'aria-required="true"' in tag and (match := re.search(r'\bid="([^"]+)"', tag)):
            label = re.search(rf'<label for="{re.escape(match.group(1))}">([^<*]+)', html)
            found[match.group(1)] = label.group(1).strip() if label else match.group(1)
    return found


def _summary(html: str) -> str:
    match = re.search(r'<div class="error-summary"[^>]*>.*?</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


@pytest.mark.parametrize(("email", "url"), FORMS)
def test_an_empty_submit_names_every_required_field_at_once(client, auth, demo, email, url):
    if email:
        auth.login(email)
    form_page = client.get(url).get_data(as_text=True)
    required = _required_controls(form_page)
    assert required, f"{url}: no required field marked"
    assert not re.search(r"<(?:input|select|textarea)\b[^>]*\srequired[\s>=]", form_page), "browser validation left on"
    fields = dict.fromkeys(re.findall(r'\bname="([^"]+)"', form_page.split("<main", 1)[1]), "")
    fields.pop("csrf_token", None)
    fields = {name: "" for name in fields if name not in ("lang", "next")}
    response = client.post(url, data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422), response.status_code
    summary = _summary(html)
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    for control, label in required.items():
        assert f'href="#{control}"' in summary, f"{url}: {label} ({control}) not in the summary"
    # each message names its field: a generic "fill in this field" is rewritten with the label
    assert "Заполните это поле." not in html
    assert html.count(NOT_SAVED) == 1, "one banner, not two"


def test_the_summary_links_the_first_option_of_a_group(app):
    """A group of radio buttons or checkboxes is reached through its first option (the fieldset itself
    takes no focus)."""
    import wtforms
    from flask_wtf import FlaskForm

    from core.forms import error_list

    class Form(FlaskForm):
        kind = wtforms.RadioField(
            "Вид",
            choices=[("a", "A"), ("b", "B")],
            validators=[wtforms.validators.InputRequired("Заполните это поле.")],
        )
        name = wtforms.StringField(
            "Наименование", validators=[wtforms.validators.DataRequired("Укажите наименование.")]
        )

    with app.test_request_context("/", method="POST", data={}):
        form = Form(meta={"csrf": False})
        assert not form.validate()
        assert error_list(form) == [
            ("kind-0", "Вид", "Заполните поле «Вид»."),
            ("name", "Наименование", "Укажите наименование."),
        ]


def test_the_403_page_says_why_and_whom_to_ask(client, auth, demo):
    auth.login("broker@demo.kz")
    html = client.get("/staff/inbox").get_data(as_text=True)
    assert "Страница открыта только сотрудникам Биржи" in html
    auth.logout()
    auth.login("admin@exchange.demo")
    response = client.get("/users/new")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "не сотрудникам Биржи" in html and "администратору системы is2in" in html


def test_a_client_is_told_which_of_its_administrators_grants_rights(client, auth, make):
    org = make.org()
    make.user(org, email="boss@example.kz", is_org_admin=True, first_name="Айдана", last_name="Сеитова")
    make.user(org, email="clerk@example.kz")
    auth.login("clerk@example.kz")
    response = client.get("/users/new")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Страница открыта только администратору организации." in html
    assert "boss@example.kz" in html


def test_a_server_error_has_its_own_page_not_the_404_one(app, client):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    from core.access import Rule, _declare

    app.view_functions["boom"] = _declare(Rule("public"))(boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Внутренняя ошибка" in html and "Страница не найдена" not in html
    assert "номер запроса" in html
