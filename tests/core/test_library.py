"""Нормативная база (G-9.7) and Инсайдеры Биржи (G-9.8); uploads are checked by content and size."""

import datetime
import io

import pytest

from core.audit.models import AuditEvent
from core.files import StoredFile, sniff
from core.insiders.models import Insider
from core.regulations.models import RegulatoryDocument

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def publish(client, data=PDF, name="rules.pdf", **fields):
    form = {
        "title": "Листинговые правила",
        "kind": "internal",
        "number": "12",
        "adopted_on": "2026-05-01",
        "file": (io.BytesIO(data), name),
    }
    form.update(fields)
    return client.post("/regulations/new", data=form, content_type="multipart/form-data")


@pytest.fixture
def listing_staff(make, auth):
    user = make.staff("listing", email="l@kase.kz")
    auth.login("l@kase.kz")
    return user


@pytest.mark.rule("G-9.7")
def test_staff_publish_and_clients_browse_and_download(client, listing_staff, make, auth):
    response = publish(client)
    assert response.headers["Location"] == "/regulations"
    doc = RegulatoryDocument.get()
    assert doc.file.sha256 and doc.file.original_name == "rules.pdf"
    assert AuditEvent.get(AuditEvent.action == "regulation.publish").actor_id == listing_staff.id
    auth.logout()
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/regulations").get_data(as_text=True)
    assert "Листинговые правила" in html and "Внутренний документ Биржи" in html and "01.05.2026" in html
    assert "Опубликовать документ" not in html
    download = client.get(f"/regulations/{doc.id}/download")
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert client.post("/regulations/new").status_code == 403


@pytest.mark.rule("G-9.7")
def test_library_filters_by_kind_and_searches(client, listing_staff):
    publish(client, title="Закон о рынке ценных бумаг", kind="law")
    publish(client, title="Правила листинга", kind="internal")
    html = client.get("/regulations?kind=law").get_data(as_text=True)
    assert "Закон о рынке ценных бумаг" in html and "Правила листинга" not in html
    html = client.get("/regulations?q=ЛИСТИНГ", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Правила листинга" in html and "Закон" not in html and "<html" not in html


def test_file_type_is_told_by_content_not_name(client, listing_staff):
    response = publish(client, data=b"MZ\x90\x00 not a pdf", name="rules.pdf")
    assert "Допустимы только файлы PDF, DOC и DOCX" in response.get_data(as_text=True)
    assert RegulatoryDocument.select().count() == 0
    response = publish(client, data=PDF, name="../../etc/passwd")
    assert response.status_code == 302
    stored = StoredFile.get()
    assert stored.original_name == "passwd.pdf" and "/" not in stored.original_name


def test_oversized_upload_gets_a_clear_413(app, client, listing_staff):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = publish(client, data=PDF + b"0" * 4096)
    assert response.status_code == 413
    assert "Файл слишком большой" in response.get_data(as_text=True)
    assert RegulatoryDocument.select().count() == 0


def test_an_altered_file_is_never_served(client, listing_staff):
    publish(client)
    doc = RegulatoryDocument.get()
    with client.application.app_context():
        doc.file.path.write_bytes(PDF.replace(b"1.4", b"1.5"))
    response = client.get(f"/regulations/{doc.id}/download")
    assert response.status_code == 409
    assert "повреждён" in response.get_data(as_text=True)
    with client.application.app_context():
        doc.file.path.unlink()
    assert client.get(f"/regulations/{doc.id}/download").status_code == 409


def test_withdrawn_documents_disappear(client, listing_staff):
    publish(client)
    doc = RegulatoryDocument.get()
    client.post(f"/regulations/{doc.id}/withdraw")
    assert "Листинговые правила" not in client.get("/regulations").get_data(as_text=True)
    assert client.get(f"/regulations/{doc.id}/download").status_code == 404


def test_sniff_knows_office_and_pdf():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
    assert sniff(buffer.getvalue()) == "docx"
    assert sniff(PDF) == "pdf"
    assert sniff(b"PK\x03\x04garbage") is None
    assert sniff(b"hello") is None


@pytest.mark.rule("G-9.8")
def test_insiders_list_is_kept_by_admins_and_read_by_clients(client, make, auth):
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    client.post(
        "/insiders/new",
        data={
            "full_name": "Иванов Иван",
            "position": "Директор департамента",
            "department": "Листинг",
            "included_on": "2026-01-10",
        },
    )
    client.post(
        "/insiders/new",
        data={
            "full_name": "Бывший Работник",
            "position": "Аналитик",
            "included_on": "2025-01-10",
            "excluded_on": "2026-02-01",
        },
    )
    bad = client.post(
        "/insiders/new",
        data={"full_name": "X", "position": "Y", "included_on": "2026-03-01", "excluded_on": "2026-01-01"},
    )
    assert "Дата исключения не может быть раньше даты включения." in bad.get_data(as_text=True)
    assert Insider.select().count() == 2
    auth.logout()
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/insiders").get_data(as_text=True)
    assert "Иванов Иван" in html and "Директор департамента" in html and "10.01.2026" in html
    assert "Бывший Работник" not in html and "Добавить" not in html
    assert (
        client.post("/insiders/new", data={"full_name": "Z", "position": "Z", "included_on": "2026-01-01"}).status_code
        == 403
    )


def test_insider_exclusion_is_audited(client, make, auth):
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    person = Insider.create(full_name="Иванов Иван", position="Директор", included_on=datetime.date(2026, 1, 1))
    client.post(
        f"/insiders/{person.id}/edit",
        data={
            "full_name": "Иванов Иван",
            "position": "Директор",
            "included_on": "2026-01-01",
            "excluded_on": "2026-06-01",
        },
    )
    assert Insider.get_by_id(person.id).excluded_on == datetime.date(2026, 6, 1)
    assert AuditEvent.get(AuditEvent.action == "insider.update").data["excluded_on"] == "2026-06-01"
