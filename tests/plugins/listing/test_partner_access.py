"""G-9.4 for partners: a partner's employee sees an issuer's application only while assigned in it, and
only while the partnership lasts. Ending it (the Exchange, at the issuer's request) takes every route that
shows the application away at once: the page, its htmx fragments, the PDFs, the documents, the lists."""

import re

import pytest

from core.audit.models import AuditEvent
from core.notifications.models import Notification
from core.partnerships.models import PARTNER_KINDS, Partnership
from core.workflow.models import Application, ApplicationMember, ApplicationSecurity, Attachment


def _routes(client, app_id) -> list[tuple[str, dict]]:
    """Every GET that shows something of application ``app_id`` (headers: an htmx fragment request), found
    while ``client`` still sees it: every stage tab and each form's PDF ("Скачать документ") its tab links."""
    app = Application.get_by_id(app_id)
    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    stages = sorted(set(re.findall(rf"/applications/{app_id}\?stage=([\w-]+)", page)))
    assert stages, "no stage tab"
    tabs = [client.get(f"/applications/{app_id}?stage={code}").get_data(as_text=True) for code in stages]
    form_pdfs = sorted({pdf for tab in tabs for pdf in re.findall(rf"/applications/{app_id}/forms/[^\"/]+\.pdf", tab)})
    assert form_pdfs, "no tab links a form PDF"
    htmx = {"HX-Request": "true"}
    routes = [
        (f"/applications/{app_id}", {}),
        (f"/applications/{app_id}?stage={stages[0]}", htmx),
        (f"/applications/{app_id}/summary", {}),
        (f"/applications/{app_id}/summary.pdf", {}),
        (f"/applications/{app_id}/history", {}),
    ]
    routes += [(f"/applications/{app_id}?stage={code}", {}) for code in stages]
    routes += [(path, {}) for path in form_pdfs]
    routes += [
        (f"/applications/{app_id}/attachments/{a.id}", {})
        for a in Attachment.select().where(Attachment.application == app)
    ]
    routes += [
        (f"/applications/{app_id}/securities/{s.id}", {})
        for s in ApplicationSecurity.select().where(ApplicationSecurity.application == app)
    ]
    return routes


def _reached(client, routes) -> dict[str, int]:
    return {path: client.get(path, headers=headers).status_code for path, headers in routes}


def _filled_application(client, auth, journey, demo, consultant_user=None):
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all(consultant=consultant_user)
    auth.logout()
    return journey.app_id


def _end(client, auth, link):
    auth.login("admin@exchange.demo")
    assert client.post(f"/staff/partnerships/{link.id}/end").status_code == 302
    auth.logout()


def test_every_kind_of_partner_is_covered_here():
    """The tests below take each kind in core/partnerships; a new kind must be added to them."""
    assert set(PARTNER_KINDS) == {"consultant", "auditor"}


@pytest.mark.rule("G-9.4")
@pytest.mark.rule("G-9.3")
def test_an_ex_consultants_employee_loses_the_application_on_every_route(client, auth, demo, journey, mailbox):
    broker = demo["broker@demo.kz"]
    app_id = _filled_application(client, auth, journey, demo, consultant_user=broker)
    number = Application.get_by_id(app_id).number
    link = Partnership.get((Partnership.partner == broker.organisation) & (Partnership.kind == "consultant"))

    auth.login("broker@demo.kz")
    routes = _routes(client, app_id)
    before = _reached(client, routes)
    assert len(before) >= 10 and set(before.values()) == {200}, {p: s for p, s in before.items() if s != 200}
    assert number in client.get("/applications").get_data(as_text=True)
    auth.logout()

    _end(client, auth, link)

    auth.login("broker@demo.kz")  # the same person, signed in again or still signed in: no difference
    after = _reached(client, routes)
    assert set(after.values()) == {404}, after
    assert number not in client.get("/applications").get_data(as_text=True)
    refused = client.post(f"/applications/{app_id}/stages/general", data={"do": "save"})
    assert refused.status_code == 404
    assert client.post("/procedures/listing.shares/file", data={"company": str(link.client_id)}).status_code in (
        200,
        403,
    )  # no longer offered as a company to file for
    assert Application.select().count() == 1

    revoked = AuditEvent.get(AuditEvent.action == "partnership.access_revoked")
    assert revoked.object_id == str(app_id) and revoked.data["partner"] == "BRKR"
    assert [broker.id, "consultant"] in revoked.data["removed"]
    told = (
        Notification.select()
        .where((Notification.user == demo["issuer@demo.kz"]) & (Notification.kind == "partnership_removed"))
        .get()
    )
    assert number in told.message


@pytest.mark.rule("G-9.4")
def test_an_application_the_consultant_filed_for_the_issuer_stays_with_the_issuer(client, auth, demo, journey):
    auth.login("broker@demo.kz")
    demo_org = demo["issuer@demo.kz"].organisation
    app_id = journey.create(company=str(demo_org.id))
    assert Application.get_by_id(app_id).filed_by_consultant
    routes = _routes(client, app_id)
    assert set(_reached(client, routes).values()) == {200}
    auth.logout()

    _end(client, auth, Partnership.get(Partnership.partner == demo["broker@demo.kz"].organisation))

    auth.login("broker@demo.kz")
    assert set(_reached(client, routes).values()) == {404}
    auth.logout()
    auth.login("issuer@demo.kz")  # the issuer's admin keeps it, and is now its current executor
    assert set(_reached(client, routes).values()) == {200}
    assert Application.get_by_id(app_id).executor_id == demo["issuer@demo.kz"].id


@pytest.mark.rule("G-9.4")
def test_an_ex_auditors_employee_loses_the_application(client, auth, demo, journey):
    """No screen assigns an audit organisation's employee yet; the membership row stands for any assignment
    (the rule is the same: assigned, then the partnership ends)."""
    auditor = demo["auditor@demo.kz"]
    app_id = _filled_application(client, auth, journey, demo)
    auth.login("issuer@demo.kz")
    routes = _routes(client, app_id)
    auth.logout()
    auth.login("auditor@demo.kz")
    assert set(_reached(client, routes).values()) == {404}  # a partner not assigned sees nothing (G-9.4)
    auth.logout()
    link = Partnership.create(client=demo["issuer@demo.kz"].organisation, partner=auditor.organisation, kind="auditor")
    ApplicationMember.create(application=app_id, user=auditor, role="executor")

    auth.login("auditor@demo.kz")
    assert set(_reached(client, routes).values()) == {200}
    auth.logout()

    _end(client, auth, link)

    auth.login("auditor@demo.kz")
    assert set(_reached(client, routes).values()) == {404}
    assert not ApplicationMember.select().where(ApplicationMember.user == auditor).exists()


@pytest.mark.rule("G-9.4")
def test_a_consultant_never_assigned_sees_nothing_even_while_a_partner(client, auth, demo, journey):
    app_id = _filled_application(client, auth, journey, demo)
    auth.login("issuer@demo.kz")
    routes = _routes(client, app_id)
    auth.logout()
    auth.login("broker@demo.kz")
    assert Partnership.exists_between(demo["issuer@demo.kz"].organisation, demo["broker@demo.kz"].organisation)
    assert set(_reached(client, routes).values()) == {404}
    assert Application.get_by_id(app_id).number not in client.get("/applications").get_data(as_text=True)


def test_ending_another_kind_of_link_keeps_the_consultants_access(client, auth, demo, journey):
    """The broker is also the issuer's auditor; ending that link leaves the consultant's assignment."""
    broker = demo["broker@demo.kz"]
    app_id = _filled_application(client, auth, journey, demo, consultant_user=broker)
    auth.login("issuer@demo.kz")
    routes = _routes(client, app_id)
    auth.logout()
    issuer_org, broker_org = demo["issuer@demo.kz"].organisation, broker.organisation
    auditor_link = Partnership.create(client=issuer_org, partner=broker_org, kind="auditor")
    _end(client, auth, auditor_link)  # the broker stays the issuer's consultant
    auth.login("broker@demo.kz")
    assert set(_reached(client, routes).values()) == {200}
    assert re.search(r"partnership\.end", "".join(e.action for e in AuditEvent.select()))
    assert not AuditEvent.select().where(AuditEvent.action == "partnership.access_revoked").exists()


@pytest.mark.rule("G-9.4")
def test_the_document_to_sign_is_out_of_an_ex_consultants_reach(client, auth, demo, journey):
    """At signing the assigned consultant may still download the exact bytes to be signed; not after."""
    broker = demo["broker@demo.kz"]
    app_id = _filled_application(client, auth, journey, demo, consultant_user=broker)
    auth.login("broker@demo.kz")
    routes = _routes(client, app_id) + [(f"/applications/{app_id}/signing-document", {})]
    auth.logout()
    auth.login("issuer@demo.kz")
    journey.act("send_to_head")
    auth.logout()
    auth.login("ceo@demo.kz")
    journey.act("approve")
    auth.logout()
    assert Application.get_by_id(app_id).signing_file is not None

    auth.login("broker@demo.kz")
    before = _reached(client, routes)
    assert set(before.values()) == {200}, {p: s for p, s in before.items() if s != 200}
    assert client.get(f"/applications/{app_id}/signing-document").data.startswith(b"%PDF")
    auth.logout()

    _end(client, auth, Partnership.get(Partnership.partner == broker.organisation))

    auth.login("broker@demo.kz")
    assert set(_reached(client, routes).values()) == {404}
