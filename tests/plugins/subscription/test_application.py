"""The application and its way through the Exchange (S-2, S-3, form S-A1)."""

import datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.db import utcnow
from core.notifications.models import Notification
from core.workdays import add_working_days
from plugins.subscription import application, rules, service
from plugins.subscription.models import ConditionChange, Subscription
from tests.plugins.subscription.conftest import conditions

D = datetime.date


def _at(day, hour=10):
    """An Almaty moment as the stored UTC."""
    return rules.utc(day, datetime.time(hour, 0))


def _conditions(filed, accept_day, **overrides):
    c = dict(
        filed_at=datetime.datetime.combine(filed, datetime.time(10)),
        accept_from=datetime.datetime.combine(accept_day, datetime.time(10)),
        accept_to=datetime.datetime.combine(accept_day, datetime.time(16)),
        activation_at=datetime.datetime.combine(accept_day, datetime.time(15, 30)),
        accepted_register_on=add_working_days(accept_day, 1),
        satisfied_register_on=add_working_days(accept_day, 2),
        deal_at=datetime.datetime.combine(add_working_days(accept_day, 3), datetime.time(11)),
        settlement_at=datetime.datetime.combine(add_working_days(accept_day, 3), datetime.time(15)),
        ccp=True,
        settlement_org="cd",
        collateral_mode="submission",
        collateral_at=None,
        abroad=False,
        criteria_check=False,
        market_orders=False,
        security_kind="equity",
        quantity=10,
        total_nominal=None,
        nominal=None,
    )
    c.update(overrides)
    return rules.Conditions(**c)


@pytest.mark.rule("S-3.1")
def test_application_at_least_three_working_days_before_acceptance(app):
    with app.app_context():
        # Filed Friday 20 Nov 2026: Mon 23, Tue 24, Wed 25 are three working days, so Wed 25 is the earliest.
        assert rules.check_conditions(_conditions(D(2026, 11, 20), D(2026, 11, 25))) == {}
        errors = rules.check_conditions(_conditions(D(2026, 11, 20), D(2026, 11, 24)))
        assert "не ранее 25.11.2026" in str(errors["accept_from"])
        # Across Nauryz (21-25 March 2026): filed Thu 19, the working days are 20, 26, 27.
        assert "accept_from" in rules.check_conditions(_conditions(D(2026, 3, 19), D(2026, 3, 26)))
        assert rules.check_conditions(_conditions(D(2026, 3, 19), D(2026, 3, 27))) == {}


@pytest.mark.rule("S-3.1")
def test_three_working_days_count_the_working_saturday_4_may_2024(app):
    """Filed Thursday 2 May 2024: Friday 3, Saturday 4 (worked by the Government's transfer for Wednesday 8
    May) and Monday 6 are the three working days, so acceptance may start on Monday 6 May. Were the Saturday
    a day off, the earliest would be Friday 10 May (7, 8 and 9 May are days off)."""
    with app.app_context():
        assert "accept_from" not in rules.check_conditions(_conditions(D(2024, 5, 2), D(2024, 5, 6)))
        errors = rules.check_conditions(_conditions(D(2024, 5, 2), D(2024, 5, 4)))
        assert "не ранее 06.05.2024" in str(errors["accept_from"])


@pytest.mark.rule("S-3.7")
def test_abroad_with_another_settlement_org_needs_only_30_minutes(app):
    with app.app_context():
        day = D(2026, 11, 26)
        c = _conditions(
            day,
            day,
            abroad=True,
            ccp=False,
            settlement_org="other",
            filed_at=datetime.datetime.combine(day, datetime.time(9, 30)),
        )
        assert "accept_from" not in rules.check_conditions(c)
        c.filed_at = datetime.datetime.combine(day, datetime.time(9, 40))
        assert "30 минут" in str(rules.check_conditions(c)["accept_from"])


@pytest.mark.rule("S-A1")
@pytest.mark.rule("S-2.6")
@pytest.mark.rule("S-2.7")
def test_conditions_must_hold_together(app):
    with app.app_context():
        day = D(2026, 11, 26)
        c = _conditions(D(2026, 11, 20), day)
        c.settlement_at = c.deal_at + datetime.timedelta(days=1)
        assert "в дату заключения сделок" in str(rules.check_conditions(c)["settlement_at"])  # S-2.6 with CCP
        c.ccp = False
        assert "settlement_at" not in rules.check_conditions(c)  # without CCP it may differ
        c.ccp, c.settlement_org = True, "other"
        assert "корреспондентский счет" in str(rules.check_conditions(c)["settlement_org"])  # S-2.7
        c = _conditions(
            D(2026, 11, 20),
            day,
            ccp=False,
            collateral_mode="at_time",
            collateral_at=datetime.datetime.combine(day, datetime.time(12)),
        )
        assert "только с участием центрального контрагента" in str(rules.check_conditions(c)["collateral_mode"])
        c = _conditions(D(2026, 11, 20), day, security_kind="debt", quantity=None)
        errors = rules.check_conditions(c)
        assert "total_nominal" in errors and "nominal" in errors
        c = _conditions(D(2026, 11, 20), day, criteria_check=True, settlement_org="other", ccp=False)
        assert "центральный депозитарий" in str(rules.check_conditions(c)["criteria_check"])


@pytest.mark.rule("S-2.8")
def test_without_ccp_settlement_by_the_cd_or_another_organisation(app):
    with app.app_context():
        day = D(2026, 11, 26)
        assert rules.check_conditions(_conditions(D(2026, 11, 20), day, ccp=False, settlement_org="cd")) == {}
        assert rules.check_conditions(_conditions(D(2026, 11, 20), day, ccp=False, settlement_org="other")) == {}


def _filed(app, members, **overrides):
    day = add_working_days(rules.local(utcnow()).date(), 4)
    fields = conditions(
        accept_from=_at(day, 10),
        accept_to=_at(day + datetime.timedelta(days=1), 16),
        activation_at=_at(day + datetime.timedelta(days=1), 15),
        accepted_register_on=add_working_days(day + datetime.timedelta(days=1), 1),
        satisfied_register_on=add_working_days(day + datetime.timedelta(days=1), 2),
        deal_at=_at(add_working_days(day + datetime.timedelta(days=1), 3), 11),
        settlement_at=_at(add_working_days(day + datetime.timedelta(days=1), 3), 15),
        **overrides,
    )
    with app.test_request_context():
        sub = application.create(members["seller"], fields)
        return application.file(sub, members["seller"])


@pytest.mark.rule("S-3.2")
@pytest.mark.rule("S-3.3")
@pytest.mark.rule("S-3.4")
@pytest.mark.rule("S-3.5")
def test_trading_check_board_decision_cd_consent_number_and_announcement(client, auth, app, members, demo):
    sub = _filed(app, members)
    assert sub.state == "filed"
    assert Notification.select().where(Notification.user == demo["trading@exchange.demo"]).exists()
    auth.login("trading@exchange.demo")
    client.post(f"/subscriptions/{sub.id}/check", data={"note": "Соответствует правилам"})
    assert Subscription.get_by_id(sub.id).state == "checked"
    auth.logout()
    auth.login("board@exchange.demo")
    client.post(f"/subscriptions/{sub.id}/decide/board", data={"decision": "approve", "note": ""})
    assert Subscription.get_by_id(sub.id).state == "cd_consent"
    assert Notification.select().where(Notification.user == demo["csd@demo.kz"]).exists()
    auth.logout()
    auth.login("csd@demo.kz")
    client.post(f"/subscriptions/{sub.id}/cd", data={"decision": "approve", "note": ""})
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "registered" and sub.number.startswith("SUB-") and sub.cd_consent_at is not None
    assert sub.announced_at is not None
    page = client.get("/announcements").get_data(as_text=True)
    assert sub.number in page
    feed = client.get("/announcements.atom")
    assert feed.mimetype == "application/atom+xml" and sub.number in feed.get_data(as_text=True)


@pytest.mark.rule("S-3.5")
@pytest.mark.rule("S-2.3")
def test_private_placement_is_never_announced(client, app, members):
    sub = _filed(app, members, private=True, settlement_org="other", ccp=False)
    with app.test_request_context():
        application.trading_check(sub, members["seller"], "")
        application.board_decide(Subscription.get_by_id(sub.id), members["seller"], True, "")
    sub = Subscription.get_by_id(sub.id)
    assert sub.state == "registered" and sub.announced_at is None
    assert sub.number not in client.get("/announcements").get_data(as_text=True)
    assert client.get(f"/announcements/{sub.number}").status_code == 404


@pytest.mark.rule("S-3.2")
@pytest.mark.rule("S-3.6")
def test_board_refusal_goes_to_the_management_board_and_the_seller_is_told(client, auth, app, members, demo):
    sub = _filed(app, members)
    with app.test_request_context():
        application.trading_check(sub, members["seller"], "")
    auth.login("board@exchange.demo")
    missing = client.post(
        f"/subscriptions/{sub.id}/decide/board", data={"decision": "refuse", "note": ""}, follow_redirects=True
    )
    assert "Укажите причину отказа." in missing.get_data(as_text=True)
    client.post(
        f"/subscriptions/{sub.id}/decide/board", data={"decision": "refuse", "note": "Нет технической возможности"}
    )
    assert Subscription.get_by_id(sub.id).state == "board_refused"
    client.post(f"/subscriptions/{sub.id}/decide/management", data={"decision": "refuse", "note": "Отказать"})
    assert Subscription.get_by_id(sub.id).state == "refused"
    note = Notification.select().where(Notification.user == members["seller"]).order_by(Notification.id.desc()).first()
    assert "отказано" in note.message


@pytest.mark.rule("S-3.2")
def test_refiling_moves_the_start(client, auth, app, members):
    sub = _filed(app, members)
    with app.test_request_context():
        application.trading_check(sub, members["seller"], "")
        application.board_decide(Subscription.get_by_id(sub.id), members["seller"], False, "Перенесите даты")
        application.management_decide(Subscription.get_by_id(sub.id), members["seller"], False, "Перенесите даты")
        sub = Subscription.get_by_id(sub.id)
        later = {
            k: v + datetime.timedelta(days=7)
            for k, v in {
                "accept_from": sub.accept_from,
                "accept_to": sub.accept_to,
                "activation_at": sub.activation_at,
            }.items()
        }
        Subscription.update(
            **later,
            accepted_register_on=add_working_days(rules.local(later["accept_to"]).date(), 1),
            satisfied_register_on=add_working_days(rules.local(later["accept_to"]).date(), 2),
            deal_at=_at(add_working_days(rules.local(later["accept_to"]).date(), 4), 11),
            settlement_at=_at(add_working_days(rules.local(later["accept_to"]).date(), 4), 15),
        ).where(Subscription.id == sub.id).execute()
        sub = application.file(Subscription.get_by_id(sub.id), members["seller"])
    assert sub.state == "filed"


@pytest.mark.rule("S-2.10")
@pytest.mark.rule("S-2.11")
def test_conditions_change_at_the_sellers_request_and_everyone_is_told(
    client, auth, app, members, demo, make_subscription, mailbox
):
    sub = make_subscription()
    auth.login("seller@demo.kz")
    client.post(f"/subscriptions/{sub.id}/changes", data={"request_text": "Прошу изменить цену", "price": "1100"})
    change = ConditionChange.get()
    auth.logout()
    auth.login("board@exchange.demo")
    client.post(f"/subscriptions/{sub.id}/changes/{change.id}", data={"decision": "approve"})
    assert Subscription.get_by_id(sub.id).price == Decimal("1100")
    for email in ("csd@demo.kz", "buyer1@demo.kz", "buyer2@demo.kz"):
        assert Notification.select().where(Notification.user == demo[email]).exists(), email


@pytest.mark.rule("S-2.4")
def test_a_consortium_sells_through_its_lead_member(app, members, demo):
    from plugins.subscription.models import ConsortiumMember

    with app.test_request_context():
        sub = application.create(members["seller"], conditions(), consortium=[demo["broker@demo.kz"].organisation])
    assert sub.seller_id == members["seller"].organisation_id
    assert [m.organisation.code for m in ConsortiumMember.select()] == ["BRKR"]


def test_only_stock_members_file(app, demo):
    with app.test_request_context(), pytest.raises(service.SubscriptionError):
        application.create(demo["issuer@demo.kz"], conditions())


def test_application_form_in_the_browser_pages(client, auth, members):
    auth.login("seller@demo.kz")
    page = client.get("/subscriptions/new").get_data(as_text=True)
    for label in (
        "1. Дата начала приема заявок",
        "9. Режим",
        "12.1–12.6. Сведения",
        "15. Расчеты проводит",
        "18. Иные условия",
    ):
        assert label in page
    bad = client.post("/subscriptions/new", data={"isin": "KZ1C00000877"})
    assert bad.status_code == 422 and "не сходится контрольная цифра" in bad.get_data(as_text=True)


def test_the_trading_department_reads_the_filing_notice_in_its_own_language(app, members, people):
    """Issue 15: the notice the seller's filing sends is kept in every language and shown in the reader's
    (written by a Russian session, read by an English and a Kazakh one)."""
    sub = _filed(app, members)
    note = Notification.select().where(Notification.user == people["trading"]).order_by(Notification.id.desc()).get()
    with app.test_request_context("/"):
        with force_locale("en"):
            assert note.procedure_text == f"Subscription to securities {sub.number or sub.isin}"
            assert note.message_text == f"An application for a subscription for {sub.isin} has been received."
        with force_locale("kk"):
            assert note.procedure_text.startswith("Бағалы қағаздарға жазылым")
            assert "Поступило" not in note.message_text
        with force_locale("ru"):
            assert note.message_text == f"Поступило заявление о проведении подписки на {sub.isin}."
