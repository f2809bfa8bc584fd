"""The listing procedure end to end through the Flask client (G-13..G-26)."""

import pytest

from core.signing import pki
from core.workflow.models import Application, Attachment, Questionnaire, Signature, Transition
from tests.conftest import meeting_today
from tests.journeys import sign_key


@pytest.mark.rule("G-13")
@pytest.mark.rule("G-19")
@pytest.mark.rule("G-21")
@pytest.mark.rule("G-23")
def test_the_whole_listing_journey(client, auth, demo, journey, trusted, mailbox):
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all(consultant=demo["broker@demo.kz"])
    journey.act("send_to_head")
    app = Application.get_by_id(journey.app_id)
    assert app.process == "approval" and app.status == "approval"
    auth.logout()

    auth.login("ceo@demo.kz")
    journey.act("approve")
    app = Application.get_by_id(journey.app_id)
    assert app.process == "signing" and app.signing_file is not None
    document = client.get(journey.url("/signing-document")).data
    assert document.startswith(b"%PDF")
    ceo = demo["ceo@demo.kz"]
    key = sign_key(trusted, ceo)
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    journey.act("sign", {"signature": (__import__("io").BytesIO(cms), "sig.p7s")}, content_type="multipart/form-data")
    app = Application.get_by_id(journey.app_id)
    assert app.process == "registration" and app.submitted_at is not None
    assert Signature.get().iin == ceo.iin
    auth.logout()

    auth.login("office@exchange.demo")
    assert app.number in client.get("/staff/inbox?department=office").get_data(as_text=True)
    journey.act("register", {"registration_number": "ВХ-1", "registered_on": "2026-11-20"})
    auth.logout()

    auth.login("listing@exchange.demo")
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act("decide", {"result": "approved", "note": "Включить акции в категорию «Премиум»."})
    journey.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
    journey.act("archive")
    app = Application.get_by_id(journey.app_id)
    assert app.status == "archived" and app.archived_at is not None
    with client.application.app_context():
        assert Attachment.get(Attachment.kind == "letter").file.read().startswith(b"%PDF")
    assert [t.action for t in Transition.select().order_by(Transition.id)] == [
        "send_to_head",
        "approve",
        "sign",
        "register",
        "schedule",
        "decide",
        "issue_letter",
        "archive",
    ]
    assert {q.form_code for q in Questionnaire.select()} == {"listing.general", "aml"}
