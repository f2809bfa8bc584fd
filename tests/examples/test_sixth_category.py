"""A sixth procedure category from outside the core (examples/is2in-example-sixth): installed with pip and found
through the ``is2in`` entry point, it brings its category, its Exchange department, an engine action and a
procedure with its form, stages, template and translations, and it is walked end to end through the pages."""

import io
import re
import textwrap
from pathlib import Path

import pytest

from core import create_app
from core.plugins import DEFAULT_PLUGINS
from core.signing import pki
from tests.installed import pip_installed
from tests.journeys import PDF

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "examples" / "is2in-example-sixth"


@pytest.fixture
def installed_sixth(tmp_path_factory):
    """pip-install the package into a folder on sys.path, as the first example's test does (the virtualenv stays
    as it was; an editable install of the same package there changes nothing: the entry point loads once)."""
    with pip_installed(tmp_path_factory.mktemp("site"), PACKAGE, "is2in_market_making") as target:
        yield target


@pytest.fixture
def sixth_app(installed_sixth, app_config, app, tmp_path):
    """The app with the package found through its entry point, and a PKI the Exchange trusts for the signature."""
    application = create_app({**app_config, "PLUGIN_ENTRY_POINTS": True})
    ca = pki.make_ca("Test NCA KZ")
    for folder, name, data in (("trust", "root.pem", ca.cert_pem), ("crl", "root.crl", pki.make_crl(ca))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes(data)
    application.config.update(TRUST_DIR=str(tmp_path / "trust"), CRL_DIR=str(tmp_path / "crl"))
    application.test_ca = ca
    return application


class Person:
    """One signed-in person's client on the app."""

    def __init__(self, client):
        self.client = client

    def act(self, app_id, action, data=None, expect=302, **kwargs):
        from core.workflow.forms import prefix_of
        from core.workflow.models import Application

        version = Application.get_by_id(app_id).version
        response = self.client.post(
            f"/applications/{app_id}/act/{action}",
            data={"version": str(version), **{f"{prefix_of(action)}-{k}": v for k, v in (data or {}).items()}},
            **kwargs,
        )
        assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
        return response


def _people(sixth_app, make, auth_factory):
    member = make.org("MMKR", roles=("member",))
    make.user(member, email="dealer@mm.kz", is_org_admin=True)
    head = make.user(member, email="head@mm.kz", is_first_head=True, first_name="АСАН", last_name="МАРАТОВ")
    make.staff("office", email="office@kase.kz")
    make.staff("market_making", email="mm@kase.kz")
    make.staff("listing", email="listing@kase.kz")
    people = {email: Person(auth_factory(sixth_app, email)) for email in ("dealer@mm.kz", "head@mm.kz")}
    for email in ("office@kase.kz", "mm@kase.kz", "listing@kase.kz"):
        people[email] = Person(auth_factory(sixth_app, email))
    return people, head


def test_the_sixth_category_is_walked_from_the_catalogue_to_its_own_action(sixth_app, make, auth_factory):
    from core.audit.models import AuditEvent
    from core.workflow.models import Application

    assert "market_making.status" in sixth_app.extensions["is2in.procedures"]
    people, head = _people(sixth_app, make, auth_factory)
    dealer, first_head = people["dealer@mm.kz"].client, people["head@mm.kz"]

    # the catalogue: the category's heading and the procedure, which this member may file
    catalogue = dealer.get("/procedures").get_data(as_text=True)
    assert "Присвоение статуса маркет-мейкера" in catalogue
    assert "Присвоение статуса маркет-мейкера по финансовому инструменту" in catalogue

    # the client files it: the form of its own stage, its documents, the first head's approval and signature
    page = dealer.get("/procedures/market_making.status/file").get_data(as_text=True)
    company = re.search(r'<option (?:selected )?value="(\d+)"', page).group(1)
    response = dealer.post("/procedures/market_making.status/file", data={"company": company})
    assert response.status_code == 302, response.get_data(as_text=True)
    app_id = int(response.headers["Location"].rsplit("/", 1)[1])
    terms = {"isin": "KZ1C00000876", "max_spread": "1.5", "min_volume": "1000", "quoting_share": "80"}
    response = dealer.post(
        f"/applications/{app_id}/stages/terms", data={**{f"terms-{k}": v for k, v in terms.items()}, "do": "done"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    for title in ("Заявление на присвоение статуса маркет-мейкера", "Договор об оказании услуг маркет-мейкера"):
        response = dealer.post(
            f"/applications/{app_id}/stages/documents/documents",
            data={"title": title, "file": (io.BytesIO(PDF), "doc.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert dealer.post(f"/applications/{app_id}/stages/documents/documents/done").status_code == 302
    people["dealer@mm.kz"].act(app_id, "send_to_head")
    first_head.act(app_id, "approve")
    document = first_head.client.get(f"/applications/{app_id}/signing-document").data
    key = pki.make_person_cert(
        sixth_app.test_ca,
        surname=head.last_name.upper(),
        name=head.first_name.upper(),
        patronymic="",
        iin=head.iin,
        bin=head.organisation.bin,
        organisation=head.organisation.name_ru,
        purpose="sign",
    )
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    first_head.act(app_id, "sign", {"signature": (io.BytesIO(cms), "sig.p7s")}, content_type="multipart/form-data")
    people["office@kase.kz"].act(app_id, "register", {"registration_number": "ВХ-61", "registered_on": "2026-11-20"})
    number = Application.get_by_id(app_id).number
    assert number.startswith("MM-") and Application.get_by_id(app_id).process == "review"

    # the new department's staff: its inbox holds the application, its page offers the department's own action
    reviewer = people["mm@kase.kz"].client
    inbox = reviewer.get("/staff/inbox")
    assert inbox.status_code == 200 and number in inbox.get_data(as_text=True)
    assert "Департамент маркет-мейкинга" in inbox.get_data(as_text=True)
    page = reviewer.get(f"/applications/{app_id}").get_data(as_text=True)
    assert "Проверить исполнение обязательств" in page
    people["mm@kase.kz"].act(app_id, "market_making_check", {"spread": "1.2", "share": "85", "note": "Норма."})
    checked = Application.get_by_id(app_id)
    assert checked.process == "assessment"
    event = AuditEvent.get(AuditEvent.action == "market_making.check")
    assert event.data == {"spread": "1.2", "share": 85, "met": True}
    screen = reviewer.get("/market-making/").get_data(as_text=True)
    assert number in screen and "Обязательства исполняются" in screen
    # its own labels in Kazakh and English (the package's catalogue)
    reviewer.post("/language", data={"lang": "kk", "next": "/market-making/"})
    assert "Маркет-мейкерлер" in reviewer.get("/market-making/").get_data(as_text=True)
    reviewer.post("/language", data={"lang": "en", "next": "/market-making/"})
    assert "Obligations are met" in reviewer.get("/market-making/").get_data(as_text=True)

    # another department neither sees it in an inbox nor may act on it
    listing = people["listing@kase.kz"].client
    assert number not in listing.get("/staff/inbox").get_data(as_text=True)
    assert listing.get("/staff/inbox?department=market_making").status_code == 403
    assert listing.get(f"/applications/{app_id}").status_code == 404
    assert listing.get("/market-making/").status_code == 403


def test_with_the_sixth_installed_unknown_categories_are_still_refused(
    installed_sixth, app_config, tmp_path, monkeypatch
):
    (tmp_path / "stray_sixth.py").write_text(
        textwrap.dedent(
            """
            from core import Procedure, hookimpl

            @hookimpl
            def is2in_procedures():
                return [Procedure("stray.market", "market_making", "Без своей категории")]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    # filed under the sixth category: known while the package that declares it is installed...
    app = create_app({**app_config, "PLUGIN_ENTRY_POINTS": True}, plugins=DEFAULT_PLUGINS + ("stray_sixth",))
    assert app.extensions["is2in.procedures"]["stray.market"].category == "market_making"
    # ...and refused without it
    with pytest.raises(ValueError, match="unknown category 'market_making'"):
        create_app(app_config, plugins=DEFAULT_PLUGINS + ("stray_sixth",))
