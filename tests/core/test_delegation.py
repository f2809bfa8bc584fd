"""Delegation with a power of attorney (#19.3), through the Flask client as the people live it: the first head
gives his substitute a power of attorney for a range of Almaty dates and signs it with his key; within the range
the substitute approves and signs applications with his own key (his IIN, the organisation's BIN), and the trail
and the signed copy's stamp say on whose behalf; before or after the range, after revocation, or with someone
else's key, nothing moves."""

# ruff: noqa: F811 - the signing fixtures (world, kit) are imported and then asked for by name

import datetime
import io

import pytest

from core import clock
from core.audit.models import AuditEvent
from core.delegation.models import PowerOfAttorney
from core.delegation.service import remind_ending
from core.files import store
from core.notifications.models import Notification
from core.signing.models import SignatureEvidence
from core.workflow.models import Application, Attachment, Signature, Transition
from tests.core.test_signing_flow import approve, at_approval, send, text_of, world  # noqa: F401 - fixtures
from tests.core.test_signing_kit import kit, responder  # noqa: F401 - fixtures

SCAN = b"%PDF-1.4\n% the scanned paper power of attorney\n%%EOF\n"
HEAD, SUBSTITUTE = "ceo@demo.kz", "deputy@demo.kz"


@pytest.fixture(autouse=True)
def deputy(world, make):
    """The first head's deputy at Demo Issuer: not the author of its applications, no member of them."""
    user = make.user(
        world[HEAD].organisation,
        email=SUBSTITUTE,
        first_name="Айдос",
        last_name="Есенов",
        position="Заместитель Председателя Правления",
    )
    world[SUBSTITUTE] = user
    return user


def days(n: int) -> datetime.date:
    return clock.today() + datetime.timedelta(days=n)


def give(client, auth, demo, *, start=0, end=5, number="17-Д", substitute=SUBSTITUTE):
    """The first head fills in "Выдать доверенность"; the power of attorney waits for his signature."""
    auth.login(HEAD)
    response = client.post(
        "/delegations",
        data={
            "substitute": str(demo[substitute].id),
            "number": number,
            "issued_on": days(min(start, 0)).isoformat(),
            "valid_from": days(start).isoformat(),
            "valid_until": days(end).isoformat(),
            "scan": (io.BytesIO(SCAN), "доверенность.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return PowerOfAttorney.select().order_by(PowerOfAttorney.id.desc()).get()


def sign_poa(client, kit, demo, poa, key=None, expect=302):  # noqa: F811
    statement = client.get(f"/delegations/{poa.id}/statement.pdf").data
    assert statement.startswith(b"%PDF")
    cms = kit.sign(key or kit.person(demo[HEAD]), statement)
    response = client.post(
        f"/delegations/{poa.id}/sign",
        data={"signature": (io.BytesIO(cms), "poa.p7s")},
        content_type="multipart/form-data",
    )
    assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
    return PowerOfAttorney.get_by_id(poa.id)


@pytest.fixture
def in_force(app, client, auth, world, kit):  # noqa: F811
    """A signed power of attorney for the substitute from today for five days; the first head signed out."""
    poa = sign_poa(client, kit, world, give(client, auth, world))
    auth.logout()
    return poa


def substitute_key(kit, demo, **fields):  # noqa: F811
    return kit.person(demo[SUBSTITUTE], role="authorised", **fields)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- within the range: the substitute acts for the first head -------------------------------------------


def test_the_substitute_approves_and_signs_within_the_range_and_the_stamp_says_for_whom(
    app,
    client,
    auth,
    world,
    kit,  # noqa: F811
    in_force,
    tmp_path,
):
    app_id = at_approval(app, world)
    head = world[HEAD]
    auth.login(SUBSTITUTE)
    assert client.get(f"/applications/{app_id}").status_code == 200  # he sees what waits for the first head

    document = approve(client, app_id)
    send(client, app_id, kit.sign(substitute_key(kit, world), document))

    application = Application.get_by_id(app_id)
    assert application.process == "registration"
    wording = (
        f"действующий по доверенности № 17-Д от {clock.today():%d.%m.%Y} за Председатель Правления {head.full_name}"
    )
    moves = {t.action: t for t in Transition.select().where(Transition.application == app_id)}
    assert moves["approve"].actor_id == moves["sign"].actor_id == world[SUBSTITUTE].id
    assert moves["approve"].on_behalf == moves["sign"].on_behalf == wording
    for action in ("application.approve", "application.sign"):
        event = AuditEvent.get((AuditEvent.action == action) & (AuditEvent.object_id == str(app_id)))
        assert event.data["on_behalf"] == wording and event.data["poa"] == in_force.id
    signature = Signature.get(Signature.application == app_id)
    assert (signature.iin, signature.bin) == (world[SUBSTITUTE].iin, head.organisation.bin)
    assert SignatureEvidence.get().on_behalf == wording
    with app.app_context():
        copy = Attachment.get((Attachment.application == app_id) & (Attachment.kind == "signed")).file.read()
    stamp = flat(text_of(copy, tmp_path))
    assert (
        f"Данный документ подписал: {world[SUBSTITUTE].position} ЕСЕНОВ АЙДОС, действующий по доверенности "
        f"№ 17-Д от {clock.today():%d.%m.%Y} за Председатель Правления {head.full_name}"
    ) in stamp
    history = flat(client.get(f"/applications/{app_id}/history").get_data(as_text=True))
    assert "действующий по доверенности № 17-Д" in history


def test_a_substitute_is_told_and_sees_the_power_of_attorney_but_cannot_revoke_it(client, auth, world, in_force):
    note = Notification.get((Notification.user == world[SUBSTITUTE].id) & (Notification.kind == "delegation"))
    assert "17-Д" in note.message
    auth.login(SUBSTITUTE)
    page = client.get(f"/delegations/{in_force.id}").get_data(as_text=True)
    assert "Действует" in page and "Отозвать" not in page
    assert client.post(f"/delegations/{in_force.id}/revoke", data={}).status_code == 403
    assert PowerOfAttorney.get_by_id(in_force.id).revoked_at is None


# --- outside the range, revoked, unsigned: nothing moves --------------------------------------------------


def _refused(client, app_id):
    version = Application.get_by_id(app_id).version
    response = client.post(f"/applications/{app_id}/act/approve", data={"version": str(version)})
    application = Application.get_by_id(app_id)
    assert response.status_code == 404  # not his to see, let alone approve
    assert (application.process, application.version) == ("approval", version)
    assert not Transition.select().where(Transition.application == app_id).exists()


def test_the_substitute_cannot_act_before_the_range(app, client, auth, world, kit):  # noqa: F811
    sign_poa(client, kit, world, give(client, auth, world, start=1, end=5))
    auth.logout()
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    _refused(client, app_id)


def test_the_power_of_attorney_ends_by_itself_after_its_last_day(app, client, auth, world, in_force):
    # four days have passed since: the range (Almaty dates) ended yesterday
    PowerOfAttorney.update(valid_from=days(-4), valid_until=days(-1)).where(PowerOfAttorney.id == in_force.id).execute()
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    _refused(client, app_id)
    auth.logout()
    auth.login(HEAD)
    assert "Срок истёк" in client.get("/delegations").get_data(as_text=True)


def test_the_last_day_of_the_range_still_counts(app, client, auth, world, in_force):
    PowerOfAttorney.update(valid_from=days(-4), valid_until=days(0)).where(PowerOfAttorney.id == in_force.id).execute()
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    approve(client, app_id)
    assert Application.get_by_id(app_id).process == "signing"


def test_an_unsigned_power_of_attorney_gives_nothing(app, client, auth, world):
    give(client, auth, world)
    auth.logout()
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    _refused(client, app_id)


def test_revoked_by_the_first_head_it_ends_at_once_and_the_substitute_is_told(app, client, auth, world, in_force):
    app_id = at_approval(app, world)
    auth.login(HEAD)
    response = client.post(f"/delegations/{in_force.id}/revoke", data={"reason": "вышел из отпуска"})
    assert response.status_code == 302
    auth.logout()
    auth.login(SUBSTITUTE)
    _refused(client, app_id)
    told = Notification.select().where(
        (Notification.user == world[SUBSTITUTE].id) & Notification.message.contains("отозвана")
    )
    assert told.count() == 1
    event = AuditEvent.get(AuditEvent.action == "delegation.revoke")
    assert (event.actor_id, event.data["reason"]) == (world[HEAD].id, "вышел из отпуска")


def test_an_exchange_admin_revokes_any_power_of_attorney(client, auth, world, in_force):
    auth.login("admin@exchange.demo")
    assert "17-Д" in client.get("/staff/delegations").get_data(as_text=True)
    assert client.post(f"/delegations/{in_force.id}/revoke", data={}).status_code == 302
    assert PowerOfAttorney.get_by_id(in_force.id).status() == "revoked"
    assert AuditEvent.get(AuditEvent.action == "delegation.revoke").actor_id == world["admin@exchange.demo"].id


def test_revoked_between_approval_and_signature_the_substitute_cannot_sign(
    app,
    client,
    auth,
    world,
    kit,  # noqa: F811
    in_force,
):
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    document = approve(client, app_id)
    PowerOfAttorney.update(revoked_at=clock.utcnow()).where(PowerOfAttorney.id == in_force.id).execute()
    version = Application.get_by_id(app_id).version

    response = client.post(
        f"/applications/{app_id}/act/sign",
        data={
            "version": str(version),
            "sign-signature": (io.BytesIO(kit.sign(substitute_key(kit, world), document)), "s.p7s"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code in (302, 404)
    assert Application.get_by_id(app_id).process == "signing" and not Signature.select().exists()


# --- signatures: the substitute's own key, the organisation's BIN ------------------------------------------


def test_a_signature_by_the_substitute_without_a_power_of_attorney_is_refused(
    app,
    client,
    auth,
    world,
    kit,  # noqa: F811
):
    app_id = at_approval(app, world)
    auth.login(HEAD)
    document = approve(client, app_id)
    auth.logout()
    auth.login(SUBSTITUTE)
    version = Application.get_by_id(app_id).version

    response = client.post(
        f"/applications/{app_id}/act/sign",
        data={
            "version": str(version),
            "sign-signature": (io.BytesIO(kit.sign(substitute_key(kit, world), document)), "s.p7s"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 404
    assert Application.get_by_id(app_id).version == version and not Signature.select().exists()


def test_a_signature_by_someone_else_of_the_organisation_is_refused(
    app,
    client,
    auth,
    world,
    kit,  # noqa: F811
    in_force,
):
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    document = approve(client, app_id)
    # a colleague's key: the right BIN, the right to sign, another IIN
    colleague = kit.person(world[SUBSTITUTE], role="authorised", iin="900101300015", surname="ДРУГОЙ", name="СОТРУДНИК")

    response = send(client, app_id, kit.sign(colleague, document), expect=409)

    page = response.get_data(as_text=True)
    assert "подписан сертификатом другого лица" in page and "17-Д" in page
    assert Application.get_by_id(app_id).process == "signing" and not Signature.select().exists()


def test_the_substitutes_key_of_another_organisation_is_refused(app, client, auth, world, kit, in_force):  # noqa: F811
    app_id = at_approval(app, world)
    auth.login(SUBSTITUTE)
    document = approve(client, app_id)

    response = send(client, app_id, kit.sign(substitute_key(kit, world, bin="990340000013"), document), expect=409)

    assert "БИН" in response.get_data(as_text=True)
    assert not Signature.select().exists()


def test_another_employee_cannot_act_under_the_substitutes_power_of_attorney(
    app,
    client,
    auth,
    world,
    kit,  # noqa: F811
    in_force,
    make,
):
    colleague = make.user(world[SUBSTITUTE].organisation, email="colleague@demo.kz")
    app_id = at_approval(app, world)
    auth.login(colleague.email)
    _refused(client, app_id)


# --- the power of attorney itself: who gives it, his signature, who sees it ----------------------------


def test_the_power_of_attorney_needs_the_first_heads_own_signature(client, auth, world, kit):  # noqa: F811
    poa = give(client, auth, world)
    # signed with the substitute's key instead: not the first head's IIN, not his role
    poa = sign_poa(client, kit, world, poa, key=substitute_key(kit, world), expect=409)
    assert poa.signed_at is None and poa.status() == "unsigned"
    assert poa.cms is None


def test_only_a_first_head_gives_a_power_of_attorney(client, auth, world):
    auth.login(SUBSTITUTE)
    response = client.post(
        "/delegations",
        data={
            "substitute": str(world["issuer@demo.kz"].id),
            "number": "1",
            "issued_on": days(0).isoformat(),
            "valid_from": days(0).isoformat(),
            "valid_until": days(3).isoformat(),
            "scan": (io.BytesIO(SCAN), "scan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert not PowerOfAttorney.select().exists()


def test_a_first_head_names_only_a_user_of_his_own_organisation(client, auth, world):
    auth.login(HEAD)
    response = client.post(
        "/delegations",
        data={
            "substitute": str(world["broker@demo.kz"].id),
            "number": "1",
            "issued_on": days(0).isoformat(),
            "valid_from": days(0).isoformat(),
            "valid_until": days(3).isoformat(),
            "scan": (io.BytesIO(SCAN), "scan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert not PowerOfAttorney.select().exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"valid_from": 3, "valid_until": 1}, "Дата окончания раньше даты начала."),
        ({"valid_from": -5, "valid_until": -1}, "Срок доверенности уже истёк."),
        ({"scan": b"not a pdf"}, "Приложите скан в формате PDF"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, auth, world, fields, message):
    auth.login(HEAD)
    data = {
        "substitute": str(world[SUBSTITUTE].id),
        "number": "5",
        "issued_on": days(-5).isoformat(),
        "valid_from": days(fields.get("valid_from", 0)).isoformat(),
        "valid_until": days(fields.get("valid_until", 3)).isoformat(),
        "scan": (io.BytesIO(fields.get("scan", SCAN)), "scan.pdf"),
    }
    response = client.post("/delegations", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert not PowerOfAttorney.select().exists()


@pytest.mark.parametrize("email", ["brokerceo@demo.kz", "broker@demo.kz", "listing@exchange.demo"])
def test_other_organisations_never_see_it(client, auth, world, in_force, email):
    auth.login(email)
    for path in ("", "/statement.pdf", "/scan.pdf", "/signature.p7s"):
        assert client.get(f"/delegations/{in_force.id}{path}").status_code in (403, 404)
    assert client.post(f"/delegations/{in_force.id}/revoke", data={}).status_code in (403, 404)
    listing = client.get("/delegations")
    assert "17-Д" not in listing.get_data(as_text=True)
    assert PowerOfAttorney.get_by_id(in_force.id).revoked_at is None


def test_the_exchange_admin_list_is_for_admins_only(client, auth, world, in_force):
    auth.login("listing@exchange.demo")
    assert client.get("/staff/delegations").status_code == 403


def test_the_substitute_and_the_first_head_are_reminded_once_before_the_end(app, world, in_force):
    PowerOfAttorney.update(valid_until=days(2)).where(PowerOfAttorney.id == in_force.id).execute()

    with app.app_context():
        assert remind_ending() == 1
        assert remind_ending() == 0

    reminded = Notification.select().where(Notification.message.contains("действует по"))
    assert {n.user_id for n in reminded} == {world[SUBSTITUTE].id, world[HEAD].id}


@pytest.mark.parametrize(
    "lang, words",
    [
        ("kk", ("Сенімхаттар", "Қазір әрекет етеді", "сенімхат бойынша", "Сенімхатты кері қайтару")),
        ("en", ("Powers of attorney", "In force", "acting under power of attorney No. 17-Д", "Revoke the power")),
    ],
)
def test_the_pages_speak_kazakh_and_english(client, auth, world, in_force, lang, words):
    auth.login(HEAD)
    client.post("/language", data={"lang": lang, "next": "/delegations"})
    page = client.get(f"/delegations/{in_force.id}").get_data(as_text=True) + client.get("/delegations").get_data(
        as_text=True
    )
    for word in words:
        assert word in page
    assert "Доверенность подписана" not in page and "Отозвать доверенность" not in page


def test_the_range_is_counted_in_almaty_dates_at_both_sides_of_midnight(app, world, frozen_at):
    """A power of attorney from 04.12 to 04.12: in force from Almaty's midnight (19:00 UTC on 03.12), not from
    UTC's, and still in force in the early Almaty morning when UTC says 03.12."""
    with app.app_context():
        scan = store(SCAN, "scan.pdf", "pdf")
        poa = PowerOfAttorney.create(
            organisation=world[HEAD].organisation,
            grantor=world[HEAD],
            substitute=world[SUBSTITUTE],
            number="1",
            issued_on=datetime.date(2026, 12, 1),
            valid_from=datetime.date(2026, 12, 4),
            valid_until=datetime.date(2026, 12, 4),
            scan=scan,
            signed_at=datetime.datetime(2026, 12, 1, 10, 0),
        )
        found = PowerOfAttorney.in_force(world[SUBSTITUTE], world[HEAD].organisation_id)

    in_force_there = frozen_at.exchange_date == datetime.date(2026, 12, 4)
    assert (found is not None) == in_force_there
    assert poa.status(clock.today()) == ("in_force" if in_force_there else "scheduled")


def test_the_substitute_finds_what_waits_for_the_first_head_only_while_in_force(app, client, auth, world, in_force):
    app_id = at_approval(app, world)
    number = Application.get_by_id(app_id).number
    auth.login(SUBSTITUTE)
    page = client.get("/delegations").get_data(as_text=True)
    assert "Ожидают первого руководителя" in page and f'href="/applications/{app_id}"' in page and number in page

    PowerOfAttorney.update(revoked_at=clock.utcnow()).where(PowerOfAttorney.id == in_force.id).execute()

    assert number not in client.get("/delegations").get_data(as_text=True)
