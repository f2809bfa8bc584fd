"""Exchange membership through the Flask client: admission, an additional category and termination end
to end, what an archived decision changes (the role "member" and the categories), the pages, the
command for members admitted on paper, and the plugin switched off."""

import datetime

import pytest

from core import create_app
from core.accounts.models import Organisation
from core.notifications.models import Notification
from core.workflow.models import Application, Transition
from plugins.membership.models import Membership
from tests.conftest import almaty_today, meeting_today
from tests.plugins.membership.conftest import ORGANISATION, admission

CHAIN = ["send_to_head", "approve", "sign", "register", "schedule", "decide", "issue_letter", "archive"]


def org(code) -> Organisation:
    return Organisation.get(Organisation.code == code)


def roles(code) -> set[str]:
    return org(code).roles


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-19")
@pytest.mark.rule("G-21")
@pytest.mark.rule("G-23")
@pytest.mark.rule("G-24")
def test_an_approved_admission_makes_the_candidate_a_member_in_its_categories(
    client, auth, demo, membership, monitoring, head_of, trusted, mailbox
):
    head = head_of("CAND")
    auth.login("candidate@demo.kz")
    membership.create("membership.admission")
    membership.fill_admission("stock", "currency")
    membership.submit(head, trusted)
    app = Application.get_by_id(membership.app_id)
    assert app.number.startswith("M-") and app.process == "review"
    auth.logout()
    auth.login("listing@exchange.demo")  # reviewed by the monitoring department only
    assert client.get(membership.url()).status_code == 404
    auth.logout()
    auth.login(monitoring.email)
    assert app.number in client.get("/staff/inbox?department=monitoring").get_data(as_text=True)
    assert Membership.categories_of(org("CAND")) == []  # nothing before the decision
    assert "member" not in roles("CAND")

    app = membership.decide(monitoring, note="Принять в члены Биржи по категориям «фондовая» и «валютная».")
    assert app.status == "archived"
    assert [t.action for t in Transition.select().order_by(Transition.id)] == CHAIN
    assert "member" in roles("CAND")
    assert Membership.categories_of(org("CAND")) == ["stock", "currency"]
    assert Membership.has_category(org("CAND"), "stock") and not Membership.has_category(org("CAND"), "derivatives")
    row = Membership.get((Membership.organisation == org("CAND")) & (Membership.category == "stock"))
    assert row.granted_by_id == app.id and row.until is None and row.since == almaty_today()
    candidate = demo["candidate@demo.kz"]
    assert Notification.get(Notification.user == candidate, Notification.kind == "membership.changed")
    assert "Фондовая, Валютная" in mailbox.body(mailbox.wait_for("candidate@demo.kz")[-1])

    auth.login("candidate@demo.kz")
    page = client.get("/membership/").get_data(as_text=True)
    assert "Фондовая" in page and "Валютная" in page and app.number in page
    assert page.index("Фондовая") < page.index("Валютная")  # in the Exchange's order
    assert "Присвоение члену Биржи дополнительной категории" in page  # now a member, it may ask for more


@pytest.mark.rule("G-23")
def test_a_refused_admission_grants_nothing(client, auth, demo, membership, monitoring, head_of, trusted):
    head = head_of("CAND")
    auth.login("candidate@demo.kz")
    membership.create("membership.admission")
    membership.fill_admission("derivatives")
    membership.submit(head, trusted)
    app = membership.decide(monitoring, result="refused", note="Кандидат не соответствует требованиям.")
    assert app.status == "archived" and app.decision.startswith("Отказ")
    assert "member" not in roles("CAND") and "candidate" in roles("CAND")
    assert Membership.categories_of(org("CAND")) == []


def test_a_decision_recorded_in_kazakh_still_counts(client, auth, demo, membership, monitoring, head_of, trusted):
    head = head_of("CAND")
    auth.login("candidate@demo.kz")
    membership.create("membership.admission")
    membership.fill_admission("stock")
    membership.submit(head, trusted)
    auth.logout()
    auth.login(monitoring.email)
    client.post("/language", data={"lang": "kk", "next": "/"})
    membership.act("schedule", {"meeting_date": meeting_today(), "meeting_time": "15:00"})
    membership.act("decide", {"result": "approved", "note": "Қабылдансын."})
    membership.act("issue_letter", {"title": "Биржа хаты"}, content_type="multipart/form-data")
    membership.act("archive")
    assert Application.get_by_id(membership.app_id).decision.startswith("Оң шешім")
    assert "member" in roles("CAND") and Membership.categories_of(org("CAND")) == ["stock"]


def test_an_additional_category_is_added_to_a_member(client, auth, demo, membership, monitoring, head_of, trusted):
    head = head_of("SELL")
    Membership.grant(org("SELL"), ["stock"], datetime.date(2015, 1, 5))
    auth.login("seller@demo.kz")
    membership.create("membership.add_category")
    membership.fill_additional("derivatives")
    membership.submit(head, trusted)
    app = membership.decide(monitoring)
    assert app.number.startswith("MC-")
    assert Membership.categories_of(org("SELL")) == ["stock", "derivatives"]
    assert "member" in roles("SELL")


def test_a_category_already_held_cannot_be_asked_for_again(client, auth, demo, membership):
    Membership.grant(org("SELL"), ["stock", "currency"], datetime.date(2015, 1, 5))
    auth.login("seller@demo.kz")
    membership.create("membership.add_category")
    membership.fill_additional("stock")
    response = membership.act("send_to_head", expect=409)
    assert "уже является членом Биржи по категориям: Фондовая" in response.get_data(as_text=True)
    assert Application.get_by_id(membership.app_id).process == "fill"  # the move was refused


def test_a_termination_in_a_category_not_held_is_refused(client, auth, demo, membership):
    Membership.grant(org("SELL"), ["stock"], datetime.date(2015, 1, 5))
    auth.login("seller@demo.kz")
    membership.create("membership.termination")
    membership.fill_termination("derivatives")
    html = membership.act("send_to_head", expect=409).get_data(as_text=True)
    assert "не является членом Биржи по категориям: Деривативы. Ее категории: Фондовая." in html


def test_termination_takes_the_role_and_closes_every_category(
    client, auth, demo, membership, monitoring, head_of, trusted
):
    head = head_of("SELL")
    Membership.grant(org("SELL"), ["stock", "currency"], datetime.date(2015, 1, 5))
    auth.login("seller@demo.kz")
    membership.create("membership.termination")
    membership.fill_termination("stock", "currency")
    membership.submit(head, trusted)
    app = membership.decide(monitoring, note="Прекратить членство.")
    assert app.number.startswith("MT-")
    assert "member" not in roles("SELL")
    assert Membership.categories_of(org("SELL")) == [] and not Membership.has_category(org("SELL"), "stock")
    closed = list(Membership.select().where(Membership.organisation == org("SELL")))
    assert len(closed) == 2 and all(r.until is not None and r.ended_by_id == app.id for r in closed)
    assert "Demo Seller" not in client.get("/membership/members").get_data(as_text=True)
    auth.login("seller@demo.kz")
    assert client.get("/membership/").status_code == 403  # no longer a member


def test_termination_in_one_category_keeps_the_others(client, auth, demo, membership, monitoring, head_of, trusted):
    head = head_of("SELL")
    Membership.grant(org("SELL"), ["stock", "currency"], datetime.date(2015, 1, 5))
    auth.login("seller@demo.kz")
    membership.create("membership.termination")
    membership.fill_termination("currency")
    membership.submit(head, trusted)
    membership.decide(monitoring)
    assert "member" in roles("SELL") and Membership.categories_of(org("SELL")) == ["stock"]
    auth.login("seller@demo.kz")
    page = client.get("/membership/").get_data(as_text=True)
    assert "Прекращенное членство" in page and "Валютная" in page


@pytest.mark.rule("G-14")
def test_the_categories_are_checkboxes_and_at_least_one_is_required(client, auth, demo, membership):
    auth.login("candidate@demo.kz")
    membership.create("membership.admission")
    page = client.get(membership.url("?stage=statement")).get_data(as_text=True)
    for value in ("stock", "currency", "derivatives"):
        # one group: "required" is on its legend, not on each box
        assert f'name="categories-categories" type="checkbox" value="{value}"' in page
    assert 'Категории членства <span class="req"' in page
    none = membership.stage("statement", admission())
    assert none.status_code == 422 and "Выберите хотя бы одну категорию." in none.get_data(as_text=True)
    bad_bin = membership.stage("organisation", {**ORGANISATION, "organisation-bin": "123"})
    assert "БИН должен состоять из 12 цифр." in bad_bin.get_data(as_text=True)


@pytest.mark.parametrize(
    "email, shown",
    [("candidate@demo.kz", True), ("seller@demo.kz", True), ("issuer@demo.kz", False), ("auditor@demo.kz", False)],
)
def test_the_membership_page_is_for_members_and_candidates(client, auth, demo, email, shown):
    auth.login(email)
    home = client.get("/").get_data(as_text=True)
    assert ('href="/membership/"' in home) is shown
    assert client.get("/membership/").status_code == (200 if shown else 403)


def test_the_public_members_page_needs_no_login(client, demo, make):
    make.org("PAPR", roles=("member",), name_ru="Paper Member")  # admitted before the portal
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/membership/members"' in login and "Члены Биржи" in login  # the footer link
    response = client.get("/membership/members")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    for name in ("Demo Seller", "Demo Buyer One", "Demo Buyer Two", "Demo Broker", "Paper Member"):
        assert name in html, name
    assert "Demo Candidate" not in html and "Demo Issuer" not in html
    assert "Фондовая" in html and "Деривативы" in html and "Категории не внесены в систему" in html
    # one category, as an htmx fragment and as a plain page
    fragment = client.get("/membership/members?category=derivatives", headers={"HX-Request": "true"})
    part = fragment.get_data(as_text=True)
    assert "<html" not in part and 'id="member-list"' in part and "HX-Request" in fragment.headers["Vary"]
    assert "Demo Buyer One" in part and "Demo Seller" not in part
    page = client.get("/membership/members?category=derivatives").get_data(as_text=True)
    assert "<html" in page and "Demo Buyer One" in page and "Demo Seller" not in page


def test_a_member_admitted_on_paper_is_recorded_from_the_command_line(app, demo, make):
    make.org("PAPR", roles=("issuer",))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["membership-record", "PAPR", "stock", "currency", "--since", "2014-09-01"])
    assert result.exit_code == 0, result.output
    assert "PAPR: member in stock, currency" in result.output
    assert Membership.has_category(org("PAPR"), "stock") and "member" in roles("PAPR")
    assert Membership.get(Membership.organisation == org("PAPR")).since == datetime.date(2014, 9, 1)
    bad = runner.invoke(args=["membership-record", "PAPR", "bonds"])
    assert bad.exit_code != 0 and "unknown categories" in bad.output


def test_the_demo_members_get_their_categories_once(app, demo):
    from core.demo import load

    assert Membership.categories_of(org("SELL")) == ["stock"]
    assert Membership.categories_of(org("BUY1")) == ["stock", "derivatives"]
    before = Membership.select().count()
    with app.test_request_context():
        load(echo=lambda *_: None)
    assert Membership.select().count() == before


def test_the_subscription_module_learns_the_categories_through_the_hook(app, demo, make):
    hook = app.extensions["is2in.pm"].hook.is2in_member_categories
    assert hook(organisation=org("BUY1")) == [{"stock", "derivatives"}]
    paper = make.org("PAPR", roles=("member",))
    assert hook(organisation=paper) == []  # nothing recorded: the role alone decides
    Membership.close(org("SELL"), ["stock"], datetime.date(2024, 1, 1))
    assert hook(organisation=org("SELL")) == [set()]  # recorded, and no longer a stock member


def test_the_register_keeps_history_and_orders_categories(app, demo, make):
    member = make.org("PAPR", roles=("member",))
    assert Membership.grant(member, ["derivatives", "stock", "bonds"], datetime.date(2020, 1, 1)) == [
        "stock",
        "derivatives",
    ]
    assert Membership.grant(member, ["stock"], datetime.date(2021, 1, 1)) == []  # already held
    assert Membership.close(member, ["stock"], datetime.date(2022, 1, 1)) == ["stock"]
    assert Membership.categories_of(member) == ["derivatives"]
    assert Membership.grant(member, ["stock"], datetime.date(2023, 1, 1)) == ["stock"]  # admitted again
    assert Membership.select().where(Membership.organisation == member).count() == 3
    register = dict(Membership.register())
    assert [r.category for r in register[member]] == ["stock", "derivatives"]


def test_the_plugin_can_be_switched_off(app_config, auth_factory, demo):
    app = create_app({**app_config, "DISABLED_PLUGINS": ["membership"]})
    codes = set(app.extensions["is2in.procedures"])
    assert not [c for c in codes if c.startswith("membership.")]
    assert "nonlisting.admission" in codes and "listing.shares" in codes
    anonymous = app.test_client()
    assert anonymous.get("/membership/members").status_code == 404
    assert "Члены Биржи" not in anonymous.get("/login").get_data(as_text=True)
    client = auth_factory(app, "candidate@demo.kz")
    home = client.get("/").get_data(as_text=True)
    assert "/membership/" not in home
    assert "Прием в члены Биржи" not in client.get("/procedures").get_data(as_text=True)
    for path in ("/", "/procedures", "/applications", "/archive", "/partnerships", "/regulations"):
        assert client.get(path).status_code == 200, path


def test_the_members_page_reads_in_kazakh_and_english(client, demo):
    client.post("/language", data={"lang": "kk", "next": "/membership/members"})
    html = client.get("/membership/members").get_data(as_text=True)
    assert "Биржа мүшелері" in html and "Қор" in html and "Члены Биржи" not in html
    client.post("/language", data={"lang": "en", "next": "/membership/members"})
    html = client.get("/membership/members").get_data(as_text=True)
    assert "Exchange members" in html and "Stock" in html and "All categories" in html
