"""Fixtures for disclosure monitoring: a PKI the Exchange trusts, the demo issuer registered since the
start of 2026, the monitoring department, and a journey that files an obligation through the pages."""

import datetime
import io

import pytest

from core.accounts.models import Organisation, User
from core.signing import pki
from core.workflow.engine import definition
from core.workflow.forms import prefix_of
from core.workflow.models import Application
from plugins.disclosure.models import Obligation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="session")
def test_ca():
    return pki.make_ca("Test NCA KZ")


@pytest.fixture
def trusted(app, test_ca, tmp_path):
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.pem").write_bytes(test_ca.cert_pem)
    app.config["TRUST_DIR"] = str(trust)
    crls = tmp_path / "crl"  # the keys name no CRL: the operator's CRL of the root is their revocation evidence
    crls.mkdir()
    (crls / "root.crl").write_bytes(pki.make_crl(test_ca))
    app.config["CRL_DIR"] = str(crls)
    return test_ca


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


class Journey:
    def __init__(self, client, auth):
        self.client, self.auth, self.app_id = client, auth, None

    def url(self, tail=""):
        return f"/applications/{self.app_id}{tail}"

    @property
    def application(self):
        return Application.get_by_id(self.app_id)

    def file(self, obligation):
        """ "Подать" on the obligation in the calendar."""
        response = self.client.post(f"/disclosure/obligations/{obligation.id}/file")
        assert response.status_code == 302, response.get_data(as_text=True)
        self.app_id = int(response.headers["Location"].rsplit("/", 1)[1])
        return self.app_id

    def fill(self, kind):
        response = self.client.post(self.url("/stages/report"), data={**REPORTS[kind], "do": "done"})
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        with self.client.application.app_context():
            titles = definition(self.application).stage("documents").documents
        for title in titles:
            response = self.client.post(
                self.url("/stages/documents/documents"),
                data={"title": str(title), "file": (io.BytesIO(PDF), "report.pdf")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        assert self.client.post(self.url("/stages/documents/documents/done")).status_code == 302

    def act(self, action, data=None, expect=302, **kwargs):
        response = self.client.post(
            self.url(f"/act/{action}"),
            data={
                "version": str(self.application.version),
                **{f"{prefix_of(action)}-{k}": v for k, v in (data or {}).items()},
            },
            **kwargs,
        )
        assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
        return response

    def sign(self, ca, head):
        document = self.client.get(self.url("/signing-document")).data
        assert document.startswith(b"%PDF")
        key = pki.make_person_cert(
            ca,
            surname=head.last_name.upper(),
            name=head.first_name.upper(),
            patronymic="",
            iin=head.iin,
            bin=head.organisation.bin,
            organisation=head.organisation.name_ru,
            purpose="sign",
        )
        cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
        self.act("sign", {"signature": (io.BytesIO(cms), "sig.p7s")}, content_type="multipart/form-data")

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
    return Journey(client, auth)
