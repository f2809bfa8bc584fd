"""Fixtures for disclosure monitoring: the demo issuer registered since the start of 2026, the monitoring
department, and the shared driver (tests/journeys.py) taught to file an obligation through the pages. The PKI
the Exchange trusts (``test_ca``, ``trusted``) comes from tests/conftest.py."""

import datetime

import pytest

from core.accounts.models import Organisation, User
from plugins.disclosure.models import Obligation
from tests.journeys import Journey


@pytest.fixture
def issuer(demo):
    """The demo issuer, registered in is2in since the start of 2026 (it owes nothing from before)."""
    org = Organisation.get(Organisation.code == "DEMO")
    org.created_at = datetime.datetime(2026, 1, 1)
    org.save()
    return org


@pytest.fixture
def monitoring(make, demo):
    """The Exchange's monitoring department (a demo account in newer demo data)."""
    return User.by_email("monitoring@exchange.demo") or make.staff("monitoring", email="monitoring@exchange.demo")


@pytest.fixture
def obligation(issuer):
    def make_obligation(kind="annual_statements", period="2025", due_on=datetime.date(2030, 6, 3), **fields):
        return Obligation.create(organisation=issuer, kind=kind, period=period, due_on=due_on, **fields)

    return make_obligation


REPORTS = {
    "annual_statements": {
        "annual_statements-period": "2025 год",
        "annual_statements-standard": "ifrs",
        "annual_statements-consolidated": "y",
        "annual_statements-auditor": "ТОО «Demo Audit»",
        "annual_statements-opinion": "unmodified",
        "annual_statements-report_date": "2026-04-20",
        "annual_statements-total_assets": "125000000",
        "annual_statements-equity": "40000000",
        "annual_statements-net_income": "-1500",
        "annual_statements-confirm": "y",
    },
    "interim_statements": {
        "interim_statements-period": "1 квартал 2026 года",
        "interim_statements-period_end": "2026-03-31",
        "interim_statements-standard": "ifrs",
        "interim_statements-total_assets": "130000000",
        "interim_statements-equity": "41000000",
        "interim_statements-net_income": "0",
        "interim_statements-confirm": "y",
    },
    "annual_report": {
        "annual_report-period": "2025 год",
        "annual_report-approved_by": "Совет директоров",
        "annual_report-approved_on": "2026-06-15",
        "annual_report-website": "https://demo.kz/annual-report-2025",
        "annual_report-governance": "y",
        "annual_report-confirm": "y",
    },
    "material_event": {
        "material_event-event_on": "2026-03-20",
        "material_event-event_type": "management",
        "material_event-description": "Избран новый Председатель Правления.",
        "material_event-confirm": "y",
    },
}


class Disclosure(Journey):
    def file(self, obligation):
        """ "Подать" on the obligation in the calendar."""
        response = self.client.post(f"/disclosure/obligations/{obligation.id}/file")
        assert response.status_code == 302, response.get_data(as_text=True)
        self.app_id = int(response.headers["Location"].rsplit("/", 1)[1])
        return self.app_id

    def fill(self, kind):
        response = self.client.post(self.url("/stages/report"), data={**REPORTS[kind], "do": "done"})
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        self.upload_documents(filename="report.pdf")

    def approve_and_sign(self, ca, head):
        self.auth.login(head.email)
        self.act("approve")
        self.sign(ca, head)
        self.auth.logout()

    def submit(self, obligation, kind, ca, head):
        """The issuer's part: "Подать", fill, send, then the first head approves and signs."""
        self.auth.login("issuer@demo.kz")
        self.file(obligation)
        self.fill(kind)
        self.act("send_to_head")
        self.auth.logout()
        self.approve_and_sign(ca, head)
        assert self.application.process == "review"


@pytest.fixture
def journey(client, auth):
    return Disclosure(client, auth)
