"""Refused access leaves a trace: every 403/404 a signed-in user gets on a route that exists is an audit
event (who, what object, which route, from which address), and the Exchange's security staff list them."""

import pytest

from core.audit.models import AuditEvent
from core.notifications.models import Notification
from core.workflow.models import Application, ApplicationMember

ATTACKER_IP = "203.0.113.9"


def _refusals():
    return list(AuditEvent.select().where(AuditEvent.action == "access.refused").order_by(AuditEvent.id))


@pytest.fixture
def victim_application(make):
    victim = make.org("VICT", roles=("issuer",))
    author = make.user(victim, email="owner@victim.kz")
    app = Application.create(number="L-2026-00042", organisation=victim, procedure="listing.shares", author=author)
    ApplicationMember.create(application=app, user=author, role="author")
    return app


def test_asking_for_another_organisations_application_is_recorded(client, auth, make, victim_application):
    intruder = make.user(make.org("INTR"), email="intruder@example.kz")
    auth.login("intruder@example.kz")
    response = client.get(
        f"/applications/{victim_application.id}/summary.pdf", environ_base={"REMOTE_ADDR": ATTACKER_IP}
    )
    assert response.status_code == 404  # the application does not exist for this user...
    (event,) = _refusals()  # ...but the Exchange knows someone asked
    assert event.actor_id == intruder.id and event.organisation_id == intruder.organisation_id
    assert (event.object_type, event.object_id) == ("application", str(victim_application.id))
    assert event.ip == ATTACKER_IP
    assert event.data["owner"] == "VICT" and event.data["status"] == 404
    assert event.data["route"] == "/applications/<int:app_id>/summary.pdf"
    assert event.data["path"] == f"/applications/{victim_application.id}/summary.pdf"


def test_a_refusal_inside_any_view_is_recorded_without_the_view_knowing(client, auth, make):
    """The notifications view refuses with a plain abort(404); the record is made in core/access.py."""
    owner = make.user(email="owner@example.kz")
    note = Notification.create(user=owner, kind="password_reset", message="личное")
    make.user(email="intruder@example.kz")
    auth.login("intruder@example.kz")
    assert client.post(f"/cabinet/notifications/{note.id}/read").status_code == 404
    (event,) = _refusals()
    assert (event.object_type, event.object_id) == ("notification", str(note.id))
    assert event.data["method"] == "POST"


def test_a_client_on_a_staff_route_is_recorded(client, auth, make):
    make.user(email="client@example.kz")
    auth.login("client@example.kz")
    assert client.get("/staff/audit").status_code == 403
    (event,) = _refusals()
    assert event.data["reason"] == "route" and event.data["route"] == "/staff/audit"


def test_ones_own_pages_and_unknown_addresses_record_nothing(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    assert client.get("/").status_code == 200
    assert client.get("/no-such-page").status_code == 404  # no route: nothing was asked of anyone
    assert _refusals() == []


def test_anonymous_visitors_are_sent_to_sign_in_not_recorded(client, victim_application):
    assert client.get(f"/applications/{victim_application.id}").status_code == 302
    assert _refusals() == []


@pytest.mark.parametrize("department", ["security", "admin"])
def test_security_staff_list_and_filter_refusals(client, auth, make, victim_application, department):
    make.user(make.org("INTR"), email="intruder@example.kz")
    make.user(make.org("OTHR"), email="other@example.kz")
    auth.login("intruder@example.kz")
    client.get(f"/applications/{victim_application.id}", environ_base={"REMOTE_ADDR": ATTACKER_IP})
    auth.logout()
    auth.login("other@example.kz")
    client.get("/staff/users")
    auth.logout()

    make.staff(department, email="guard@kase.kz")
    auth.login("guard@kase.kz")
    page = client.get("/staff/security").get_data(as_text=True)
    assert "intruder@example.kz" in page and "other@example.kz" in page
    assert ATTACKER_IP in page and "VICT" in page and f"/applications/{victim_application.id}" in page

    by_org = client.get("/staff/security?who=INTR").get_data(as_text=True)
    assert "intruder@example.kz" in by_org and "other@example.kz" not in by_org
    by_route = client.get("/staff/security?route=/staff/").get_data(as_text=True)
    assert "other@example.kz" in by_route and "intruder@example.kz" not in by_route
    future = client.get("/staff/security?from=2999-01-01").get_data(as_text=True)
    assert "intruder@example.kz" not in future and "Записей нет." in future
    bad = client.get("/staff/security?from=01.02.2026").get_data(as_text=True)
    assert "Дата не распознана: 01.02.2026" in bad


@pytest.mark.parametrize("department", ["listing", "office", "board"])
def test_other_staff_and_clients_cannot_read_the_refusals(client, auth, make, department):
    make.staff(department, email="staff@kase.kz")
    auth.login("staff@kase.kz")
    assert client.get("/staff/security").status_code == 403
    auth.logout()
    make.user(email="a@example.kz", is_org_admin=True)
    auth.login("a@example.kz")
    assert client.get("/staff/security").status_code == 403


def test_security_staff_manage_nothing(client, auth, make):
    """The security department reads; the admin screens stay closed to it."""
    make.staff("security", email="guard@kase.kz")
    auth.login("guard@kase.kz")
    for path in ("/staff/users", "/staff/mail", "/staff/organisations"):
        assert client.get(path).status_code == 403, path


def test_a_missing_static_file_is_not_a_refusal(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    assert client.get("/static/no-such.css").status_code == 404
    assert _refusals() == []
