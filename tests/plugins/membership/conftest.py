"""Fixtures for the membership procedures: the shared client driver (tests/journeys.py), the data a candidate
types into each stage, first heads for the demo organisations, and the Exchange's side. The PKI the Exchange
trusts (``test_ca``, ``trusted``) comes from tests/conftest.py."""

import pytest

from core.accounts.models import Organisation, User
from core.workflow.models import Application
from tests.conftest import meeting_today
from tests.journeys import Journey

ORGANISATION = {
    "organisation-full_name": "АО «Demo Candidate»",
    "organisation-short_name": "Demo Candidate",
    "organisation-kind": "broker",
    "organisation-registration_date": "2011-03-04",
    "organisation-legal_address": "Алматы, ул. Байзакова, 280",
    "organisation-head": "Сейтов Бауыржан, Председатель Правления",
    "organisation-phone": "+7 727 000 00 01",
    "organisation-email": "office@candidate.kz",
}
LICENCES = {
    "licences-number": "3.2.238/15",
    "licences-issued_on": "2019-06-11",
    "licences-issuer": "Агентство Республики Казахстан по регулированию и развитию финансового рынка",
    "licences-activities": ["brokerage", "dealer"],
}
STAFF = {
    "staff-certified": "4",
    "staff-traders": "Иванов И.И., трейдер, свидетельство № 123",
    "staff-back_office": "Ахметова А.А.",
    "staff-risk_manager": "Ли В.В.",
    "staff-compliance": "Петров П.П.",
}
TECHNICAL = {
    "technical-access": "terminal",
    "technical-workstations": "2",
    "technical-backup_channel": "y",
    "technical-security_policy": "y",
    "technical-tested": "y",
    "technical-it_contact": "Ким О., +7 701 000 00 02",
}
AML = {
    "aml-beneficial_owners": "Сейтов Б., 70%",
    "aml-pep": "no",
    "aml-sanctions": "no",
    "aml-internal_rules": "y",
    "aml-officer": "Петров П.П., комплаенс-контролер",
}


def admission(*categories):
    return {
        "categories-categories": list(categories),
        "categories-request": "Просим принять в члены Биржи.",
        "categories-rules": "y",
        "categories-confirm": "y",
    }


def additional(*categories):
    return {
        "additional-categories": list(categories),
        "additional-request": "Просим присвоить дополнительную категорию.",
        "additional-confirm": "y",
    }


def termination(*categories):
    return {
        "termination-categories": list(categories),
        "termination-reason": "Прекращение брокерской деятельности",
        "termination-effective_on": "2030-03-01",
        "termination-obligations": "y",
        "termination-clients_notified": "y",
    }


class Membership(Journey):
    """The shared driver, taught the stages of the membership procedures and the Exchange's side of the chain
    (the monitoring department, the Management Board)."""

    def _organisation_stage(self):
        self.must(self.stage("organisation", {**ORGANISATION, "organisation-bin": self.organisation().bin}))

    def fill_admission(self, *categories):
        self._organisation_stage()
        self.must(self.stage("licences", LICENCES))
        self.must(self.stage("statement", admission(*categories)))
        self.must(self.stage("staff", STAFF))
        self.must(self.stage("technical", TECHNICAL))
        self.upload_documents()
        self.must(self.stage("aml", AML))

    def fill_additional(self, *categories):
        self._organisation_stage()
        self.must(self.stage("licences", LICENCES))
        self.must(self.stage("statement", additional(*categories)))
        self.must(self.stage("staff", STAFF))
        self.must(self.stage("technical", TECHNICAL))
        self.upload_documents()

    def fill_termination(self, *categories):
        self._organisation_stage()
        self.must(self.stage("statement", termination(*categories)))
        self.upload_documents()

    def organisation(self):
        return Organisation.get_by_id(Application.get_by_id(self.app_id).organisation_id)

    def submit(self, head, ca):
        """Send to the first head, who approves and signs; the office registers."""
        self.act("send_to_head")
        self.auth.logout()
        self.auth.login(head.email)
        self.act("approve")
        self.sign(ca, head, filename="s.p7s")
        self.auth.logout()
        self.auth.login("office@exchange.demo")
        self.act("register", {"registration_number": "ВХ-9", "registered_on": "2026-11-23"})

    def decide(self, staff, result="approved", note="Принять"):
        """The Management Board's meeting, its decision, the letter and the archive."""
        self.auth.logout()
        self.auth.login(staff.email)
        self.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
        self.act("decide", {"result": result, "note": note})
        self.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
        self.act("archive")
        self.auth.logout()
        return Application.get_by_id(self.app_id)


@pytest.fixture
def membership(client, auth):
    return Membership(client, auth)


@pytest.fixture
def monitoring(make, demo):
    """An employee of the Exchange's monitoring department, which reviews membership: the demo's own
    where the demo data has one, else a new one."""
    return User.by_email("monitoring@exchange.demo") or make.staff(
        "monitoring", email="monitoring@exchange.demo", last_name="Мониторова"
    )


@pytest.fixture
def head_of(make, demo):
    """The first head of a demo organisation: the demo's own where it has one (Demo Candidate, Demo Broker),
    a new one for the members the demo gives none."""

    def head(code):
        org = Organisation.get(Organisation.code == code)
        found = User.get_or_none((User.organisation == org) & (User.is_first_head == True))  # noqa: E712
        if found is not None:
            return found
        return make.user(org, email=f"head@{code.lower()}.kz", is_first_head=True, position="Председатель Правления")

    return head
