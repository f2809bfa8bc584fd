"""Fixtures for the auditors' procedures: the audit organisation's first head and the Exchange's auditors
department, and the shared driver (tests/journeys.py) taught these procedures' stages. The PKI the Exchange
trusts (``test_ca``, ``trusted``) comes from tests/conftest.py."""

import pytest

from core.accounts.models import Organisation, User
from tests.conftest import meeting_today
from tests.journeys import Journey


@pytest.fixture
def firm(demo):
    return Organisation.get(Organisation.code == "AUDT")


@pytest.fixture
def head(firm):
    """The audit organisation's first head: auditceo@demo.kz of the demo data."""
    return User.get((User.organisation == firm) & (User.is_first_head == True))  # noqa: E712


@pytest.fixture
def auditors_staff(make, demo):
    """The Exchange's auditors department (a demo account in newer demo data)."""
    return User.by_email("auditors@exchange.demo") or make.staff("auditors", email="auditors@exchange.demo")


FIRM = {
    "firm-full_name": "ТОО «Demo Audit»",
    "firm-short_name": "Demo Audit",
    "firm-registration_date": "2006-12-14",
    "firm-legal_address": "Алматы, ул. Фурманова, 100",
    "firm-phone": "+7 727 000 00 01",
    "firm-email": "office@audit.demo",
    "firm-website": "https://audit.demo",
    "firm-head": "Жаксылыков С., директор",
    "firm-employees": "85",
}
LICENCE = {
    "licence-licence_number": "МФЮ-000123",
    "licence-licence_date": "2007-02-01",
    "licence-licence_issuer": "Министерство финансов Республики Казахстан",
    "licence-professional_body": "Палата аудиторов Республики Казахстан",
    "licence-professional_body_since": "2007-03-01",
}
PEOPLE = {
    "people-partners": "2",
    "people-partners_list": "Нурланова Д., 50%\nЖаксылыков С., 50%",
    "people-auditors_count": "2",
    "people-auditors_list": "Нурланова Дана; 0000123; 15.03.2012\nЖаксылыков Серик; 0000456; 01.07.2010",
    "people-international": "1",
}
QUALITY = {
    "quality-system": "isqm1",
    "quality-quality_partner": "Нурланова Д.",
    "quality-last_review": "2025-10-01",
    "quality-reviewer": "Палата аудиторов Республики Казахстан",
    "quality-review_result": "clean",
    "quality-sanctions": "no",
}
CLIENTS = {
    "clients-issuers_count": "2",
    "clients-issuers_list": "АО «Demo Issuer»\nАО «Demo Seller»",
    "clients-pie_count": "5",
    "clients-revenue": "350000",
}
INSURANCE = {
    "insurance-insurer": "АО «СК Demo»",
    "insurance-policy_number": "ОС-2026-17",
    "insurance-insured_sum": "500000",
    "insurance-policy_until": "2030-12-31",
    "insurance-network": "network",
    "insurance-network_name": "Demo Global Network",
    "insurance-ifac": "y",
}
STATEMENT = {
    "statement-request": "Просим включить ТОО «Demo Audit» в перечень.",
    "statement-confirm": "y",
}
CONFIRMATION = {
    "confirmation-year": "2026",
    "confirmation-changes": "none",
    "confirmation-confirm": "y",
}
EXCLUSION = {
    "exclusion-reason": "Прекращение аудита эмитентов.",
    "exclusion-clients_informed": "y",
}

STAGES = {
    "auditors.inclusion": {
        "general": FIRM,
        "licence": LICENCE,
        "people": PEOPLE,
        "quality": QUALITY,
        "clients": CLIENTS,
        "insurance": INSURANCE,
        "statement": STATEMENT,
    },
    "auditors.confirmation": {
        "general": FIRM,
        "people": PEOPLE,
        "quality": QUALITY,
        "insurance": INSURANCE,
        "confirmation": CONFIRMATION,
    },
    "auditors.exclusion": {"statement": EXCLUSION},
}


class Auditors(Journey):
    """One application of the auditors' procedures driven through the client's and the Exchange's pages."""

    def fill(self, procedure):
        for stage, data in STAGES[procedure].items():
            response = self.client.post(self.url(f"/stages/{stage}"), data={**data, "do": "done"})
            assert response.status_code == 302, (stage, response.get_data(as_text=True)[-3000:])
        self.upload_documents()

    def file_and_sign(self, procedure, ca, head, filer="auditor@demo.kz"):
        """The client's part: fill, send to the first head, approve and sign."""
        self.auth.login(filer)
        self.create(procedure)
        self.fill(procedure)
        self.act("send_to_head")
        self.auth.logout()
        self.auth.login(head.email)
        self.act("approve")
        self.sign(ca, head)
        self.auth.logout()
        assert self.application.process == "registration"

    def exchange(self, staff, result="approved", meeting=True):
        """The Exchange's part: the office registers, the department decides, writes and archives."""
        self.auth.login("office@exchange.demo")
        self.act("register", {"registration_number": "ВХ-7", "registered_on": "2026-11-20"})
        self.auth.logout()
        self.auth.login(staff.email)
        if meeting:
            self.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
        self.act("decide", {"result": result, "note": "Решение комитета."})
        self.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
        self.act("archive")
        self.auth.logout()
        assert self.application.status == "archived"


@pytest.fixture
def journey(client, auth):
    return Auditors(client, auth)
