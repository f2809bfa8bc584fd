"""Fixtures for the listing journey: the shared driver (tests/journeys.py) taught the listing stages, and what a
filer types into them. The PKI the Exchange trusts (``test_ca``, ``trusted``) comes from tests/conftest.py."""

import pytest

from core.workflow.cascade import make_isin
from core.workflow.models import CascadeNode
from tests.journeys import Journey


class Listing(Journey):
    """The shared driver, taught the stages of a listing of shares."""

    def create(self, procedure="listing.shares", company=None):
        return super().create(procedure, company)

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
    return Listing(client, auth)
