"""Fixtures for the listing journey: a PKI the Exchange trusts and helpers that fill an application."""

import io
import re

import pytest

from core.signing import pki
from core.workflow.cascade import make_isin
from core.workflow.models import Application, CascadeNode

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


def sign_key(ca, user, purpose="sign", **overrides):
    surname, _, name = user.full_name.partition(" ")
    return pki.make_person_cert(
        ca,
        surname=user.last_name.upper(),
        name=user.first_name.upper(),
        patronymic="",
        iin=overrides.pop("iin", user.iin),
        bin=overrides.pop("bin", user.organisation.bin),
        organisation=user.organisation.name_ru,
        purpose=purpose,
        **overrides,
    )


def version_of(app_id):
    return Application.get_by_id(app_id).version


class Journey:
    """Drives one application through the client's pages with a test client."""

    def __init__(self, client, auth, app_id=None):
        self.client, self.auth, self.app_id = client, auth, app_id

    def create(self, procedure="listing.shares", company=None):

        page = self.client.get(f"/procedures/{procedure}/file").get_data(as_text=True)
        company = company or re.search(r'<option (?:selected )?value="(\d+)"', page).group(1)
        response = self.client.post(f"/procedures/{procedure}/file", data={"company": company})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.app_id = int(response.headers["Location"].rsplit("/", 1)[1])
        return self.app_id

    def url(self, tail=""):
        return f"/applications/{self.app_id}{tail}"

    def stage(self, stage, data, do="done"):
        return self.client.post(self.url(f"/stages/{stage}"), data={**data, "do": do})

    def fill_all(self, consultant=None):
        r = self.stage("general", GENERAL)
        assert r.status_code == 302, r.get_data(as_text=True)
        if consultant:
            assert (
                self.client.post(
                    self.url("/stages/consultant/consultant"), data={"employee": str(consultant.id)}
                ).status_code
                == 302
            )
        else:
            assert self.client.post(self.url("/stages/consultant/skip")).status_code == 302
        assert self.stage("statement", STATEMENT).status_code == 302
        assert self.stage("basic", BASIC).status_code == 302
        self.add_security()
        assert self.client.post(self.url("/stages/additional/securities/done")).status_code == 302
        self.upload_documents()
        assert self.stage("aml", AML).status_code == 302

    def premium_path(self):
        main = CascadeNode.get(
            (CascadeNode.catalogue == "listing")
            & CascadeNode.parent.is_null()
            & (CascadeNode.label_ru == "Основная площадка")
        )
        shares = CascadeNode.get((CascadeNode.parent == main) & (CascadeNode.label_ru == "Акции"))
        premium = CascadeNode.get((CascadeNode.parent == shares) & (CascadeNode.label_ru == "Премиум"))
        package = CascadeNode.get(CascadeNode.parent == premium)
        return [main.id, shares.id, premium.id, package.id]

    def add_security(self, isin=None):
        isin = isin or make_isin("KZ1C0000087")
        path = self.premium_path()
        response = self.client.post(
            self.url("/stages/additional/securities"),
            data={"isin": isin, **{f"level{i}": str(n) for i, n in enumerate(path)}},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        security_url = response.headers["Location"]
        assert self.client.post(security_url, data=PREMIUM).status_code == 302

    def upload_documents(self):
        from core.workflow.engine import definition
        from core.workflow.models import Application

        app = Application.get_by_id(self.app_id)
        with self.client.application.app_context():
            stage = definition(app).stage("documents")
        for title in stage.documents:
            response = self.client.post(
                self.url("/stages/documents/documents"),
                data={"title": str(title), "file": (io.BytesIO(PDF), "doc.pdf")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        assert self.client.post(self.url("/stages/documents/documents/done")).status_code == 302

    def act(self, action, data=None, expect=302, **kwargs):
        from core.workflow.forms import prefix_of

        fields = {f"{prefix_of(action)}-{key}": value for key, value in (data or {}).items()}  # the form's prefix
        response = self.client.post(
            self.url(f"/act/{action}"), data={"version": str(version_of(self.app_id)), **fields}, **kwargs
        )
        assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
        return response


GENERAL = {
    "general-full_name": "АО «Demo Issuer»",
    "general-short_name": "Demo Issuer",
    "general-registration_date": "2005-01-14",
    "general-legal_address": "Алматы, пр. Абая, 1",
    "general-phone": "+7 727 000 00 00",
    "general-email": "info@demo.kz",
    "general-website": "",
    "general-activity": "Производство",
}
STATEMENT = {
    "application-request": "Просим включить акции в официальный список.",
    "application-securities_count": "1000000",
    "application-nominal": "1000",
    "application-confirm": "y",
}
BASIC = {
    "basic-equity": "5000000",
    "basic-years": "20",
    "basic-ifrs": "y",
    "basic-audited": "y",
    "basic-auditor": "ТОО «Demo Audit»",
    "basic-governance_code": "y",
    "basic-no_default": "y",
}
AML = {
    "aml-beneficial_owners": "Иванов И.И., 60%",
    "aml-pep": "no",
    "aml-sanctions": "no",
    "aml-internal_rules": "y",
    "aml-officer": "Петров П.П., комплаенс-контролер",
}
PREMIUM = {
    "free_float": "25",
    "capitalisation": "150000",
    "shareholders": "1200",
    "dividend_policy": "y",
    "market_maker": "АО «Demo Broker»",
}


@pytest.fixture
def journey(client, auth):
    return Journey(client, auth)
