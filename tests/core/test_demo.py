"""`is2in demo` lets a new user see every part of the product without touching the database: subscriptions at
three steps dated from now, applications in four processes, and a first head with a demo key for every
organisation that files. On a database that had the older demo (accounts only) it adds them; run again it
changes nothing."""

import datetime

import pytest

from core.accounts.models import Organisation, User
from core.cli import demo as demo_command
from core.db import utcnow
from core.demo import FIRST_HEADS, load
from core.signing import demo as demo_pki
from core.signing import pki
from core.signing.verify import trust_roots_from_dir, verify_detached
from core.workflow.models import Application, Attachment, Questionnaire
from plugins.subscription import service
from plugins.subscription.demo import AWAITING_SATISFIED, DEALS, OPEN
from plugins.subscription.models import Deal, Order, Register, Subscription
from plugins.subscription.registers.receive import upload_refusal
from plugins.subscription.rules import local

DOCUMENT = b"%PDF-1.4 a document a first head downloads at 'Signing'"


def _counts() -> dict:
    return {
        "organisations": Organisation.select().count(),
        "users": User.select().count(),
        "applications": Application.select().count(),
        "questionnaires": Questionnaire.select().count(),
        "subscriptions": Subscription.select().count(),
        "orders": Order.select().count(),
        "deals": Deal.select().count(),
        "registers": Register.select().count(),
    }


def _application(code: str, procedure: str) -> Application:
    return Application.get(
        (Application.organisation == Organisation.get(Organisation.code == code).id)
        & (Application.procedure == procedure)
    )


@pytest.fixture
def demo_loaded(app):
    """The older demo (accounts only, as the test fixture loads it), then `is2in demo` on top of it."""
    with app.app_context():
        load(echo=lambda *_: None)
    result = app.test_cli_runner().invoke(demo_command)
    assert result.exit_code == 0, result.output
    return result.output


def _subscription_steps_dated_from_now(app):
    now = utcnow()
    today = local(now).date()
    seller = User.get(User.email == "seller@demo.kz")

    open_now = Subscription.get(Subscription.isin == OPEN)
    assert open_now.state == "registered" and open_now.number
    assert service.accepting(open_now, now), (open_now.accept_from, open_now.accept_to, now)
    assert Order.select().where((Order.subscription == open_now) & (Order.status == "active")).count() == 2
    # Two acceptance windows, each buyer's order in its own (issue #17): 400 x 1,100 = 440,000 KZT reaches
    # the institutional window's 100,000 minimum.
    in_window = {
        (order.buyer.code, order.window.name) for order in Order.select().where(Order.subscription == open_now)
    }
    assert in_window == {("BUY1", "Институциональные инвесторы"), ("BRKR", "Розничные инвесторы")}

    waiting = Subscription.get(Subscription.isin == AWAITING_SATISFIED)
    assert waiting.state == "accepted_register"
    assert waiting.activated_at is not None and waiting.activated_at < now
    assert local(waiting.accept_to).date() < today  # acceptance ended on an earlier day
    accepted = Register.select().where((Register.subscription == waiting) & (Register.kind == "accepted"))
    assert sorted(r.format for r in accepted) == ["xlsx", "xml"]
    assert waiting.satisfied_register_on >= today
    with app.test_request_context():
        assert upload_refusal(waiting, seller) is None  # the seller can send it now

    dealt = Subscription.get(Subscription.isin == DEALS)
    assert dealt.state == "deals"
    assert local(dealt.deal_at).date() < today
    deals = list(Deal.select().where(Deal.subscription == dealt))
    assert len(deals) == 2 and all(d.status == "formed" for d in deals)
    satisfied = Register.get((Register.subscription == dealt) & (Register.kind == "satisfied"))
    assert satisfied.status == "accepted"


def _applications_in_four_processes(app):
    draft = _application("DEMO", "listing.shares")
    assert draft.process == "fill"

    approval = _application("AUDT", "auditors.inclusion")
    assert approval.process == "approval"
    assert approval.executor.email == "auditceo@demo.kz"

    review = _application("CAND", "membership.admission")
    assert review.process == "review"
    assert review.registered_on == local(utcnow()).date()  # the office's date is the Almaty date
    signed = Attachment.get((Attachment.application == review) & (Attachment.kind == "signed"))
    with app.app_context():
        assert signed.file.read().startswith(b"%PDF")

    archived = _application("DEMO", "nonlisting.admission")
    assert archived.process == "archived" and archived.archived_at is not None
    reusable = {q.form_code for q in Questionnaire.select().where(Questionnaire.application == archived)}
    assert reusable == {"nonlisting.issuer", "aml"}
    assert Attachment.select().where((Attachment.application == archived) & (Attachment.kind == "letter")).exists()


def _a_first_head_whose_demo_key_signs_for_each_filing_organisation(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    codes = {User.get(User.email == email).organisation.code for email in FIRST_HEADS}
    assert codes == {"DEMO", "BRKR", "AUDT", "CAND"}
    instance = tmp_path / "instance"
    roots = trust_roots_from_dir(instance / "trust")
    for email in FIRST_HEADS:
        head = User.get(User.email == email)
        assert head.is_first_head
        store = demo_pki.store_path(instance, email)
        key, cert, chain = pkcs12.load_key_and_certificates(store.read_bytes(), b"Demo!2345")
        cms = pki.sign_detached_with_openssl(
            DOCUMENT,
            cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        report = verify_detached(
            DOCUMENT, cms, trust_roots=roots, expected_iin=head.iin, expected_bin=head.organisation.bin
        )
        assert report.iin == head.iin, email


def test_is2in_demo_on_the_older_demo_shows_every_part_and_run_again_changes_nothing(app, demo_loaded, tmp_path):
    """One test, several parts: each load of the whole demo costs some twenty seconds."""
    _subscription_steps_dated_from_now(app)
    _applications_in_four_processes(app)
    _a_first_head_whose_demo_key_signs_for_each_filing_organisation(tmp_path)
    before = _counts()
    assert before["applications"] == 4 and before["subscriptions"] == 3
    again = app.test_cli_runner().invoke(demo_command)
    assert again.exit_code == 0, again.output
    assert _counts() == before
    assert "demo PKI written" not in again.output


@pytest.mark.rule("S-3.1")
def test_the_filing_deadline_of_a_demo_subscription_counts_working_days(app):
    """Acceptance that begins on a day off still comes three working days after filing (S-3.1)."""
    from plugins.subscription.demo import filed_for, working_days_before

    saturday = datetime.date(2026, 12, 5)
    assert filed_for(saturday) == datetime.date(2026, 12, 1)  # Wed, Thu, Fri count; the Saturday does not
    assert filed_for(datetime.date(2026, 12, 7)) == datetime.date(2026, 12, 2)  # Monday: Thu, Fri, Mon
    assert working_days_before(datetime.date(2026, 12, 7), 1) == datetime.date(2026, 12, 4)
