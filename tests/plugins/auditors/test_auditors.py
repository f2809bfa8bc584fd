"""The list of audit organisations recognised by the Exchange (G-12 category 3): the three procedures end
to end, what decisions do to the list, the public page, the yearly reminders and the plugin switched
off."""

import datetime

import pytest
from huey.api import PeriodicTask

from core import create_app
from core.accounts.models import Organisation
from core.notifications.models import Notification
from core.partnerships.models import Partnership
from core.workflow import engine
from core.workflow.models import Application, Questionnaire, Transition
from plugins.auditors.models import AuditorReminder, RecognisedAuditor
from plugins.auditors.partners import recognised_only
from plugins.auditors.service import auditors_reminders, reminder_due
from tests.conftest import meeting_today
from tests.plugins.auditors.conftest import PEOPLE


def entry_of(org):
    return RecognisedAuditor.get_or_none(RecognisedAuditor.organisation == org)


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-23")
def test_inclusion_full_path_puts_the_organisation_in_the_list(
    client, journey, firm, head, auditors_staff, trusted, mailbox
):
    journey.file_and_sign("auditors.inclusion", trusted, head)
    application = journey.application
    assert application.number.startswith("AU-") and application.submitted_at is not None
    assert entry_of(firm) is None  # nothing changes before the decision
    journey.exchange(auditors_staff)
    today = engine.today()
    entry = entry_of(firm)
    assert entry.status == "recognised" and entry.recognised_on == today
    assert entry.confirmed_until == datetime.date(today.year + 1, 6, 1)
    assert [t.action for t in Transition.select().order_by(Transition.id)] == [
        "send_to_head", "approve", "sign", "register", "schedule", "decide", "issue_letter", "archive",
    ]  # fmt: skip
    # G-23: the auditors department was told by e-mail when the application reached it
    mailbox.wait_for(auditors_staff.email)
    assert Notification.select().where(Notification.user == auditors_staff).exists()
    # G-9.6: the firm's forms are kept as questionnaires for the yearly confirmation
    assert {"auditors.firm", "auditors.people", "auditors.insurance"} <= {q.form_code for q in Questionnaire.select()}
    page = client.get("/auditors/").get_data(as_text=True)
    assert "ТОО «Demo Audit»" in page and "Признается Биржей" in page
    assert f"01.06.{today.year + 1}" in page


@pytest.mark.rule("G-12")
def test_a_refusal_leaves_the_list_unchanged(journey, firm, head, auditors_staff, trusted):
    journey.file_and_sign("auditors.inclusion", trusted, head)
    journey.exchange(auditors_staff, result="refused")
    assert entry_of(firm) is None


@pytest.mark.rule("G-12")
def test_a_decision_recorded_in_kazakh_still_counts_as_positive(client, journey, firm, head, auditors_staff, trusted):
    """The engine keeps the decision as text in the recorder's language; the plugin reads every one."""
    journey.file_and_sign("auditors.inclusion", trusted, head)
    journey.auth.login("office@exchange.demo")
    journey.act("register", {"registration_number": "ВХ-8", "registered_on": "2026-11-20"})
    journey.auth.logout()
    journey.auth.login(auditors_staff.email)
    client.post("/language", data={"lang": "kk", "next": "/"})
    journey.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    journey.act("decide", {"result": "approved", "note": "Шешім."})
    assert not journey.application.decision.startswith("Положительное")
    journey.act("issue_letter", {"title": "Хат"}, content_type="multipart/form-data")
    journey.act("archive")
    assert entry_of(firm).status == "recognised"


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-9.6")
def test_confirmation_full_path_moves_the_deadline_a_year_on(client, journey, firm, head, auditors_staff, trusted):
    RecognisedAuditor.create(
        organisation=firm, status="suspended", recognised_on=datetime.date(2024, 5, 2),
        confirmed_until=datetime.date(2026, 6, 1),
    )  # fmt: skip
    journey.file_and_sign("auditors.confirmation", trusted, head)
    assert journey.application.number.startswith("AC-")
    journey.exchange(auditors_staff, meeting=False)  # the department decides itself: no meeting
    entry = entry_of(firm)
    assert entry.status == "recognised"
    assert entry.confirmed_until == datetime.date(max(2026, engine.today().year) + 1, 6, 1)
    assert entry.recognised_on == datetime.date(2024, 5, 2)


@pytest.mark.rule("G-12")
def test_exclusion_full_path_takes_the_organisation_off_the_list(client, journey, firm, head, auditors_staff, trusted):
    RecognisedAuditor.create(
        organisation=firm, status="recognised", recognised_on=datetime.date(2024, 5, 2),
        confirmed_until=datetime.date(2027, 6, 1),
    )  # fmt: skip
    journey.file_and_sign("auditors.exclusion", trusted, head)
    journey.exchange(auditors_staff)
    entry = entry_of(firm)
    assert entry.status == "excluded" and entry.excluded_on == engine.today()
    page = client.get("/auditors/").get_data(as_text=True)
    assert "Исключена из перечня" in page


@pytest.mark.parametrize("procedure", ["auditors.confirmation", "auditors.exclusion"])
def test_only_an_organisation_in_the_list_may_confirm_or_ask_to_leave(auth, journey, firm, head, procedure):
    auth.login("auditor@demo.kz")
    journey.create(procedure)
    journey.fill(procedure)
    response = journey.act("send_to_head", expect=409)
    assert "не включена в перечень" in response.get_data(as_text=True)
    assert journey.application.process == "fill"


def test_an_organisation_in_the_list_is_told_to_confirm_not_to_apply_again(auth, journey, firm, head):
    RecognisedAuditor.create(organisation=firm, recognised_on=datetime.date(2025, 1, 10))
    auth.login("auditor@demo.kz")
    journey.create("auditors.inclusion")
    journey.fill("auditors.inclusion")
    assert "подайте подтверждение" in journey.act("send_to_head", expect=409).get_data(as_text=True)


def test_forms_check_the_auditors_and_their_certificates(auth, journey, firm):
    auth.login("auditor@demo.kz")
    journey.create("auditors.inclusion")
    bad = dict(PEOPLE)
    bad["people-auditors_list"] = "Нурланова Дана; 0000123; 2012-03-15"
    response = journey.client.post(journey.url("/stages/people"), data={**bad, "do": "done"})
    assert response.status_code == 422 and "Строка 1" in response.get_data(as_text=True)
    bad["people-auditors_list"] = "Нурланова Дана; 0000123; 15.03.2012"  # one listed, two declared
    response = journey.client.post(journey.url("/stages/people"), data={**bad, "do": "done"})
    assert "Перечислено аудиторов: 1" in response.get_data(as_text=True)


# --- the public list ---------------------------------------------------------------------------------


def test_the_public_list_opens_without_login_and_is_linked_in_the_footer(client, make):
    org = make.org("AUD9", roles=("auditor",), legal_form="ТОО", name_ru="Аудит Девять")
    RecognisedAuditor.create(
        organisation=org, recognised_on=datetime.date(2025, 3, 3), confirmed_until=datetime.date(2026, 6, 1)
    )
    response = client.get("/auditors/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Перечень аудиторских организаций, признаваемых Биржей" in html
    assert "ТОО «Аудит Девять»" in html and "03.03.2025" in html and "01.06.2026" in html
    assert 'href="/auditors/"' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("kk", "Биржа танитын аудиторлық ұйымдардың тізбесі"),
        ("en", "List of audit organisations recognised by the Exchange"),
    ],
)
def test_the_public_list_speaks_kazakh_and_english(client, lang, title):
    client.post("/language", data={"lang": lang, "next": "/auditors/"})
    assert title in client.get("/auditors/").get_data(as_text=True)


def test_the_staff_screen_is_for_the_auditors_department(client, auth, make, auditors_staff):
    auth.login(auditors_staff.email)
    assert client.get("/auditors/staff").status_code == 200
    assert 'href="/auditors/staff"' in client.get("/staff").get_data(as_text=True)
    auth.logout()
    make.staff("listing", email="l@exchange.demo")
    auth.login("l@exchange.demo")
    assert client.get("/auditors/staff").status_code == 403


# --- reminders -----------------------------------------------------------------------------------------


def test_reminder_thresholds_count_working_days(app):
    deadline = datetime.date(2026, 6, 1)  # Monday
    assert reminder_due(deadline, datetime.date(2026, 4, 1)) is None
    assert reminder_due(deadline, datetime.date(2026, 5, 29)) == "3"
    assert reminder_due(deadline, deadline) == "3"
    assert reminder_due(deadline, datetime.date(2026, 6, 2)) == "overdue"


def test_reminders_go_20_10_and_3_working_days_before_and_once_after(app, firm, head, mailbox):
    RecognisedAuditor.create(
        organisation=firm, recognised_on=datetime.date(2026, 1, 15), confirmed_until=datetime.date(2027, 6, 1)
    )
    day, sent = datetime.date(2027, 4, 1), []
    with app.app_context():
        while day <= datetime.date(2027, 6, 10):
            sent.append(auditors_reminders(today=day))
            auditors_reminders(today=day)  # the job runs twice: nothing goes twice
            day += datetime.timedelta(days=1)
    assert sum(sent) == 4
    keys = [r.key for r in AuditorReminder.select().order_by(AuditorReminder.id)]
    assert keys == ["20", "10", "3", "overdue"]
    for address in ("auditor@demo.kz", head.email):  # the organisation's admin and first head
        messages = mailbox.wait_for(address, count=4)
        assert len(messages) == 4
        assert "Напоминание о ежегодном подтверждении соответствия" in messages[0]["Subject"]
        assert "01.06.2027" in mailbox.body(messages[0])
    assert entry_of(firm).status == "suspended"  # the missed deadline suspends recognition
    assert Notification.select().where(Notification.kind == "auditors.reminder").count() == 8


def test_no_reminder_while_a_confirmation_is_with_the_exchange(app, firm, head, make, mailbox):
    RecognisedAuditor.create(organisation=firm, confirmed_until=datetime.date(2027, 6, 1))
    Application.create(
        number="AC-2027-99999", organisation=firm, procedure="auditors.confirmation", process="review",
        status="submitted", author=head, submitted_at=datetime.datetime(2027, 5, 1),
    )  # fmt: skip
    with app.app_context():
        assert auditors_reminders(today=datetime.date(2027, 5, 28)) == 0


def test_the_reminder_job_is_registered_with_huey_and_runs(app):
    task = app.extensions["tasks"]["auditors_reminders"]
    assert task.name == "auditors_reminders"
    assert issubclass(task.task_class, PeriodicTask)
    assert task.task_class().validate_datetime(datetime.datetime(2026, 11, 23, 3, 0))  # daily, 08:00 in Almaty
    assert not task.task_class().validate_datetime(datetime.datetime(2026, 11, 23, 4, 0))
    task()  # immediate mode: runs now, for today


# --- partnerships: only recognised auditors (needs a core hook) ----------------------------------------


@pytest.fixture
def two_auditors(make, demo):
    recognised = make.org("RAUD", roles=("auditor",), legal_form="ТОО", name_ru="Признанный аудит")
    other = make.org("NAUD", roles=("auditor",), legal_form="ТОО", name_ru="Непризнанный аудит")
    RecognisedAuditor.create(organisation=recognised, confirmed_until=datetime.date(2027, 6, 1))
    suspended = make.org("SAUD", roles=("auditor",), legal_form="ТОО", name_ru="Приостановленный аудит")
    RecognisedAuditor.create(organisation=suspended, status="suspended", confirmed_until=datetime.date(2026, 6, 1))
    return recognised, other, suspended


@pytest.mark.rule("G-9.3")
def test_the_plugin_narrows_auditor_candidates_to_recognised_ones(app, demo, two_auditors):
    recognised, other, suspended = two_auditors
    issuer = Organisation.get(Organisation.code == "DEMO")
    query = Partnership.candidates(issuer, "auditor").where(recognised_only("auditor"))
    assert [o.code for o in query] == ["RAUD"]
    assert recognised_only("consultant") is None  # consultants are not the plugin's business


@pytest.mark.rule("G-9.3")
def test_partnerships_offer_issuers_only_recognised_auditors(client, auth, demo, two_auditors):
    auth.login("issuer@demo.kz")
    html = client.get("/partnerships?kind=auditor").get_data(as_text=True)
    assert "Признанный аудит" in html
    assert "Непризнанный аудит" not in html and "Приостановленный аудит" not in html


# --- switched off ---------------------------------------------------------------------------------------


def test_with_the_plugin_switched_off_the_rest_still_works(app_config, auth_factory, make):
    app = create_app({**app_config, "DISABLED_PLUGINS": ["auditors"]})
    assert not any(code.startswith("auditors.") for code in app.extensions["is2in.procedures"])
    assert "auditors_reminders" not in app.extensions["tasks"]
    assert all(m.app != "auditors" for m in app.extensions["is2in.migrations"])
    client = auth_factory(app, "issuer@example.kz")
    for path in ("/", "/procedures", "/partnerships", "/applications", "/disclosure/overdue"):
        assert client.get(path).status_code == 200, path
    assert client.get("/auditors/").status_code == 404
    assert 'href="/auditors/"' not in client.get("/").get_data(as_text=True)
