"""Fixtures for the unlisted sector and KASE Private Market: the shared client driver (tests/journeys.py), the
data a filer types into each stage, and the Exchange's side of the chain. The PKI the Exchange trusts
(``test_ca``, ``trusted``) comes from tests/conftest.py."""

import pytest

from core.accounts.validators import make_xin
from core.workflow.cascade import make_isin
from core.workflow.models import Application, CascadeNode
from tests.conftest import meeting_today
from tests.journeys import Journey

ISSUER = {
    "issuer-full_name": "АО «Demo Issuer»",
    "issuer-short_name": "Demo Issuer",
    "issuer-residency": "resident",
    "issuer-bin": make_xin("05014000021"),
    "issuer-registration_date": "2005-01-14",
    "issuer-legal_address": "Алматы, пр. Абая, 1",
    "issuer-phone": "+7 727 000 00 00",
    "issuer-email": "info@demo.kz",
    "issuer-activity": "Производство строительных материалов",
}
ADMISSION = {
    "application-request": "Просим допустить облигации к обращению в секторе «Нелистинговые ценные бумаги».",
    "application-trading_start": "2030-02-01",
    "application-confirm": "y",
}
SECURITIES = {
    "securities-kind": "bonds",
    "securities-isin": make_isin("KZ2C0000123"),
    "securities-registration_number": "F12345",
    "securities-registered_on": "2024-05-20",
    "securities-quantity": "1000000",
    "securities-nominal": "1000",
    "securities-currency": "KZT",
    "securities-maturity": "2031-05-20",
    "securities-registrar": "АО «Центральный депозитарий ценных бумаг»",
}
PRIVATE_APPLICATION = {
    "kpm_application-request": "Просим допустить облигации на площадку KASE Private Market.",
    "kpm_application-purpose": "placement",
    "kpm_application-investors": "qualified",
    "kpm_application-volume": "500000000",
    "kpm_application-underwriter": "АО «Demo Broker»",
    "kpm_application-confirm": "y",
}
AML = {
    "aml-beneficial_owners": "Иванов И.И., 60%",
    "aml-pep": "no",
    "aml-sanctions": "no",
    "aml-internal_rules": "y",
    "aml-officer": "Петров П.П., комплаенс-контролер",
}
BONDS = {
    "volume": "500000000",
    "nominal": "1000",
    "maturity": "2031-06-30",
    "coupon": "14.5",
    "coupon_frequency": "semiannual",
    "collateral": "none",
}


def kpm_node(*labels):
    """The ids of a path in the KASE Private Market catalogue, by Russian labels."""
    ids, parent = [], None
    for label in labels:
        where = (CascadeNode.catalogue == "kpm") & (CascadeNode.label_ru == label)
        where &= CascadeNode.parent.is_null() if parent is None else (CascadeNode.parent == parent)
        parent = CascadeNode.get(where).id
        ids.append(parent)
    return ids


class Filing(Journey):
    """The shared driver, taught the stages of this plugin's procedures and the Exchange's side of the chain."""

    def common(self, statement, consultant=None):
        self.must(self.stage("issuer", ISSUER))
        if consultant:
            self.must(
                self.client.post(self.url("/stages/consultant/consultant"), data={"employee": str(consultant.id)})
            )
        else:
            self.must(self.client.post(self.url("/stages/consultant/skip")))
        self.must(self.stage("statement", statement))

    def fill_sector(self, consultant=None):
        self.common(ADMISSION, consultant)
        self.must(self.stage("instrument", SECURITIES))
        self.upload_documents()
        self.must(self.stage("aml", AML))

    def add_instrument(self, path=("Облигации", "Купонные облигации"), isin=None, values=BONDS):
        response = self.must(
            self.client.post(
                self.url("/stages/instruments/securities"),
                data={
                    "isin": isin or make_isin("KZ2P0000042"),
                    **{f"level{i}": str(n) for i, n in enumerate(kpm_node(*path))},
                },
            )
        )
        self.must(self.client.post(response.headers["Location"], data=values))

    def fill_private_market(self, consultant=None):
        self.common(PRIVATE_APPLICATION, consultant)
        self.add_instrument()
        self.must(self.client.post(self.url("/stages/instruments/securities/done")))
        self.upload_documents()
        self.must(self.stage("aml", AML))

    def sign_as(self, email, user, ca):
        """The first head approves and signs the frozen summary with a key of the test PKI."""
        self.auth.logout()
        self.auth.login(email)
        self.act("approve")
        self.sign(ca, user, filename="s.p7s")

    def register(self, office="office@exchange.demo"):
        self.auth.logout()
        self.auth.login(office)
        self.act("register", {"registration_number": "ВХ-7", "registered_on": "2026-11-23"})

    def decide(self, staff, result="approved", note="Допустить"):
        """Review, the Management Board's meeting, its decision, the letter and the archive."""
        self.auth.logout()
        self.auth.login(staff)
        self.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
        self.act("decide", {"result": result, "note": note})
        self.act("issue_letter", {"title": "Письмо Биржи"}, content_type="multipart/form-data")
        self.act("archive")
        return Application.get_by_id(self.app_id)


@pytest.fixture
def filing(client, auth):
    return Filing(client, auth)
