"""Issue #16: the filing journey as its people live it — where a real issuer, first head or Exchange employee
stumbled, each checked as that person does it through the pages."""

import datetime
import io
import re

import pytest

from core.accounts.models import User
from core.audit.models import AuditEvent
from core.signing import pki
from core.workdays import add_working_days
from core.workflow import engine
from core.workflow.models import Application, Attachment, Comment
from tests.conftest import meeting_today
from tests.journeys import PDF, sign_key
from tests.plugins.listing.conftest import GENERAL

STATUTE = "Устав эмитента"
STATEMENTS = "Годовая финансовая отчетность за последние три года с аудиторскими отчетами"


@pytest.fixture(autouse=True)
def _demo(demo):
    """The demo organisations and people: the issuer DEMO, its first head, the consultant, the Exchange."""
    return demo


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def to_first_head(auth, journey, note=""):
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all()
    journey.act("send_to_head", {"note": note} if note else None)
    auth.logout()
    auth.login("ceo@demo.kz")


def upload(client, journey, title, name, data=PDF):
    return client.post(
        journey.url("/stages/documents/documents"),
        data={"title": title, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- 1. "Удалить заявление" top right, on every stage, until sent (G-15) ----------------------------------


@pytest.mark.rule("G-15")
def test_delete_application_is_in_the_header_on_every_stage_until_sent(client, auth, journey, trusted, demo):
    auth.login("issuer@demo.kz")
    journey.create()
    for stage in ("general", "consultant", "documents", "aml", "send"):
        html = page_of(client, journey.url(f"?stage={stage}"))
        header = html[html.index('class="panel app-head"') : html.index("</section>", html.index("app-head"))]
        assert "Удалить заявление" in header, stage  # in the application's header, not down a tab
    journey.fill_all()
    journey.act("send_to_head")
    assert "Удалить заявление" in page_of(client, journey.url())  # with the first head: not yet sent
    auth.logout()
    auth.login("ceo@demo.kz")
    journey.act("approve")
    document = client.get(journey.url("/signing-document")).data
    key = sign_key(trusted, demo["ceo@demo.kz"])
    journey.act(
        "sign",
        {"signature": (io.BytesIO(pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)), "s.p7s")},
        content_type="multipart/form-data",
    )
    auth.logout()
    auth.login("issuer@demo.kz")
    assert "Удалить заявление" not in page_of(client, journey.url())  # sent to the Exchange
    client.post(journey.url("/delete"))
    assert Application.get_or_none(Application.id == journey.app_id) is not None


# --- 2. the first head approves what he sees (G-20) ----------------------------------------------------------


@pytest.mark.rule("G-20")
def test_the_approval_screen_shows_the_whole_application_with_comment_buttons(client, auth, journey):
    to_first_head(auth, journey, note="Прошу согласовать до пятницы")
    html = page_of(client, journey.url())
    # every form's values, the documents and the filer's covering note are on the screen he approves
    for seen in ("Алматы, пр. Абая, 1", "info@demo.kz", "Просим включить акции", STATUTE, "Петров П.П."):
        assert seen in html, seen
    assert "Прошу согласовать до пятницы" in html
    # "Комментировать" beside each field: at least one per row of the general information
    assert html.count(">Комментировать<") >= len(GENERAL)
    assert 'aria-label="Комментировать: Юридический адрес"' in html
    # the guide's order: Сохранить, Вернуть на доработку, Согласовано
    form = html[html.index('class="action decision"') :]
    positions = [form.index(f">{label}</button>") for label in ("Сохранить", "Вернуть на доработку", "Согласовано")]
    assert positions == sorted(positions)
    assert 'name="decision-note"' in form and "required" not in form[: form.index("</textarea>")]


@pytest.mark.rule("G-20")
def test_approved_without_a_comment_and_returned_with_field_comments_only(client, auth, journey):
    to_first_head(auth, journey)
    journey.act("return", {"note": ""}, expect=422)  # a return says what to fix
    client.post(
        journey.url("/comments"),
        data={"form_code": "listing.general", "field": "phone", "text": "Укажите прямой номер"},
    )
    journey.act("return", {"note": ""})  # the comment beside the field says it
    app = Application.get_by_id(journey.app_id)
    assert app.process == "fill" and Comment.get().saved_at is not None  # his draft went back saved
    auth.logout()
    auth.login("issuer@demo.kz")
    html = page_of(client, journey.url("?stage=general"))
    assert "Возвращено на доработку" in html and "Укажите прямой номер" in html
    journey.act("send_to_head")
    auth.logout()
    auth.login("ceo@demo.kz")
    response = journey.act("approve", {"note": ""})  # no comment needed to approve
    assert Application.get_by_id(journey.app_id).process == "signing"
    assert "Заявление согласовано. Подпишите его ЭЦП." in page_of(client, response.headers["Location"])


@pytest.mark.rule("G-20")
def test_save_on_the_approval_screen_keeps_him_there(client, auth, journey):
    to_first_head(auth, journey)
    client.post(journey.url("/comments"), data={"form_code": "listing.general", "field": "phone", "text": "Проверьте"})
    response = client.post(journey.url("/comments/save?back=application"))
    assert response.headers["Location"].endswith(journey.url())
    assert "Комментарии сохранены: 1." in page_of(client, journey.url())


def test_the_first_head_lands_on_the_task_waiting_for_him_at_first_sign_in(client, auth, journey, demo):
    to_first_head(auth, journey)
    auth.logout()
    User.update(last_login_at=None).where(User.email == "ceo@demo.kz").execute()
    response = auth.login("ceo@demo.kz")
    assert response.headers["Location"].endswith(journey.url())
    # with nothing waiting, the first sign-in opens the profile as before
    auth.logout()
    User.update(last_login_at=None).where(User.email == "issuer@demo.kz").execute()
    assert auth.login("issuer@demo.kz").headers["Location"].endswith("/cabinet/profile")


# --- 3. one document to sign, named; a signature over another document says which ---------------------------


@pytest.mark.rule("G-21")
def test_a_signature_over_the_summary_pdf_says_so_and_a_good_one_says_what_happened(client, auth, journey, trusted):
    to_first_head(auth, journey)
    journey.act("approve")
    number = Application.get_by_id(journey.app_id).number
    html = page_of(client, journey.url())
    assert html.count('href="/applications/%d/signing-document"' % journey.app_id) == 1
    assert f"Заявление {number}.pdf" in html
    disposition = client.get(journey.url("/signing-document")).headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition and number in disposition
    ceo = User.by_email("ceo@demo.kz")
    key = sign_key(trusted, ceo)
    summary = client.get(journey.url("/summary.pdf")).data  # reached from the summary page
    cms = pki.sign_detached_with_openssl(summary, key.cert_pem, key.key_pem)
    response = journey.act(
        "sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data", expect=409
    )
    text = response.get_data(as_text=True)
    assert "сводку по заявлению" in text and f"Заявление {number}.pdf" in text
    assert Application.get_by_id(journey.app_id).process == "signing"
    document = client.get(journey.url("/signing-document")).data
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    response = journey.act("sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data")
    assert "Заявление подписано и направлено в канцелярию Биржи." in page_of(client, response.headers["Location"])


# --- 4. documents replace, history kept ---------------------------------------------------------------------


def test_a_document_uploaded_again_replaces_the_old_file_which_stays_in_the_history(client, auth, journey):
    auth.login("issuer@demo.kz")
    journey.create()
    for name in ("ustav-v1.pdf", "ustav-v2.pdf", "ustav-v3.pdf"):
        assert upload(client, journey, STATUTE, name).status_code == 302
    in_force = Attachment.select().where((Attachment.kind == "document") & (Attachment.title == STATUTE))
    assert [a.file.original_name for a in in_force] == ["ustav-v3.pdf"]
    assert Attachment.select().where(Attachment.kind == "replaced").count() == 2
    html = page_of(client, journey.url("?stage=documents"))
    table = html[html.index('<table class="table documents">') : html.index("</table>", html.index("documents"))]
    assert "ustav-v3.pdf" in table and "ustav-v1.pdf" not in table
    assert 'aria-label="Удалить файл ustav-v3.pdf (Устав эмитента)"' in html
    assert "Файл документа заменён" in page_of(client, journey.url("/history"))
    assert "ustav-v1.pdf → ustav-v2.pdf" in page_of(client, journey.url("/history"))
    # where the list allows several files (three years of statements), each is kept, with its size
    for name in ("2023.pdf", "2024.pdf", "2025.pdf"):
        upload(client, journey, STATEMENTS, name)
    assert Attachment.select().where((Attachment.kind == "document") & (Attachment.title == STATEMENTS)).count() == 3
    html = page_of(client, journey.url("?stage=documents"))
    assert all(name in html for name in ("2023.pdf", "2024.pdf", "2025.pdf")) and f"{len(PDF)} Б" in html


def test_the_first_head_and_the_summary_see_only_the_file_in_force(client, auth, journey):
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all()  # uploads doc.pdf for each document
    upload(client, journey, STATUTE, "ustav-final.pdf")
    client.post(journey.url("/stages/documents/documents/done"))
    journey.act("send_to_head")
    auth.logout()
    auth.login("ceo@demo.kz")
    html = page_of(client, journey.url())
    assert "ustav-final.pdf" in html
    assert html.count(f"<td>{STATUTE}</td>") == 1


def test_answer_documents_are_titled_by_what_they_are(client, auth, journey, trusted, demo):
    from tests.plugins.listing.test_rules import _to_review

    _to_review(client, auth, journey, trusted, demo)
    journey.act("request_documents", {"note": "Протокол", "deadline": "2099-01-10"})
    auth.logout()
    auth.login("issuer@demo.kz")
    journey.act(
        "answer",
        {"note": "Приложен", "files": (io.BytesIO(PDF), "scan_0001.pdf")},
        content_type="multipart/form-data",
    )
    item = Attachment.get(Attachment.kind == "additional")
    assert item.title == "Документ к ответу на запрос Биржи" and item.file.original_name == "scan_0001.pdf"


# --- 6. the decision on or after the meeting; deadlines from the meeting ---------------------------------------


@pytest.mark.rule("G-25")
def test_a_decision_waits_for_the_meeting_and_the_letter_is_due_from_it(client, auth, journey, trusted, demo):
    from tests.plugins.listing.test_rules import _to_review

    _to_review(client, auth, journey, trusted, demo)
    tomorrow = (datetime.date.fromisoformat(meeting_today()) + datetime.timedelta(days=1)).isoformat()
    journey.act("schedule", {"meeting_date": tomorrow, "meeting_time": "15:00"})
    response = journey.act("decide", {"result": "approved", "note": "Включить"}, expect=409)
    assert "решение записывается в день заседания или позже" in response.get_data(as_text=True)
    assert Application.get_by_id(journey.app_id).process == "meeting"
    # the meeting was in fact held today (rescheduled by the Exchange): the decision is recorded
    Application.update(meeting_at=datetime.datetime.fromisoformat(meeting_today() + "T10:00")).where(
        Application.id == journey.app_id
    ).execute()
    journey.act("decide", {"result": "approved", "note": "Включить"})
    app = Application.get_by_id(journey.app_id)
    assert app.process == "result"
    assert app.deadline == add_working_days(datetime.date.fromisoformat(meeting_today()), 3)


def test_a_decision_written_down_late_keeps_the_deadline_counted_from_the_meeting(app):
    held = datetime.date(2026, 12, 10)
    application = Application(meeting_at=datetime.datetime(2026, 12, 10, 9, 0))  # 15:00 in Almaty
    with app.test_request_context():
        assert engine.meeting_date(application) == held
        assert engine.deadline_base(application, "decide") == held
        assert engine.deadline_base(application, "register") == engine.today()


# --- 8. "Добавить ценную бумагу" is a button opening the form (G-16) -----------------------------------------


@pytest.mark.rule("G-16")
def test_add_security_is_a_button_and_securities_are_listed_with_edit_and_remove(client, auth, journey):
    auth.login("issuer@demo.kz")
    journey.create()
    html = page_of(client, journey.url("?stage=additional"))
    assert re.search(r'<details class="add-security"\s+open>', html)  # nothing added yet: open
    assert '<summary class="button">Добавить ценную бумагу</summary>' in html
    journey.add_security("KZ1C00000876")
    journey.add_security("KZ1C00000884")
    html = page_of(client, journey.url("?stage=additional"))
    assert re.search(r'<details class="add-security"\s*>', html)  # closed until pressed
    for isin in ("KZ1C00000876", "KZ1C00000884"):
        assert f'aria-label="Изменить требования по {isin}"' in html
        assert f'aria-label="Удалить {isin} из заявления"' in html


# --- 9. "Общие сведения" prefilled from what the Exchange knows; "Изменить" per section -----------------------


def test_general_information_is_prefilled_from_the_exchange_register_and_the_last_application(client, auth, journey):
    auth.login("issuer@demo.kz")
    journey.create()
    organisation = Application.get_by_id(journey.app_id).organisation
    html = page_of(client, journey.url("?stage=general"))
    assert f'value="{organisation.bin}"' in html and f'value="{organisation.name_kk}"' in html
    assert "Форма заполнена по сведениям Биржи о компании" in html
    journey.stage("general", GENERAL)
    journey.create()  # the next application: the addresses and contacts given last time, editable
    html = page_of(client, journey.url("?stage=general"))
    assert 'value="Алматы, пр. Абая, 1"' in html and 'value="info@demo.kz"' in html
    summary = page_of(client, journey.url("/summary"))
    assert 'aria-label="Изменить: Общие сведения"' in summary
    assert f'href="/applications/{journey.app_id}?stage=general"' in summary


def test_the_exchange_does_not_see_the_change_links_or_the_filers_drafts(client, auth, journey, trusted, demo):
    from tests.plugins.listing.test_rules import _to_review

    _to_review(client, auth, journey, trusted, demo)
    summary = page_of(client, journey.url("/summary"))
    assert ">Изменить<" not in summary
    assert AuditEvent.select().where(AuditEvent.action == "application.sign").exists()


# --- 7. the Exchange's letter is a real letter -------------------------------------------------------------------


@pytest.mark.rule("G-24")
def test_the_letter_has_an_outgoing_number_the_addressee_the_grounds_and_the_signatory(
    client, auth, journey, trusted, demo
):
    from core.signing.models import SigningDocument
    from tests.plugins.listing.test_rules import _pdf_text, _to_review

    _to_review(client, auth, journey, trusted, demo)
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act(
        "decide",
        {"result": "approved", "note": "Включить акции в категорию «Премиум».", "grounds": "статья 12 Правил"},
    )
    response = journey.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
    assert "Письмо Биржи заверено печатью и направлено инициатору допуска." in page_of(
        client, response.headers["Location"]
    )
    today = datetime.date.fromisoformat(meeting_today())
    number = f"1/{today.year % 100:02d}"
    letter = Attachment.get(Attachment.kind == "letter")
    assert letter.title == f"Письмо Биржи, исх. № {number} от {today:%d.%m.%Y}"
    document = SigningDocument.get(SigningDocument.kind == "letter")
    with client.application.app_context():
        text = " ".join(_pdf_text(document.file.read()).split())
    ceo, official = demo["ceo@demo.kz"], demo["listing@exchange.demo"]
    for expected in (
        f"Исх. № {number} от {today:%d.%m.%Y}",
        ceo.full_name,
        "Алматы, пр. Абая, 1",  # the company's address from its application
        "Положительное решение. Включить акции в категорию «Премиум».",
        "Основание: статья 12 Правил",
        f"Листинговая комиссия, {today:%d.%m.%Y}",
        official.full_name,
    ):
        assert expected in text, expected
    # the staff's signing page speaks to staff, not to a client's first head
    html = page_of(client, f"/signing/letters/{document.id}")
    assert "ключ первого руководителя (или" not in html and "уполномоченного лица Биржи" in html
    # and the application's own page offers the staff to sign that letter beside its documents
    assert f'href="/signing/letters/{document.id}"' in page_of(client, f"/applications/{journey.app_id}")
    assert html.count(f'href="/signing/letters/{document.id}/file"') == 1


def test_outgoing_numbers_follow_the_register_and_never_repeat(app, demo):
    from core.workflow.models import OutgoingLetter

    procedure = app.extensions["is2in.procedures"]["listing.shares"]
    with app.test_request_context():
        application = engine.create(procedure, demo["ceo@demo.kz"].organisation, demo["issuer@demo.kz"])
        official = demo["listing@exchange.demo"]
        numbers = [engine.register_outgoing(application, "Письмо", official).number for _ in range(3)]
        year = engine.today().year % 100
        assert numbers == [f"1/{year:02d}", f"2/{year:02d}", f"3/{year:02d}"]
        addressee = OutgoingLetter.get(OutgoingLetter.number == numbers[0]).addressee
        assert addressee.endswith(demo["ceo@demo.kz"].full_name)


def test_a_letter_is_not_signed_when_the_exchanges_bin_is_unknown(client, auth, journey, trusted, demo):
    """The official's signature is checked against the Exchange's own BIN: with none on record, no key passes."""
    from core.accounts.models import Organisation
    from core.signing.models import SignatureEvidence, SigningDocument
    from tests.plugins.listing.test_rules import _to_review

    _to_review(client, auth, journey, trusted, demo)
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act("decide", {"result": "approved", "note": "Включить"})
    journey.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
    document = SigningDocument.get(SigningDocument.kind == "letter")
    Organisation.update(bin="").where(Organisation.id == Organisation.exchange().id).execute()
    official = demo["listing@exchange.demo"]
    key = sign_key(trusted, official, bin="123456789012")
    with client.application.app_context():
        content = document.file.read()
    cms = pki.sign_detached_with_openssl(content, key.cert_pem, key.key_pem)
    response = client.post(
        f"/signing/letters/{document.id}/sign",
        data={"signature": (io.BytesIO(cms), "s.p7s")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert "подпись письма не может быть проверена" in response.get_data(as_text=True)
    assert not SignatureEvidence.select().where(SignatureEvidence.document == document).exists()


@pytest.mark.parametrize(
    "lang, labels",
    [
        ("en", ("Save", "Return for revision", "Approved", "Covering note", "Comment: ")),
        ("kk", ("Сақтау", "Пысықтауға қайтару", "Келісілді", "Ілеспе пікір", "Пікір қалдыру: ")),
    ],
)
def test_the_approval_screen_reads_in_kazakh_and_english(client, auth, journey, lang, labels):
    to_first_head(auth, journey, note="Прошу согласовать")
    client.post("/language", data={"lang": lang, "next": journey.url()})
    html = page_of(client, journey.url())
    for label in labels:
        assert label in html, label
    for russian in ("Сопроводительный комментарий", "Процесс 2 из", "Сведения о заявлении", "К решению"):
        assert russian not in html, russian
