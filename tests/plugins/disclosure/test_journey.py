"""Disclosure submissions end to end through the Flask client: "Подать" on an obligation, the first
head's approval and signature, and the monitoring department accepting or returning them."""

import datetime
import json

import pytest

from core.notifications.models import Notification
from core.workdays import add_working_days
from core.workflow import engine
from core.workflow.models import Application, FormData, Transition
from plugins.disclosure.models import Obligation

KINDS = ["annual_statements", "interim_statements", "annual_report", "material_event"]


def fresh(obligation):
    return Obligation.get_by_id(obligation.id)


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-21")
@pytest.mark.rule("G-23")
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_filed_signed_and_accepted(
    client, auth, demo, journey, obligation, monitoring, trusted, mailbox, kind
):
    extra = (
        {"event_on": datetime.date(2026, 3, 20), "description": "Новый Председатель"}
        if kind == "material_event"
        else {}
    )
    period = {"interim_statements": "2026-Q1", "material_event": "2026-03-20"}.get(kind, "2025")
    owed = obligation(kind=kind, period=period, **extra)
    auth.login("issuer@demo.kz")
    journey.file(owed)
    application = journey.application
    assert application.procedure == f"disclosure.{kind}"
    assert fresh(owed).application_id == application.id and fresh(owed).status == "open"
    prefilled = json.loads(FormData.get(FormData.application == application).data)
    assert prefilled.get("period") or prefilled.get("event_on") == "2026-03-20"
    # "Подать" twice opens the same application instead of a second one
    assert (
        client.post(f"/disclosure/obligations/{owed.id}/file")
        .headers["Location"]
        .endswith(f"/applications/{application.id}")
    )
    journey.fill(kind)
    journey.act("send_to_head")
    auth.logout()
    journey.approve_and_sign(trusted, demo["ceo@demo.kz"])
    application = journey.application
    assert application.process == "review" and application.status == "submitted"
    assert application.deadline == add_working_days(engine.today(), 5)
    assert fresh(owed).status == "submitted" and fresh(owed).submitted_on == engine.today()
    mailbox.wait_for(monitoring.email)  # G-23: the department is told by e-mail
    auth.login(monitoring.email)
    assert application.number in client.get("/staff/inbox?department=monitoring").get_data(as_text=True)
    journey.act("accept", {"note": "Принято."})
    assert journey.application.status == "archived"
    assert fresh(owed).status == "accepted" and fresh(owed).accepted_on == engine.today()
    assert [t.action for t in Transition.select().order_by(Transition.id)] == [
        "send_to_head",
        "approve",
        "sign",
        "accept",
    ]
    staff_page = client.get("/disclosure/staff?year=2030").get_data(as_text=True)
    assert application.number in staff_page and "Принято" in staff_page


@pytest.mark.rule("G-20")
def test_the_department_asks_for_more_documents_and_then_accepts(
    client, auth, demo, journey, obligation, monitoring, trusted
):
    owed = obligation()
    journey.submit(owed, "annual_statements", trusted, demo["ceo@demo.kz"])
    auth.login(monitoring.email)
    journey.act("request_documents", {"note": "Приложите пояснительную записку.", "deadline": "2030-01-15"})
    assert fresh(owed).status == "returned"
    auth.logout()
    auth.login("issuer@demo.kz")
    journey.act("answer", {"note": "Прилагаем."}, content_type="multipart/form-data")
    auth.logout()
    auth.login("ceo@demo.kz")
    journey.sign(trusted, demo["ceo@demo.kz"])
    auth.logout()
    assert journey.application.process == "review" and fresh(owed).status == "submitted"
    auth.login(monitoring.email)
    journey.act("accept")
    assert fresh(owed).status == "accepted"


def test_the_department_returns_a_submission_for_correction(
    client, auth, demo, journey, obligation, monitoring, trusted
):
    owed = obligation(kind="annual_report")
    journey.submit(owed, "annual_report", trusted, demo["ceo@demo.kz"])
    auth.login(monitoring.email)
    journey.act("return", {"note": "Неверная дата утверждения."})
    assert fresh(owed).status == "returned" and journey.application.process == "fill"
    auth.logout()
    auth.login("issuer@demo.kz")
    journey.act("send_to_head")
    auth.logout()
    journey.approve_and_sign(trusted, demo["ceo@demo.kz"])
    assert fresh(owed).status == "submitted"


@pytest.mark.rule("G-25")
def test_a_withdrawn_submission_leaves_the_obligation_owed_again(client, auth, demo, journey, obligation, trusted):
    owed = obligation()
    journey.submit(owed, "annual_statements", trusted, demo["ceo@demo.kz"])
    auth.login("issuer@demo.kz")
    journey.act("withdraw")
    owed = fresh(owed)
    assert owed.status == "open" and owed.application_id is None and owed.submitted_on is None
    assert client.post(f"/disclosure/obligations/{owed.id}/file").status_code == 302  # filed again
    assert fresh(owed).application_id not in (None, journey.app_id)


@pytest.mark.rule("G-15")
def test_deleting_a_draft_unlinks_it_from_the_obligation(client, auth, journey, obligation):
    owed = obligation()
    auth.login("issuer@demo.kz")
    journey.file(owed)
    assert client.post(journey.url("/delete")).status_code == 302
    assert Application.get_or_none(Application.id == journey.app_id) is None
    assert fresh(owed).application_id is None and fresh(owed).status == "open"


@pytest.mark.rule("G-13")
def test_an_application_filed_from_procedures_meets_the_earliest_obligation(client, auth, demo, journey, obligation):
    later = obligation(kind="annual_report", period="2026", due_on=datetime.date(2031, 8, 31))
    earlier = obligation(kind="annual_report", period="2025", due_on=datetime.date(2030, 8, 31))
    auth.login("issuer@demo.kz")
    page = client.get("/procedures").get_data(as_text=True)
    assert "Годовой отчет" in page and 'href="/procedures/disclosure.annual_report/file"' in page
    company = str(demo["issuer@demo.kz"].organisation_id)
    response = client.post("/procedures/disclosure.annual_report/file", data={"company": company})
    journey.app_id = int(response.headers["Location"].rsplit("/", 1)[1])
    journey.fill("annual_report")
    journey.act("send_to_head")
    assert fresh(earlier).application_id == journey.app_id and fresh(later).application_id is None


def test_filing_another_organisations_obligation_is_refused(client, auth, make, obligation):
    owed = obligation()
    make.user(make.org("ISS2", roles=("issuer",)), email="other@issuer.kz")
    auth.login("other@issuer.kz")
    assert client.post(f"/disclosure/obligations/{owed.id}/file").status_code == 404


def test_the_first_head_and_the_department_are_notified_at_each_hand_off(
    client, auth, demo, journey, obligation, monitoring, trusted
):
    journey.submit(obligation(), "annual_statements", trusted, demo["ceo@demo.kz"])
    kinds = {n.kind for n in Notification.select().where(Notification.user.in_([demo["ceo@demo.kz"], monitoring]))}
    assert kinds == {"workflow.handoff"}
