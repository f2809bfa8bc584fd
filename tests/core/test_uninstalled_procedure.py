"""Applications of a procedure no longer installed (its plugin disabled or removed, its applications kept): the
lists, the application's page, its history and its summary still show them to those entitled to see them, by what
is stored (the procedure's code), never a 500."""

import pytest

from core.db import utcnow
from core.files import store
from core.workflow.models import Application, ApplicationMember, Attachment

GONE = "gone.procedure"  # declared by no installed plugin


@pytest.fixture
def gone(app, make):
    org = make.org()
    author = make.user(org, email="author@example.kz")
    apps = {}
    for number, status, process in (
        ("G-2026-0001", "submitted", "review"),  # a department's review: no user as executor
        ("G-2026-0002", "submitted", "registration"),  # the office's: in its inbox
        ("G-2026-0003", "archived", "archived"),
    ):
        filed = Application.create(
            number=number,
            organisation=org,
            procedure=GONE,
            status=status,
            author=author,
            process=process,
            submitted_at=utcnow(),
            deadline=utcnow().date(),
            archived_at=utcnow() if status == "archived" else None,
        )
        ApplicationMember.create(application=filed, user=author, role="author")
        apps[number] = filed
    with app.app_context():
        stored = store(b"%PDF-1.4\n%%EOF\n", "charter.pdf", "pdf")
    Attachment.create(application=apps["G-2026-0003"], kind="document", title="Устав", file=stored, uploaded_by=author)
    return apps


def _pages(client, gone):
    """Each page of each application, with what it must show: the procedure's code, or (the history) the number."""
    for app in gone.values():
        yield f"/applications/{app.id}", GONE
        yield f"/applications/{app.id}/summary", GONE
        yield f"/applications/{app.id}/history", app.number


def _opens(client, gone):
    for url, shown in _pages(client, gone):
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown in response.get_data(as_text=True), url
    archived = gone["G-2026-0003"]
    page = client.get(f"/applications/{archived.id}").get_data(as_text=True)
    assert "Процедура заявления больше не установлена в системе." in page and "charter.pdf" in page
    document = Attachment.get(Attachment.application == archived)
    download = client.get(f"/applications/{archived.id}/attachments/{document.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    # what the definition lays out (the PDFs of its forms, comments beside its fields) is not there to give
    for url in (f"/applications/{archived.id}/summary.pdf", f"/applications/{archived.id}/forms/company.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/applications/{archived.id}/comments/new").status_code == 403


def test_the_client_who_filed_it_sees_it_in_the_lists_and_opens_it(client, auth, make, gone):
    auth.login("author@example.kz")
    active = client.get("/applications")
    assert active.status_code == 200
    html = active.get_data(as_text=True)
    assert "G-2026-0001" in html and "G-2026-0002" in html and GONE in html
    archive = client.get("/archive")
    assert archive.status_code == 200
    assert "G-2026-0003" in archive.get_data(as_text=True) and GONE in archive.get_data(as_text=True)
    _opens(client, gone)


@pytest.mark.parametrize("department", ["office", "board"])
def test_the_exchange_sees_it_in_the_inbox_and_the_archive(client, auth, make, gone, department):
    staff = make.staff(department)
    auth.login(staff.email)
    if department == "office":  # the office's inbox: the registrations, whatever their procedure
        for url in ("/staff/inbox?department=office", "/staff/inbox?department=office&sort=left"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "G-2026-0002" in response.get_data(as_text=True) and GONE in response.get_data(as_text=True)
    archive = client.get("/archive")
    assert archive.status_code == 200
    assert "G-2026-0003" in archive.get_data(as_text=True)
    _opens(client, gone)


def test_a_department_that_cannot_be_known_does_not_open_it(client, auth, make, gone):
    """Whose department reviewed it is in the definition, which is gone: only the office, the board and the
    administrators (who read every department's) open it."""
    staff = make.staff("listing")
    auth.login(staff.email)
    for app in gone.values():
        assert client.get(f"/applications/{app.id}").status_code in (403, 404)


def test_another_organisation_does_not_see_it(client, auth, make, gone):
    make.user(make.org(), email="other@example.kz")
    auth.login("other@example.kz")
    assert "G-2026-0001" not in client.get("/applications").get_data(as_text=True)
    assert "G-2026-0003" not in client.get("/archive").get_data(as_text=True)
    for app in gone.values():
        assert client.get(f"/applications/{app.id}").status_code in (403, 404)


def test_the_history_names_stages_and_processes_by_their_codes(app):
    from types import SimpleNamespace

    from core.workflow.history import history_details

    with app.test_request_context():
        event = SimpleNamespace(action="application.submit", data={"stage": "company", "to_process": "review"})
        assert history_details(event, None) == "company; → review"


@pytest.mark.parametrize(
    "lang, shown",
    [
        ("kk", "Өтініш туралы сақталған мәліметтер және оның құжаттары көрсетілген."),
        ("en", "Shown are the application's stored details and its documents."),
    ],
)
def test_the_page_speaks_the_readers_language(client, auth, gone, lang, shown):
    auth.login("author@example.kz")
    client.post("/language", data={"lang": lang, "next": "/applications"})
    html = client.get(f"/applications/{gone['G-2026-0003'].id}").get_data(as_text=True)
    assert shown in html and GONE in html
