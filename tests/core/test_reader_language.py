"""Issue 15: what the portal writes into a row is read in the reader's language, not the writer's:
notifications (procedure and message), document titles, the legal form of an organisation."""

import pytest
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l


def test_a_notification_reads_in_each_readers_language(client, auth, make, app):
    from core.notifications.service import notify

    reader = make.user(email="reader@example.kz")
    with app.test_request_context("/"), force_locale("ru"):
        notify(
            [reader],
            "workflow.handoff",
            procedure=_l("Подписанное заявление"),
            message=_l("Заявление %(number)s: %(process)s.", number="L-1", process=_l("Подписанное заявление")),
        )
    auth.login("reader@example.kz")
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert "Заявление L-1: Подписанное заявление." in html
    client.post("/language", data={"lang": "en", "next": "/cabinet/notifications"})
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert "Signed application" in html and "Подписанное" not in html
    client.post("/language", data={"lang": "kk", "next": "/cabinet/notifications"})
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert "Қол қойылған өтініш" in html and "Подписанное" not in html
    home = client.get("/").get_data(as_text=True)
    assert "Қол қойылған өтініш" in home and "Подписанное" not in home


def test_plain_text_in_a_notification_stays_as_written(make, app):
    from core.notifications.service import notify

    reader = make.user()
    with app.test_request_context("/"):
        (note,) = notify([reader], "workflow.handoff", procedure="Подписка KZ1C00001234", message="Текст")
        with force_locale("en"):
            assert note.procedure_text == "Подписка KZ1C00001234" and note.message_text == "Текст"


def test_a_document_title_is_kept_as_its_key_and_shown_in_the_readers_language(make, app):
    from core.files import store
    from core.workflow.models import Application, Attachment

    user = make.user()
    with app.test_request_context("/"):
        application = Application.create(number="T-1", organisation=user.organisation, procedure="x", author=user)
        stored = store(b"%PDF-1.4\n%%EOF\n", "a.pdf", "pdf")
        with force_locale("kk"):  # written by a Kazakh reader
            Attachment.create(
                application=application, kind="signed", title=_l("Подписанное заявление"), file=stored, uploaded_by=user
            )
        title = Attachment.get(Attachment.application == application).title
        assert title == "Подписанное заявление"  # the key: comparisons and queries use it
        for code, shown in (
            ("ru", "Подписанное заявление"),
            ("kk", "Қол қойылған өтініш"),
            ("en", "Signed application"),
        ):
            with force_locale(code):
                assert render_template_string("{{ t }}", t=title) == shown


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("ru", "АО «Казахстанская фондовая биржа»"),
        ("kk", "«Қазақстан қор биржасы» АҚ"),
        ("en", "Kazakhstan Stock Exchange JSC"),
    ],
)
def test_the_exchange_is_named_with_the_legal_form_of_the_readers_language(make, app, code, shown):
    org = make.org(
        "KASEX",
        legal_form="АО",
        name_ru="Казахстанская фондовая биржа",
        name_kk="Қазақстан қор биржасы",
        name_en="Kazakhstan Stock Exchange",
    )
    with app.test_request_context("/"), force_locale(code):
        assert org.display_name == shown
