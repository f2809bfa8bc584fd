"""The signing tests' own world: a Kazakh-style test PKI whose certificates name a CRL and an OCSP responder
served by real HTTP servers on 127.0.0.1, a stand-in GOST verifier speaking NCANode's API, and a helper
that brings an application to the first head's signature. Imported by the other test_signing_* files."""

import base64
import datetime
import http.server
import json
import threading

import pytest

from core.signing import pki
from tests.conftest import free_port

NOW = datetime.datetime.now(datetime.UTC)


class Responder:
    """A tiny HTTP server in a thread: ``/ca.crl`` serves the CA's current CRL, ``/ocsp`` answers OCSP
    requests; ``down`` makes every request fail (a source that is unreachable)."""

    def __init__(self):
        self.port = free_port()
        self.crl = b""
        self.root_crl = b""
        self.ocsp = None  # a callable(request_der) -> response_der
        self.gost = None  # a callable(json) -> json
        self.down = False
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                owner.requests.append(("GET", self.path))
                if owner.down:
                    return self._answer(503, b"down", "text/plain")
                if self.path == "/ca.crl":
                    return self._answer(200, owner.crl, "application/pkix-crl")
                if self.path == "/root.crl":
                    return self._answer(200, owner.root_crl, "application/pkix-crl")
                return self._answer(404, b"", "text/plain")

            def do_POST(self):
                owner.requests.append(("POST", self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if owner.down:
                    return self._answer(503, b"down", "text/plain")
                if self.path == "/ocsp" and owner.ocsp:
                    return self._answer(200, owner.ocsp(body), "application/ocsp-response")
                if self.path == "/cms/verify" and owner.gost:
                    return self._answer(200, json.dumps(owner.gost(json.loads(body))).encode(), "application/json")
                return self._answer(404, b"", "text/plain")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Kit:
    """Root and intermediate CAs, and personal keys issued below the intermediate with revocation pointers
    (the intermediate names the root's CRL, ``/root.crl``, as НУЦ РК's issuing CA does)."""

    def __init__(self, responder: Responder):
        self.responder = responder
        self.root = pki.make_ca("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST")
        self.intermediate = pki.make_intermediate(
            self.root, "NCA RK ISSUING CA (RSA) TEST", crl_url=f"{responder.url}/root.crl"
        )
        self.lookalike = pki.make_ca("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST")
        self.revoked = []
        self.publish()

    def publish(self):
        self.responder.crl = pki.make_crl(self.intermediate, self.revoked)
        self.responder.root_crl = pki.make_crl(self.root)

    def revoke(self, issued):
        self.revoked.append(issued)
        self.publish()

    def person(self, user=None, *, issuer=None, crl=True, ocsp=False, **fields):
        values = dict(surname="САПАРОВ", name="ЕРЛАН", patronymic="АСКАРОВИЧ", iin="700202300021")
        values["bin"] = "050140000210"
        values["organisation"] = 'АО "DEMO ISSUER"'
        if user is not None:
            values.update(
                surname=user.last_name.upper(),
                name=user.first_name.upper(),
                patronymic=(user.middle_name or "").upper(),
                iin=user.iin,
                bin=user.organisation.bin,
                organisation=user.organisation.name_ru.upper(),
            )
        values.update(fields)
        if crl:
            values.setdefault("crl_url", f"{self.responder.url}/ca.crl")
        if ocsp:
            values.setdefault("ocsp_url", f"{self.responder.url}/ocsp")
        return pki.make_person_cert(issuer or self.intermediate, **values)

    def sign(self, issued, document, **options):
        options.setdefault("chain_pem", issued.chain_pem)
        return pki.sign_detached_with_openssl(document, issued.cert_pem, issued.key_pem, **options)


@pytest.fixture(scope="module")
def responder():
    server = Responder()
    yield server
    server.close()


@pytest.fixture(scope="module")
def kit(responder):
    return Kit(responder)


def gost_answer(valid=True, revoked=False, message=""):
    """What NCANode's ``POST /cms/verify`` says about a signature (the fields the portal reads)."""
    return {
        "status": 200,
        "message": message,
        "valid": valid,
        "signers": [
            {
                "certificates": [
                    {
                        "valid": valid,
                        "revocations": [{"revoked": revoked, "by": "OCSP", "revocationTime": None, "reason": None}],
                        "keyUsage": "SIGN",
                        "keyUser": ["CEO"],
                    }
                ]
            }
        ],
    }


def decode_request(body):
    return base64.b64decode(body["cms"]), base64.b64decode(body["data"])


# --- the kit's own checks ------------------------------------------------------------------------------


def test_the_test_certificates_name_the_local_crl_and_ocsp_responder(kit):
    from asn1crypto import x509

    cert = x509.Certificate.load(kit.person(ocsp=True).cert_der)

    assert [p.url for p in cert.crl_distribution_points] == [f"{kit.responder.url}/ca.crl"]
    assert cert.ocsp_urls == [f"{kit.responder.url}/ocsp"]


def test_the_crl_served_lists_the_revoked_certificates(kit):
    import urllib.request

    from cryptography import x509

    victim = kit.person()
    kit.revoke(victim)
    with urllib.request.urlopen(f"{kit.responder.url}/ca.crl") as response:
        crl = x509.load_der_x509_crl(response.read())

    assert crl.get_revoked_certificate_by_serial_number(victim.cert.serial_number) is not None
    assert crl.is_signature_valid(kit.intermediate.cert.public_key())
