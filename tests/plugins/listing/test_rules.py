"""The guide's rules for filing, approval, signing and the Exchange's processes, one by one."""

import datetime
import io

import pytest

from core.access import REFUSED
from core.audit.models import AuditEvent
from core.notifications.models import Notification
from core.signing import pki
from core.workflow.models import Application, ApplicationMember, Comment, Questionnaire, StageState, Transition
from tests.conftest import almaty_today, meeting_today
from tests.journeys import sign_key, version_of
from tests.plugins.listing.conftest import BASIC, GENERAL


def states(app_id):
    return {s.stage: s.status for s in StageState.select().where(StageState.application == app_id)}


@pytest.fixture
def issuer(auth, demo):
    auth.login("issuer@demo.kz")
    return demo["issuer@demo.kz"]


@pytest.mark.rule("G-13")
def test_filing_offers_own_company_and_a_consultant_files_for_its_partner(client, auth, demo, journey):
    auth.login("broker@demo.kz")
    page = client.get("/procedures/listing.shares/file").get_data(as_text=True)
    assert "DEMO — АО «Demo Issuer»" in page  # the partner issuer
    assert "BRKR — " not in page  # a consultant is not an issuer itself
    journey.create(company=str(demo["issuer@demo.kz"].organisation_id))
    app = Application.get_by_id(journey.app_id)
    assert app.organisation_id == demo["issuer@demo.kz"].organisation_id and app.filed_by_consultant
    # the issuer's admins take part at once
    assert ApplicationMember.get_or_none(application=app, user=demo["issuer@demo.kz"]) is not None


@pytest.mark.rule("G-13")
def test_procedures_page_has_file_buttons(client, issuer):
    html = client.get("/procedures").get_data(as_text=True)
    assert 'href="/procedures/listing.shares/file"' in html and "Подать" in html


@pytest.mark.rule("G-14")
def test_save_stays_done_moves_on_and_statuses_change(client, issuer, journey):
    journey.create()
    response = journey.stage("general", {"general-full_name": "АО «Demo»"}, do="save")
    assert response.headers["Location"].endswith("stage=general")
    assert states(journey.app_id)["general"] == "progress"
    incomplete = journey.stage("general", {"general-full_name": "АО «Demo»"}, do="done")
    assert incomplete.status_code == 422 and "Заполните поле «" in incomplete.get_data(as_text=True)
    assert states(journey.app_id)["general"] == "progress"  # nothing lost, nothing advanced
    done = journey.stage("general", GENERAL)
    assert done.headers["Location"].endswith("stage=consultant")
    assert states(journey.app_id)["general"] == "filled"
    page = client.get(journey.url("?stage=general")).get_data(as_text=True)
    assert "Заполнено" in page and "АО «Demo Issuer»" in page


@pytest.mark.rule("G-14")
def test_assigned_consultant_employee_is_notified_and_then_sees_and_fills(client, auth, demo, journey, mailbox):
    auth.login("issuer@demo.kz")
    journey.create()
    broker = demo["broker@demo.kz"]
    auth.logout()
    auth.login("broker@demo.kz")
    assert client.get(journey.url()).status_code == 404  # G-9.4: not yet assigned
    auth.logout()
    auth.login("issuer@demo.kz")
    client.post(journey.url("/stages/consultant/consultant"), data={"employee": str(broker.id)})
    assert states(journey.app_id)["consultant"] == "filled"
    assert Notification.get(Notification.user == broker).kind == "workflow.assigned"
    mailbox.wait_for("broker@demo.kz")
    auth.logout()
    auth.login("broker@demo.kz")
    assert client.get(journey.url()).status_code == 200
    assert journey.stage("basic", BASIC).status_code == 302
    assert states(journey.app_id)["basic"] == "filled"


@pytest.mark.rule("G-14")
def test_skip_stage_and_all_stages_filled_before_sending(client, issuer, journey):
    journey.create()
    client.post(journey.url("/stages/consultant/skip"))
    assert states(journey.app_id)["consultant"] == "skipped"
    assert client.post(journey.url("/stages/general/skip")).status_code == 302
    assert states(journey.app_id)["general"] == "empty"  # not skippable
    response = journey.act("send_to_head", expect=409)
    html = response.get_data(as_text=True)
    assert "Не все этапы заполнены" in html and "«Общие сведения»" in html and "«Документы»" in html
    assert Application.get_by_id(journey.app_id).process == "fill"


@pytest.mark.rule("G-15")
def test_delete_application_until_sent_to_the_exchange(client, issuer, journey, trusted, auth, demo):
    journey.create()
    assert client.post(journey.url("/delete")).headers["Location"] == "/applications"
    assert Application.get_or_none(Application.id == journey.app_id) is None
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    _sign_as_ceo(client, auth, journey, trusted, demo)
    auth.logout()
    auth.login("issuer@demo.kz")
    client.post(journey.url("/delete"))
    assert Application.get_or_none(Application.id == journey.app_id) is not None


@pytest.mark.rule("G-16")
def test_isin_format_and_check_digit_are_validated(client, issuer, journey):
    journey.create()
    path = journey.premium_path()
    levels = {f"level{i}": str(n) for i, n in enumerate(path)}
    bad_format = client.post(journey.url("/stages/additional/securities"), data={"isin": "KZ123", **levels})
    assert "ISIN состоит из 12 знаков" in bad_format.get_data(as_text=True)
    bad_check = client.post(journey.url("/stages/additional/securities"), data={"isin": "KZ1C00000877", **levels})
    assert "не сходится контрольная цифра" in bad_check.get_data(as_text=True)


@pytest.mark.rule("G-16")
def test_cascade_lists_depend_on_previous_choices_and_some_branches_have_no_form(client, issuer, journey):
    from core.workflow.models import CascadeNode

    journey.create()
    main, shares, premium, package = journey.premium_path()
    fragment = client.get(journey.url(f"?stage=additional&cascade=1&level0={main}"), headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Акции" in html and "Долговые ценные бумаги" in html
    alternative = CascadeNode.get((CascadeNode.parent.is_null()) & (CascadeNode.label_ru == "Альтернативная площадка"))
    alt_shares = CascadeNode.get((CascadeNode.parent == alternative) & (CascadeNode.label_ru == "Акции"))
    html = client.get(
        journey.url(f"?stage=additional&cascade=1&level0={alternative.id}&level1={alt_shares.id}"),
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "форма требований не предусмотрена" in html and "Добавить</button>" not in html
    # a tampered path (a category under another sector) is dropped by the server
    html = client.get(
        journey.url(f"?stage=additional&cascade=1&level0={alternative.id}&level1={shares}"),
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert 'name="level2"' not in html
    # without JavaScript the whole page carries the same cascade
    page = client.get(journey.url(f"?stage=additional&level0={main}&level1={shares}&level2={premium}"))
    assert "Пакеты требований" in page.get_data(as_text=True) and "<html" in page.get_data(as_text=True)


@pytest.mark.rule("G-16")
def test_catalogue_is_data_admins_edit(client, auth, demo):
    from core.workflow.models import CascadeNode

    auth.login("admin@exchange.demo")
    html = client.get("/staff/catalogues?catalogue=listing").get_data(as_text=True)
    assert "Основная площадка" in html and "Пакет требований к акциям категории «Премиум»" in html
    client.post(
        "/staff/catalogues/listing/nodes",
        data={"label_ru": "Площадка «Рост»", "label_kk": "«Өсу» алаңы", "label_en": "Growth market"},
    )
    node = CascadeNode.get(CascadeNode.label_ru == "Площадка «Рост»")
    assert node.level == 0 and node.parent is None
    client.post(f"/staff/catalogues/nodes/{node.id}/toggle")
    assert CascadeNode.get_by_id(node.id).is_active is False


@pytest.mark.rule("G-18")
def test_any_form_downloads_as_pdf(client, issuer, journey):
    journey.create()
    journey.stage("general", GENERAL)
    response = client.get(journey.url("/forms/listing.general.pdf"))
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def _pdf_text(data):
    import shutil
    import subprocess
    import tempfile

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", "-layout", fh.name, "-"], capture_output=True, check=True).stdout.decode()


@pytest.mark.rule("G-19")
@pytest.mark.rule("G-26")
def test_summary_of_all_forms_as_a_printable_pdf(client, issuer, journey):
    journey.create()
    journey.fill_all()
    text = _pdf_text(client.get(journey.url("/summary.pdf")).data)
    number = Application.get_by_id(journey.app_id).number
    for expected in (
        number,
        "Общие сведения",
        "АО «Demo Issuer»",
        "Анкета по ПОД/ФТ",
        "KZ1C00000876",
        "Премиум",
        "Стр. 1 из",
    ):
        assert expected in text, expected


def _to_first_head(client, auth, journey, fill=True):
    auth.login("issuer@demo.kz")
    journey.create()
    if fill:
        journey.fill_all()
    journey.act("send_to_head")
    auth.logout()
    auth.login("ceo@demo.kz")


@pytest.mark.rule("G-19")
def test_send_to_head_notifies_the_first_head(client, auth, demo, journey, mailbox):
    _to_first_head(client, auth, journey)
    ceo = demo["ceo@demo.kz"]
    assert Notification.get(Notification.user == ceo).kind == "workflow.handoff"
    assert "Проверка и согласование первым руководителем" in mailbox.body(mailbox.wait_for("ceo@demo.kz")[0])
    assert "Согласовано" in client.get(journey.url()).get_data(as_text=True)


@pytest.mark.rule("G-20")
def test_first_head_comments_returns_and_the_filler_sees_comments_beside_fields(client, auth, demo, journey):
    _to_first_head(client, auth, journey)
    dialog = client.get(
        journey.url("/comments/new?form=listing.general&field=phone&label=Телефон"), headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Продолжить" in dialog and "<html" not in dialog
    client.post(
        journey.url("/comments"),
        data={"form_code": "listing.general", "field": "phone", "text": "Укажите прямой номер"},
    )
    assert Comment.get().saved_at is None  # a draft until "Сохранить"
    client.post(journey.url("/comments/save"))
    comment = Comment.get()
    assert comment.saved_at is not None and comment.author_id == demo["ceo@demo.kz"].id
    journey.act("return", {"note": "Исправьте телефон"})
    app = Application.get_by_id(journey.app_id)
    assert app.process == "fill" and app.status == "revision"
    auth.logout()
    auth.login("issuer@demo.kz")
    page = client.get(journey.url("?stage=general")).get_data(as_text=True)
    assert "Укажите прямой номер" in page and "Сапаров Ерлан" in page


@pytest.mark.rule("G-20")
def test_return_needs_a_reason(client, auth, demo, journey):
    _to_first_head(client, auth, journey)
    response = journey.act("return", {"note": ""}, expect=422)
    assert "Напишите, что нужно исправить, или оставьте комментарий к полю." in response.get_data(as_text=True)


def _sign_as_ceo(client, auth, journey, trusted, demo, key=None):
    auth.logout()
    auth.login("ceo@demo.kz")
    journey.act("approve")
    document = client.get(journey.url("/signing-document")).data
    key = key or sign_key(trusted, demo["ceo@demo.kz"])
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    return journey.act("sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data")


@pytest.mark.rule("G-21")
@pytest.mark.rule("G-22")
def test_signature_of_the_exact_pdf_moves_to_registration(client, auth, journey, trusted, demo):
    _to_first_head(client, auth, journey)
    _sign_as_ceo(client, auth, journey, trusted, demo)
    app = Application.get_by_id(journey.app_id)
    assert app.process == "registration" and app.status == "submitted"


@pytest.mark.parametrize(
    "case, message",
    [
        ("tampered", "Подпись не соответствует документу"),
        ("another_person", "ИИН"),
        ("expired", "истёк"),
        ("untrusted", "доверенн"),
        ("auth_key", "аутентификац"),
    ],
)
def test_bad_signatures_are_refused_and_nothing_changes(client, auth, journey, trusted, demo, case, message):
    _to_first_head(client, auth, journey)
    journey.act("approve")
    document = client.get(journey.url("/signing-document")).data
    ceo = demo["ceo@demo.kz"]
    now = datetime.datetime.now(datetime.UTC)
    if case == "tampered":
        key, document = sign_key(trusted, ceo), document + b"\n% changed"
    elif case == "another_person":
        key = sign_key(trusted, demo["issuer@demo.kz"])
    elif case == "expired":
        key = sign_key(
            trusted, ceo, not_before=now - datetime.timedelta(days=400), not_after=now - datetime.timedelta(days=1)
        )
    elif case == "untrusted":
        key = sign_key(pki.make_ca("Test NCA KZ"), ceo)  # a look-alike CA: same name, another key
    else:
        key = sign_key(trusted, ceo, purpose="auth")
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    before = version_of(journey.app_id)
    response = journey.act(
        "sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data", expect=409
    )
    assert message in response.get_data(as_text=True)
    app = Application.get_by_id(journey.app_id)
    assert app.process == "signing" and app.version == before and app.submitted_at is None


@pytest.mark.rule("G-22")
def test_office_registers_with_number_and_date(client, auth, journey, trusted, demo):
    _to_first_head(client, auth, journey)
    _sign_as_ceo(client, auth, journey, trusted, demo)
    auth.logout()
    auth.login("office@exchange.demo")
    inbox = client.get("/staff/inbox?department=office").get_data(as_text=True)
    assert Application.get_by_id(journey.app_id).number in inbox and "осталось раб. дней" in inbox
    journey.act("register", {"registration_number": "ВХ-77", "registered_on": "2026-11-23"})
    app = Application.get_by_id(journey.app_id)
    assert (app.registration_number, app.registered_on, app.process) == ("ВХ-77", datetime.date(2026, 11, 23), "review")


def _to_review(client, auth, journey, trusted, demo):
    _to_first_head(client, auth, journey)
    _sign_as_ceo(client, auth, journey, trusted, demo)
    auth.logout()
    auth.login("office@exchange.demo")
    journey.act("register", {"registration_number": "ВХ-1", "registered_on": "2026-11-23"})
    auth.logout()
    auth.login("listing@exchange.demo")


@pytest.mark.rule("G-23")
def test_request_for_documents_goes_back_to_the_client_who_answers_and_resigns(
    client, auth, journey, trusted, demo, mailbox
):
    _to_review(client, auth, journey, trusted, demo)
    deadline = (almaty_today() + datetime.timedelta(days=10)).isoformat()
    journey.act("request_documents", {"note": "Представьте протокол собрания акционеров", "deadline": deadline})
    assert Application.get_by_id(journey.app_id).status == "revision"
    assert Notification.select().where(Notification.user == demo["issuer@demo.kz"]).count() >= 1
    auth.logout()
    auth.login("issuer@demo.kz")
    page = client.get(journey.url()).get_data(as_text=True)
    assert "Представьте протокол собрания акционеров" in page
    journey.act(
        "answer",
        {"note": "Протокол приложен", "files": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "protocol.pdf")},
        content_type="multipart/form-data",
    )
    assert Application.get_by_id(journey.app_id).process == "resigning"
    auth.logout()
    auth.login("ceo@demo.kz")
    document = client.get(journey.url("/signing-document")).data
    assert "Протокол приложен" in _pdf_text(document)
    key = sign_key(trusted, demo["ceo@demo.kz"])
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    journey.act("sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data")
    assert Application.get_by_id(journey.app_id).process == "review"


@pytest.mark.rule("G-24")
def test_view_of_application_and_documents_in_every_process(client, auth, journey, trusted, demo):
    _to_review(client, auth, journey, trusted, demo)
    page = client.get(journey.url()).get_data(as_text=True)
    assert "Просмотр заявления и документов, направленных на Биржу" in page
    summary = client.get(journey.url("/summary")).get_data(as_text=True)
    assert "Подписанное заявление" in summary and "Устав эмитента" in summary


@pytest.mark.rule("G-25")
def test_withdrawal_until_the_meeting_is_scheduled(client, auth, journey, trusted, demo):
    _to_review(client, auth, journey, trusted, demo)
    auth.logout()
    auth.login("issuer@demo.kz")
    assert "Отзыв заявления" in client.get(journey.url()).get_data(as_text=True)
    auth.logout()
    auth.login("listing@exchange.demo")
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    auth.logout()
    auth.login("issuer@demo.kz")
    assert "Отзыв заявления" not in client.get(journey.url()).get_data(as_text=True)
    journey.act("withdraw", expect=302)
    assert Application.get_by_id(journey.app_id).process == "meeting"  # refused: "Это действие сейчас недоступно."


@pytest.mark.rule("G-25")
def test_client_withdraws_during_review(client, auth, journey, trusted, demo):
    _to_review(client, auth, journey, trusted, demo)
    auth.logout()
    auth.login("issuer@demo.kz")
    journey.act("withdraw")
    app = Application.get_by_id(journey.app_id)
    assert app.process == "withdrawn" and app.status == "withdrawn"


@pytest.mark.rule("G-24")
@pytest.mark.rule("G-9.5")
def test_letter_reaches_the_client_and_archive_keeps_it(client, auth, journey, trusted, demo, mailbox):
    _to_review(client, auth, journey, trusted, demo)
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act("decide", {"result": "approved", "note": "Включить"})
    journey.act("issue_letter", {"title": "Заключение Биржи"}, content_type="multipart/form-data")
    assert "Заключение Биржи" in mailbox.body(mailbox.wait_for("issuer@demo.kz")[-1])
    journey.act("archive")
    auth.logout()
    auth.login("issuer@demo.kz")
    archive = client.get("/archive").get_data(as_text=True)
    assert Application.get_by_id(journey.app_id).number in archive and "Подробнее" in archive
    page = client.get(journey.url()).get_data(as_text=True)
    assert "Заключение Биржи" in page


@pytest.mark.rule("G-9.6")
def test_questionnaire_of_an_archived_application_prefills_a_new_one(client, auth, journey, trusted, demo):
    _to_review(client, auth, journey, trusted, demo)
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act("decide", {"result": "approved", "note": "Включить"})
    journey.act("issue_letter", {"title": "Письмо"}, content_type="multipart/form-data")
    journey.act("archive")
    auth.logout()
    auth.login("issuer@demo.kz")
    assert "Анкета по ПОД/ФТ" in client.get("/questionnaires").get_data(as_text=True)
    old = journey.app_id
    journey.create()
    page = client.get(journey.url("?stage=aml")).get_data(as_text=True)
    assert "Заполнить из анкеты" in page
    source = Questionnaire.get((Questionnaire.form_code == "aml") & (Questionnaire.application == old))
    client.post(journey.url("/prefill/aml"), data={"questionnaire": str(source.id)})
    page = client.get(journey.url("?stage=aml")).get_data(as_text=True)
    assert "Петров П.П., комплаенс-контролер" in page


def test_a_user_not_assigned_cannot_see_or_act(client, auth, demo, journey, make):
    auth.login("issuer@demo.kz")
    journey.create()
    auth.logout()
    outsider = make.user(demo["issuer@demo.kz"].organisation, email="colleague@demo.kz")
    auth.login("colleague@demo.kz")
    assert client.get(journey.url()).status_code == 404
    assert journey.stage("general", GENERAL).status_code == 404
    assert client.post(journey.url("/delete")).status_code == 404
    assert states(journey.app_id)["general"] == "empty"
    # the colleague's three refusals are on the record as theirs, with the application they asked for
    refused = AuditEvent.select().where((AuditEvent.action == REFUSED) & (AuditEvent.actor == outsider))
    assert [(e.object_type, e.object_id) for e in refused] == [("application", str(journey.app_id))] * 3
    auth.logout()
    auth.login("listing@exchange.demo")  # the Exchange sees it only once it is sent
    assert client.get(journey.url()).status_code == 404


def test_a_double_click_never_advances_twice(client, auth, demo, journey):
    _to_first_head(client, auth, journey)
    version = version_of(journey.app_id)
    first = client.post(journey.url("/act/approve"), data={"version": str(version)})
    second = client.post(journey.url("/act/approve"), data={"version": str(version)})
    assert first.status_code == 302 and second.status_code in (302, 409)
    assert Transition.select().where(Transition.action == "approve").count() == 1


def test_history_shows_every_action(client, auth, demo, journey):
    _to_first_head(client, auth, journey)
    html = client.get(journey.url("/history")).get_data(as_text=True)
    for label in ("Заявление создано", "Этап заполнен", "Направить на согласование"):
        assert label in html


@pytest.mark.rule("G-23")
def test_deadlines_and_days_left_in_the_inbox(client, auth, journey, trusted, demo):
    _to_review(client, auth, journey, trusted, demo)
    app = Application.get_by_id(journey.app_id)
    assert app.deadline is not None
    inbox = client.get("/staff/inbox?department=listing").get_data(as_text=True)
    assert app.number in inbox and app.deadline.strftime("%d.%m.%Y") in inbox
    overdue = client.get("/staff/inbox?department=listing&overdue=1").get_data(as_text=True)
    assert app.number not in overdue


def test_an_application_keeps_the_procedure_version_it_was_created_with(app, client, issuer, journey):
    import dataclasses

    from core.workflow import engine

    journey.create()
    old = app.extensions["is2in.procedures"]["listing.shares"]
    new = dataclasses.replace(old, version=2, processes=old.processes[:1] + old.processes[1:])
    app.extensions["is2in.procedure_versions"][("listing.shares", 2)] = new
    app.extensions["is2in.procedures"]["listing.shares"] = new
    with app.app_context():
        assert engine.definition(Application.get_by_id(journey.app_id)).version == 1
    journey.create()
    assert Application.get_by_id(journey.app_id).procedure_version == 2
