"""The tab "Партнерства" (G-9.3)."""

import re

import pytest

from core.audit.models import AuditEvent
from core.notifications.models import Notification
from core.partnerships.models import Partnership


@pytest.fixture
def issuer(make, auth):
    org = make.org("ISSR", roles=("issuer",))
    user = make.user(org, email="i@example.kz", is_org_admin=True)
    auth.login("i@example.kz")
    return user


@pytest.mark.rule("G-9.3")
def test_issuer_adds_a_consultant_from_active_companies_of_that_role(client, issuer, make):
    broker = make.org("BRKR", roles=("consultant",), name_ru="Брокер")
    make.org("AUDT", roles=("auditor",), name_ru="Аудитор")
    make.org("OLD", roles=("consultant",), name_ru="Закрытый", is_active=False)
    partner_admin = make.user(broker, is_org_admin=True)

    fragment = client.get("/partnerships?kind=consultant", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="partner-choice"' in html
    assert "АО «Брокер»" in html and "Аудитор" not in html and "Закрытый" not in html

    response = client.post("/partnerships", data={"kind": "consultant", "partner": str(broker.id)})
    assert response.headers["Location"] == "/partnerships"
    assert Partnership.exists_between(issuer.organisation, broker, "consultant")
    assert "АО «Брокер»" in client.get("/partnerships").get_data(as_text=True)
    assert AuditEvent.get(AuditEvent.action == "partnership.add").data == {"kind": "consultant", "partner": "BRKR"}
    assert Notification.get(Notification.user == partner_admin).kind == "partnership_added"


@pytest.mark.rule("G-9.3")
def test_the_cascade_works_without_javascript(client, issuer, make):
    make.org("CONS", roles=("consultant",), name_ru="Консультант")
    page = client.get("/partnerships?kind=consultant").get_data(as_text=True)
    assert "<html" in page and "АО «Консультант»" in page
    assert 'name="partner"' in page and "Добавить" in page


@pytest.mark.rule("G-9.3")
def test_a_company_of_another_role_cannot_be_added(client, issuer, make):
    auditor = make.org("AUDT", roles=("auditor",))
    make.org("BRKR", roles=("consultant",))
    response = client.post("/partnerships", data={"kind": "consultant", "partner": str(auditor.id)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Проверьте выделенные поля: данные не сохранены." in html
    assert re.search(r'aria-invalid="true"[^>]* id="partner"', html)
    assert Partnership.select().count() == 0


@pytest.mark.rule("G-9.3")
def test_clients_cannot_remove_a_partner_only_exchange_admins(client, issuer, make, auth):
    broker = make.org("BRKR", roles=("consultant",))
    link = Partnership.create(client=issuer.organisation, partner=broker, kind="consultant")
    assert client.post(f"/staff/partnerships/{link.id}/end").status_code == 403
    html = client.get("/partnerships").get_data(as_text=True)
    assert "listing@kase.kz" in html  # removal is requested from the Exchange
    auth.logout()
    make.staff("admin", email="root@kase.kz")
    auth.login("root@kase.kz")
    assert "BRKR" in client.get("/staff/partnerships").get_data(as_text=True)
    client.post(f"/staff/partnerships/{link.id}/end")
    assert not Partnership.exists_between(issuer.organisation, broker)
    assert Notification.get(Notification.user == issuer).kind == "partnership_removed"


def test_partner_sees_whom_it_serves(client, make, auth):
    issuer_org = make.org("ISSR", name_ru="Эмитент")
    broker = make.org("BRKR", roles=("consultant",))
    make.user(broker, email="b@example.kz")
    Partnership.create(client=issuer_org, partner=broker, kind="consultant")
    auth.login("b@example.kz")
    html = client.get("/partnerships").get_data(as_text=True)
    assert "Организации, для которых мы являемся партнером" in html and "АО «Эмитент»" in html


def test_an_already_added_partner_is_not_offered_again(client, issuer, make):
    broker = make.org("BRKR", roles=("consultant",), name_ru="Брокер")
    Partnership.create(client=issuer.organisation, partner=broker, kind="consultant")
    html = client.get("/partnerships?kind=consultant", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "АО «Брокер»" not in html and "Нет доступных активных компаний" in html
