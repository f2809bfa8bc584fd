"""What the plugins' journeys share: a PKI the Exchange trusts (the fixtures ``test_ca`` and ``trusted``, which
tests/conftest.py offers every test), a personal signing key of that PKI, and ``Journey``, which drives one
application through the pages with the Flask client the way people do. Each plugin's conftest teaches a subclass
its own stages and its side of the Exchange; this module knows no procedure."""

import io
import re

import pytest

from core.signing import pki
from core.workflow.engine import definition
from core.workflow.forms import prefix_of
from core.workflow.models import Application

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="session")
def test_ca():
    return pki.make_ca("Test NCA KZ")


def trust(app, ca, tmp_path):
    """The app trusts ``ca`` as the Exchange trusts НУЦ РК's root, with the root's CRL as revocation evidence."""
    anchors = tmp_path / "trust"
    anchors.mkdir()
    (anchors / "root.pem").write_bytes(ca.cert_pem)
    app.config["TRUST_DIR"] = str(anchors)
    crls = tmp_path / "crl"  # the keys name no CRL: the operator's CRL of the root is their revocation evidence
    crls.mkdir()
    (crls / "root.crl").write_bytes(pki.make_crl(ca))
    app.config["CRL_DIR"] = str(crls)
    return ca


@pytest.fixture
def trusted(app, test_ca, tmp_path):
    return trust(app, test_ca, tmp_path)


def sign_key(ca, user, purpose="sign", **overrides):
    """A personal key of ``ca`` for ``user``, as НУЦ РК issues one: his name, IIN and his organisation's BIN."""
    return pki.make_person_cert(
        ca,
        surname=user.last_name.upper(),
        name=user.first_name.upper(),
        patronymic="",
        iin=overrides.pop("iin", user.iin),
        bin=overrides.pop("bin", user.organisation.bin),
        organisation=user.organisation.name_ru,
        purpose=purpose,
        **overrides,
    )


def version_of(app_id):
    return Application.get_by_id(app_id).version


class Journey:
    """Drives one application through the client's and the Exchange's pages with a test client."""

    def __init__(self, client, auth, app_id=None):
        self.client, self.auth, self.app_id = client, auth, app_id

    def url(self, tail=""):
        return f"/applications/{self.app_id}{tail}"

    @property
    def application(self):
        return Application.get_by_id(self.app_id)

    def must(self, response, code=302):
        assert response.status_code == code, response.get_data(as_text=True)[-3000:]
        return response

    def create(self, procedure, company=None):
        """ "Подать заявление" on the procedure, for the first company offered unless told which."""
        page = self.client.get(f"/procedures/{procedure}/file").get_data(as_text=True)
        company = company or re.search(r'<option (?:selected )?value="(\d+)"', page).group(1)
        response = self.client.post(f"/procedures/{procedure}/file", data={"company": company})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.app_id = int(response.headers["Location"].rsplit("/", 1)[1])
        return self.app_id

    def stage(self, stage, data, do="done"):
        return self.client.post(self.url(f"/stages/{stage}"), data={**data, "do": do})

    def upload_documents(self, filename="doc.pdf"):
        """Every document the "documents" stage asks for, then "Готово"."""
        with self.client.application.app_context():
            titles = definition(self.application).stage("documents").documents
        for title in titles:
            response = self.client.post(
                self.url("/stages/documents/documents"),
                data={"title": str(title), "file": (io.BytesIO(PDF), filename)},
                content_type="multipart/form-data",
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        assert self.client.post(self.url("/stages/documents/documents/done")).status_code == 302

    def act(self, action, data=None, expect=302, **kwargs):
        fields = {f"{prefix_of(action)}-{key}": value for key, value in (data or {}).items()}  # the form's prefix
        response = self.client.post(
            self.url(f"/act/{action}"), data={"version": str(version_of(self.app_id)), **fields}, **kwargs
        )
        assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
        return response

    def sign(self, ca, head, filename="sig.p7s"):
        """The first head signs the document to be signed with his key of ``ca`` (the signed-in user must be him)."""
        document = self.client.get(self.url("/signing-document")).data
        assert document.startswith(b"%PDF")
        key = sign_key(ca, head)
        cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
        self.act("sign", {"signature": (io.BytesIO(cms), filename)}, content_type="multipart/form-data")
