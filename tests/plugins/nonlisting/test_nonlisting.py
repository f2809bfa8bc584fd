"""The unlisted sector and KASE Private Market through the Flask client: both procedures end to end,
the KASE Private Market cascade, the forms' checks, and the plugin switched off."""

import pytest

from core import create_app
from core.workflow.models import Application, Attachment, CascadeNode, Questionnaire, StageState, Transition
from tests.conftest import meeting_today
from tests.plugins.nonlisting.conftest import ISSUER, PRIVATE_APPLICATION, SECURITIES, kpm_node

CHAIN = ["send_to_head", "approve", "sign", "register", "schedule", "decide", "issue_letter", "archive"]


def states(app_id):
    return {s.stage: s.status for s in StageState.select().where(StageState.application == app_id)}


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-9.1")
def test_both_procedures_are_filed_under_the_second_category(client, auth, demo):
    auth.login("issuer@demo.kz")
    html = client.get("/procedures").get_data(as_text=True)
    section = html.split("Сектор «Нелистинговые ценные бумаги» и KASE Private Market", 1)[1]
    for code, title in (
        ("nonlisting.admission", "Допуск ценных бумаг к обращению в секторе «Нелистинговые ценные бумаги»"),
        ("nonlisting.private_market", "Допуск финансовых инструментов на площадку KASE Private Market"),
    ):
        assert title in section and f'href="/procedures/{code}/file"' in section
    assert "Документ о государственной регистрации выпуска ценных бумаг" in section  # "Перечень документов"
    auth.logout()
    auth.login("seller@demo.kz")  # an Exchange member is not an issuer: listed, but not offered
    assert client.get("/procedures/nonlisting.admission/file").status_code == 403


@pytest.mark.rule("G-13")
@pytest.mark.rule("G-14")
@pytest.mark.rule("G-19")
@pytest.mark.rule("G-21")
@pytest.mark.rule("G-23")
@pytest.mark.rule("G-24")
def test_admission_to_the_unlisted_sector_from_filing_to_archive(client, auth, demo, filing, trusted, mailbox):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.admission")
    filing.fill_sector(consultant=demo["broker@demo.kz"])
    assert set(states(filing.app_id).values()) == {"filled"}
    filing.act("send_to_head")
    app = Application.get_by_id(filing.app_id)
    assert app.number.startswith("N-") and app.process == "approval"
    assert "Проверка и согласование первым руководителем" in mailbox.body(mailbox.wait_for("ceo@demo.kz")[0])

    filing.sign_as("ceo@demo.kz", demo["ceo@demo.kz"], trusted)
    app = Application.get_by_id(filing.app_id)
    assert app.process == "registration" and app.submitted_at is not None

    filing.register()
    auth.logout()
    auth.login("listing@exchange.demo")  # department "listing" reviews it
    assert app.number in client.get("/staff/inbox?department=listing").get_data(as_text=True)
    filing.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    page = client.get(filing.url()).get_data(as_text=True)
    assert "Рассмотрение на заседании: Правление Биржи" in page  # the Board decides, not the commission
    assert "Листинговой комиссии" not in page
    filing.act("decide", {"result": "approved", "note": "Допустить облигации в сектор."})
    filing.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
    filing.act("archive")

    app = Application.get_by_id(filing.app_id)
    assert app.status == "archived" and app.decision.startswith("Положительное решение")
    assert [t.action for t in Transition.select().order_by(Transition.id)] == CHAIN
    with client.application.app_context():
        assert Attachment.get(Attachment.kind == "letter").file.read().startswith(b"%PDF")
    assert {q.form_code for q in Questionnaire.select()} == {"nonlisting.issuer", "aml"}
    summary = client.get(filing.url("/summary")).get_data(as_text=True)
    for expected in (SECURITIES["securities-isin"], "Облигации", "Ким Виктор", "Подписанное заявление"):
        assert expected in summary, expected


@pytest.mark.rule("G-13")
@pytest.mark.rule("G-16")
@pytest.mark.rule("G-19")
def test_admission_to_kase_private_market_filed_by_the_consultant(client, auth, demo, filing, trusted):
    auth.login("broker@demo.kz")  # the financial consultant files for its partner issuer
    filing.create("nonlisting.private_market", company=str(demo["issuer@demo.kz"].organisation_id))
    filing.fill_private_market()
    assert "/act/send_to_head" not in client.get(filing.url()).get_data(as_text=True)  # the applicant sends
    auth.logout()
    auth.login("issuer@demo.kz")
    filing.act("send_to_head")
    filing.sign_as("ceo@demo.kz", demo["ceo@demo.kz"], trusted)
    filing.register()
    app = filing.decide("listing@exchange.demo", note="Допустить облигации на площадку KASE Private Market.")
    assert app.number.startswith("KPM-") and app.status == "archived" and app.filed_by_consultant
    assert [t.action for t in Transition.select().order_by(Transition.id)] == CHAIN
    summary = client.get(filing.url("/summary")).get_data(as_text=True)
    for expected in ("KZ2P00000425", "Облигации › Купонные облигации", "Два раза в год", "Только квалифицированные"):
        assert expected in summary, expected


@pytest.mark.rule("G-16")
def test_kpm_cascade_fragment_depends_on_the_type_chosen(client, auth, demo, filing):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.private_market")
    shares, common = kpm_node("Акции", "Простые акции")
    bonds, coupon = kpm_node("Облигации", "Купонные облигации")
    fragment = client.get(filing.url(f"?stage=instruments&cascade=1&level0={shares}"), headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in html and "Вид инструмента" in html
    assert "Простые акции" in html and "Привилегированные акции" in html and "Купонные облигации" not in html
    assert "Добавить</button>" not in html  # nothing to add until the last level is chosen
    leaf = client.get(
        filing.url(f"?stage=instruments&cascade=1&level0={shares}&level1={common}"), headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Добавить</button>" in leaf
    # digital assets are listed, but no requirement form is provided for them
    digital = kpm_node("Цифровые активы", "Обеспеченные цифровые активы")
    html = client.get(
        filing.url(f"?stage=instruments&cascade=1&level0={digital[0]}&level1={digital[1]}"),
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "форма требований не предусмотрена" in html and "Добавить</button>" not in html
    # a tampered path (a bond kind under shares) is dropped by the server
    html = client.get(
        filing.url(f"?stage=instruments&cascade=1&level0={shares}&level1={coupon}"), headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Добавить</button>" not in html and f'value="{coupon}" selected' not in html
    assert bonds


@pytest.mark.rule("G-16")
def test_kpm_cascade_works_without_javascript(client, auth, demo, filing):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.private_market")
    shares, common = kpm_node("Акции", "Простые акции")
    page = client.get(filing.url(f"?stage=instruments&level0={shares}&level1={common}"))
    html = page.get_data(as_text=True)
    assert "<html" in html and "Тип инструмента" in html and "Добавить</button>" in html
    assert f'value="{common}" selected' in html
    # a plain POST with a branch that has no form is refused and the page says why
    digital = kpm_node("Цифровые активы", "Обеспеченные цифровые активы")
    refused = client.post(
        filing.url("/stages/instruments/securities"),
        data={"isin": "KZ2P00000425", "level0": str(digital[0]), "level1": str(digital[1])},
    )
    assert refused.status_code == 422 and "Выберите все уровни: Тип инструмента › Вид инструмента" in (
        refused.get_data(as_text=True)
    )


@pytest.mark.rule("G-16")
def test_each_kpm_leaf_opens_its_own_requirement_form(client, auth, demo, filing):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.private_market")
    shares = kpm_node("Акции", "Привилегированные акции")
    response = client.post(
        filing.url("/stages/instruments/securities"),
        data={"isin": "KZ1C00000876", "level0": str(shares[0]), "level1": str(shares[1])},
    )
    form_url = response.headers["Location"]
    page = client.get(form_url).get_data(as_text=True)
    assert "Количество размещенных акций, штук" in page and "Ставка вознаграждения" not in page
    too_many = client.post(
        form_url, data={"shares_count": "100", "offered_count": "200", "equity": "1000", "years": "3"}
    )
    assert too_many.status_code == 422 and "Нельзя предложить больше акций, чем размещено." in (
        too_many.get_data(as_text=True)
    )
    assert client.post(form_url, data={"shares_count": "100", "equity": "1000", "years": "3"}).status_code == 302
    filing.add_instrument(
        ("Паи инвестиционных фондов", "Паи закрытых паевых инвестиционных фондов"),
        isin="KZ1C00000884",
        values={
            "fund_name": "ЗПИФ «Demo Ventures»",
            "management_company": "АО «Demo Asset Management»",
            "rules_registered_on": "2023-03-01",
            "units_count": "10000",
            "unit_value": "15000",
            "custodian": "АО «Demo Bank»",
        },
    )
    assert client.post(filing.url("/stages/instruments/securities/done")).status_code == 302
    assert states(filing.app_id)["instruments"] == "filled"


@pytest.mark.rule("G-16")
def test_the_kpm_catalogue_is_data_exchange_admins_edit(client, auth, demo):
    auth.login("admin@exchange.demo")
    html = client.get("/staff/catalogues?catalogue=kpm").get_data(as_text=True)
    for label in ("Акции", "Паи закрытых паевых инвестиционных фондов", "Цифровые активы", "Требования к облигациям"):
        assert label in html, label
    assert CascadeNode.select().where(CascadeNode.catalogue == "kpm", CascadeNode.form_code != "").count() == 6


@pytest.mark.rule("G-14")
@pytest.mark.rule("G-16")
def test_simple_forms_check_their_fields(client, auth, demo, filing):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.admission")
    no_bin = filing.stage("issuer", {**ISSUER, "issuer-bin": ""})
    assert no_bin.status_code == 422 and "Укажите БИН." in no_bin.get_data(as_text=True)
    nonresident = filing.stage("issuer", {**ISSUER, "issuer-bin": "", "issuer-residency": "nonresident"})
    assert nonresident.status_code == 302
    no_maturity = filing.stage("instrument", {**SECURITIES, "securities-maturity": ""})
    assert "Укажите дату погашения облигаций." in no_maturity.get_data(as_text=True)
    bad_isin = filing.stage("instrument", {**SECURITIES, "securities-isin": "KZ2C00001230"})
    assert "не сходится контрольная цифра" in bad_isin.get_data(as_text=True)
    assert states(filing.app_id)["instrument"] == "empty"
    saved = filing.stage("statement", {"application-request": "Черновик"}, do="save")  # "Сохранить" keeps a draft
    assert saved.status_code == 302 and states(filing.app_id)["statement"] == "progress"


def test_kpm_statement_requires_the_purpose_and_confirmation(client, auth, demo, filing):
    auth.login("issuer@demo.kz")
    filing.create("nonlisting.private_market")
    data = {**PRIVATE_APPLICATION, "kpm_application-purpose": ""}
    data.pop("kpm_application-confirm")
    html = filing.stage("statement", data).get_data(as_text=True)
    assert "Заполните поле «" in html and "Подтвердите достоверность сведений." in html


def test_the_procedures_read_in_kazakh_and_english(client, auth, demo):
    auth.login("issuer@demo.kz")
    client.post("/language", data={"lang": "kk", "next": "/procedures"})
    html = client.get("/procedures").get_data(as_text=True)
    assert "KASE Private Market" in html and "Допуск финансовых инструментов" not in html
    client.post("/language", data={"lang": "en", "next": "/procedures"})
    html = client.get("/procedures").get_data(as_text=True)
    assert "Admission of financial instruments to the KASE Private Market platform" in html


def test_the_plugin_can_be_switched_off(app_config, auth_factory, demo):
    app = create_app({**app_config, "DISABLED_PLUGINS": ["nonlisting"]})
    assert not [code for code in app.extensions["is2in.procedures"] if code.startswith("nonlisting.")]
    assert "listing.shares" in app.extensions["is2in.procedures"]
    client = auth_factory(app, "issuer@demo.kz")
    html = client.get("/procedures").get_data(as_text=True)
    assert "KASE Private Market" not in html and "Включение акций в официальный список" in html
    assert client.get("/procedures/nonlisting.admission/file").status_code == 404
    for path in ("/", "/applications", "/archive", "/questionnaires"):
        assert client.get(path).status_code == 200, path
