"""Signing as the first head and the Exchange live it (G-20..G-22), through the Flask client: the one-time
challenge, revocation evidence, the trust store screen, the authorised signer, the signed copy sealed by the
Exchange (checked by poppler's pdfsig), Exchange letters, "Проверить документ" and ``is2in verify``."""

import io
import re
import shutil
import subprocess

import pytest

from core.signing import pki
from core.signing.models import RevocationEvidence, SignatureEvidence, SignerPolicy, SigningDocument, TrustCertificate
from core.workflow import engine
from core.workflow.models import Application, ApplicationMember, Attachment, Signature
from tests.conftest import almaty
from tests.core.test_signing_kit import kit, responder  # noqa: F401 - fixtures

PDFSIG = shutil.which("pdfsig")
CERTUTIL = shutil.which("certutil")


@pytest.fixture
def world(app, demo, kit, tmp_path):  # noqa: F811
    """The Exchange trusts the test root (in its trust store) and has a seal issued below it."""
    kit.responder.down = False
    TrustCertificate.create(
        sha256=__import__("hashlib").sha256(kit.root.cert_der).hexdigest(),
        sha1="0" * 40,
        subject="test root",
        issuer="test root",
        serial="1",
        not_before=kit.root.cert.not_valid_before_utc.replace(tzinfo=None),
        not_after=kit.root.cert.not_valid_after_utc.replace(tzinfo=None),
        is_root=True,
        der=kit.root.cert_der,
    )
    exchange = demo["admin@exchange.demo"].organisation
    seal = pki.make_seal_cert(
        kit.root, name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (TEST)", organisation=exchange.name_ru, bin=exchange.bin
    )
    path = tmp_path / "seal.p12"
    path.write_bytes(pki.to_pkcs12(seal.cert, seal.key, seal.chain, "seal-pass"))
    app.config.update(SEAL_P12=str(path), SEAL_PASSWORD="seal-pass", TRUST_DIR=str(tmp_path / "no-trust-dir"))
    return demo


def at_approval(app, demo):
    """An application of DEMO waiting for its first head's approval."""
    procedure = app.extensions["is2in.procedures"]["listing.shares"]
    with app.test_request_context():
        created = engine.create(procedure, demo["ceo@demo.kz"].organisation, demo["issuer@demo.kz"])
    Application.update(process="approval", status="approval").where(Application.id == created.id).execute()
    ApplicationMember.create(application=created.id, user=demo["ceo@demo.kz"], role="first_head")
    return created.id


def approve(client, app_id):
    version = Application.get_by_id(app_id).version
    response = client.post(f"/applications/{app_id}/act/approve", data={"version": str(version)})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return client.get(f"/applications/{app_id}/signing-document").data


def send(client, app_id, cms, expect=302):
    version = Application.get_by_id(app_id).version
    response = client.post(
        f"/applications/{app_id}/act/sign",
        data={"version": str(version), "sign-signature": (io.BytesIO(cms), "signature.p7s")},
        content_type="multipart/form-data",
    )
    assert response.status_code == expect, response.get_data(as_text=True)[-3000:]
    return response


def ceo_key(kit, demo, **fields):  # noqa: F811
    return kit.person(demo["ceo@demo.kz"], **fields)


@pytest.fixture
def approved(app, client, auth, world):
    app_id = at_approval(app, world)
    auth.login("ceo@demo.kz")
    return app_id, approve(client, app_id)


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def unchanged(app_id, version):
    app = Application.get_by_id(app_id)
    return app.process == "signing" and app.version == version and not Signature.select().exists()


# --- the page ---------------------------------------------------------------------------------------


@pytest.mark.rule("G-21")
@pytest.mark.rule("G-22")
def test_the_signing_step_offers_the_nuc_and_tumar_csp_tabs(client, approved):
    app_id, _document = approved

    response = client.get(f"/applications/{app_id}")
    page = response.get_data(as_text=True)

    for label in ("Подписать ЭЦП", "НУЦ", "Tumar CSP", "Файл для подписи", "Отправить файл"):
        assert label in page
    # one file to sign, named as what it is; the summary PDF of the header is not offered beside it
    number = Application.get_by_id(app_id).number
    assert page.count(f'href="/applications/{app_id}/signing-document"') == 1
    assert f"Заявление {number}.pdf" in page
    assert f"/applications/{app_id}/summary.pdf" not in page
    assert 'data-ncalayer="wss://127.0.0.1:13579"' in page
    assert 'data-eku="1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.2.1"' in page
    assert "wss://127.0.0.1:13579" in response.headers["Content-Security-Policy"]
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_the_document_to_sign_carries_its_one_time_code(approved, tmp_path):
    app_id, document = approved
    issued = SigningDocument.get(SigningDocument.application == app_id)

    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", issued.code)
    assert issued.code in text_of(document, tmp_path)
    assert issued.sha256 == __import__("hashlib").sha256(document).hexdigest()


# --- accepted: evidence and the sealed signed copy -------------------------------------------------------


@pytest.mark.rule("G-22")
def test_a_signature_is_kept_with_its_crl_and_the_signed_copy_is_stamped_and_sealed(
    app,
    client,
    approved,
    kit,  # noqa: F811
    world,
    tmp_path,
):
    app_id, document = approved

    send(client, app_id, kit.sign(ceo_key(kit, world), document))

    application = Application.get_by_id(app_id)
    assert application.process == "registration"
    evidence = SignatureEvidence.get()
    assert (evidence.role, evidence.position, evidence.revocation) == ("first_head", "Председатель Правления", "good")
    crl = RevocationEvidence.get(RevocationEvidence.evidence == evidence)
    with app.app_context():
        assert crl.kind == "crl" and crl.file.read() == kit.responder.crl
        copy = Attachment.get((Attachment.application == app_id) & (Attachment.kind == "signed")).file.read()
    text = text_of(copy, tmp_path)
    assert "Данный документ подписал: Председатель Правления САПАРОВ ЕРЛАН" in text
    assert "Дата подписи:" in text
    assert "пунктом 1 статьи 7 Закона Республики Казахстан" in text
    assert "ЭЛЕКТРОННАЯ ПЕЧАТЬ" in text  # the visible seal stamp
    from pypdf import PdfReader

    attached = PdfReader(io.BytesIO(copy)).attachments
    assert attached[f"{application.number}.pdf"] == [document]
    assert attached[f"{application.number}-1.p7s"][0].startswith(b"\x30")


@pytest.mark.rule("G-22")
@pytest.mark.skipif(PDFSIG is None, reason="poppler-utils' pdfsig is missing")
def test_pdfsig_validates_the_exchange_seal_on_the_signed_copy(app, client, approved, kit, world, tmp_path):  # noqa: F811
    app_id, document = approved
    send(client, app_id, kit.sign(ceo_key(kit, world), document))
    with app.app_context():
        copy = SigningDocument.get(SigningDocument.application == app_id).signed_copy.read()
    path = tmp_path / "signed.pdf"
    path.write_bytes(copy)
    command = [PDFSIG]
    if CERTUTIL:  # an NSS database that trusts the test root, as a court's or the Exchange's would
        nss = tmp_path / "nss"
        nss.mkdir()
        subprocess.run([CERTUTIL, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
        (tmp_path / "root.pem").write_bytes(kit.root.cert_pem)
        subprocess.run(
            [CERTUTIL, "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C", "-i", str(tmp_path / "root.pem")],
            check=True,
            capture_output=True,
        )
        command += ["-nssdir", f"sql:{nss}"]

    report = subprocess.run(command + [str(path)], capture_output=True, text=True).stdout

    assert "Signature Field Name: ExchangeSeal" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report
    if CERTUTIL:
        assert "Certificate Validation: Certificate is Trusted." in report


# --- refused: each with its own message, nothing changed -----------------------------------------------


@pytest.mark.rule("G-21")
def test_a_signature_of_an_earlier_version_of_the_document_is_refused(app, client, approved, kit, world):  # noqa: F811
    from core.signing import service

    app_id, old_document = approved
    old_signature = kit.sign(ceo_key(kit, world), old_document)
    with app.test_request_context():
        newer = service.issue(
            Application.get_by_id(app_id),
            "application",
            "Заявление",
            lambda code: b"%PDF-1.4 v2 " + code.encode(),
            "v2.pdf",
        )
    Application.update(signing_file=newer).where(Application.id == app_id).execute()
    version = Application.get_by_id(app_id).version

    response = send(client, app_id, old_signature, expect=409)

    assert "Подпись сделана для прежней версии документа" in response.get_data(as_text=True)
    assert unchanged(app_id, version)


@pytest.mark.rule("G-21")
def test_a_signature_made_for_another_application_is_refused(app, client, approved, kit, world):  # noqa: F811
    app_id, _document = approved
    other_id = at_approval(app, world)
    other_document = approve(client, other_id)
    other_code = SigningDocument.get(SigningDocument.application == other_id).code
    version = Application.get_by_id(app_id).version

    response = send(client, app_id, kit.sign(ceo_key(kit, world), other_document), expect=409)

    assert f"Подпись сделана для другого документа (код {other_code})" in response.get_data(as_text=True)
    assert unchanged(app_id, version)


def test_a_tampered_document_is_refused(client, approved, kit, world):  # noqa: F811
    app_id, document = approved

    response = send(client, app_id, kit.sign(ceo_key(kit, world), document + b"%changed"), expect=409)

    assert "Подпись не соответствует документу" in response.get_data(as_text=True)


@pytest.mark.rule("G-22")
def test_a_revoked_key_is_refused_and_nothing_changes(client, approved, kit, world):  # noqa: F811
    app_id, document = approved
    key = ceo_key(kit, world)
    kit.revoke(key)
    version = Application.get_by_id(app_id).version

    response = send(client, app_id, kit.sign(key, document), expect=409)

    assert "Сертификат подписи отозван" in response.get_data(as_text=True)
    assert unchanged(app_id, version)


@pytest.mark.rule("G-22")
def test_an_unreachable_crl_says_try_again_and_nothing_changes(client, approved, kit, world):  # noqa: F811
    app_id, document = approved
    version = Application.get_by_id(app_id).version
    kit.responder.down = True
    try:
        response = send(client, app_id, kit.sign(ceo_key(kit, world), document), expect=409)
    finally:
        kit.responder.down = False

    assert "попробуйте отправить её ещё раз через несколько минут" in response.get_data(as_text=True)
    assert unchanged(app_id, version)
    assert send(client, app_id, kit.sign(ceo_key(kit, world), document)).status_code == 302  # and later it works


def test_a_signing_time_before_the_certificate_existed_is_refused_and_nothing_changes(client, approved, kit, world):  # noqa: F811
    """Issue 14.5: accepted before, a CMS claiming a time 200 days before its certificate was issued."""
    import datetime

    from tests.core.test_signing_verify import sign_at

    app_id, document = approved
    key = ceo_key(kit, world)
    version = Application.get_by_id(app_id).version

    response = send(
        client, app_id, sign_at(key, key.cert.not_valid_before_utc - datetime.timedelta(days=200), document), expect=409
    )

    assert "выходит за срок действия сертификата" in response.get_data(as_text=True)
    assert unchanged(app_id, version)


def test_a_signing_time_in_the_future_is_refused_in_the_signers_language(client, approved, kit, world):  # noqa: F811
    import datetime

    from tests.core.test_signing_verify import sign_at

    app_id, document = approved
    with client.session_transaction() as session:
        session["lang"] = "en"
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)

    response = send(client, app_id, sign_at(ceo_key(kit, world), later, document), expect=409)

    assert "is later than the current time" in response.get_data(as_text=True)


@pytest.mark.rule("G-22")
def test_a_key_naming_no_revocation_source_is_refused_by_default_and_nothing_changes(client, approved, kit, world):  # noqa: F811
    """Issue 14.6: accepted before as «проверка отзыва: источник не указан»."""
    app_id, document = approved
    version = Application.get_by_id(app_id).version

    response = send(client, app_id, kit.sign(ceo_key(kit, world, crl=False), document), expect=409)

    assert "Нельзя проверить, не отозван ли сертификат «САПАРОВ ЕРЛАН»" in response.get_data(as_text=True)
    assert unchanged(app_id, version)


def test_the_operators_crl_folder_is_the_evidence_and_is_kept_with_the_signature(
    app,
    client,
    approved,
    kit,  # noqa: F811
    world,
    tmp_path,
):
    app_id, document = approved
    folder = tmp_path / "crl"
    folder.mkdir()
    (folder / "issuing-ca.crl").write_bytes(pki.make_crl(kit.intermediate))
    (folder / "garbage.crl").write_bytes(b"not a CRL")  # skipped with a warning, not a crash
    app.config["CRL_DIR"] = str(folder)

    send(client, app_id, kit.sign(ceo_key(kit, world, crl=False), document))

    evidence = SignatureEvidence.get()
    urls = [r.url for r in RevocationEvidence.select().where(RevocationEvidence.evidence == evidence)]
    assert evidence.revocation == "good"
    assert "file:issuing-ca.crl" in urls and f"{kit.responder.url}/root.crl" in urls


def test_a_key_revoked_on_the_operators_crl_is_refused(app, client, approved, kit, world, tmp_path):  # noqa: F811
    app_id, document = approved
    key = ceo_key(kit, world, crl=False)
    folder = tmp_path / "crl"
    folder.mkdir()
    (folder / "issuing-ca.crl").write_bytes(pki.make_crl(kit.intermediate, [key]))
    app.config["CRL_DIR"] = str(folder)

    response = send(client, app_id, kit.sign(key, document), expect=409)

    assert "Сертификат подписи отозван" in response.get_data(as_text=True)


def test_the_operator_may_switch_the_requirement_off(app, client, approved, kit, world):  # noqa: F811
    app_id, document = approved
    app.config["REVOCATION_REQUIRED"] = False

    send(client, app_id, kit.sign(ceo_key(kit, world, crl=False), document))

    assert SignatureEvidence.get().revocation == "not_checked"


def test_a_lookalike_ca_is_refused_against_the_trust_store(client, approved, kit, world):  # noqa: F811
    app_id, document = approved
    forged = ceo_key(kit, world, issuer=kit.lookalike, crl=False)

    response = send(client, app_id, kit.sign(forged, document), expect=409)

    assert "выдаёт себя за доверенный" in response.get_data(as_text=True)


def test_a_corrupt_file_is_refused(client, approved):
    app_id, _document = approved

    response = send(client, app_id, b"this is not a signature", expect=409)

    assert "не является подписью CMS" in response.get_data(as_text=True)


@pytest.mark.rule("G-21")
def test_the_authorised_signer_signs_only_where_the_organisation_allows_it(client, auth, approved, kit, world):  # noqa: F811
    app_id, document = approved
    key = ceo_key(kit, world, role="authorised")
    assert "лица с правом подписи" in send(client, app_id, kit.sign(key, document), expect=409).get_data(as_text=True)

    auth.logout()
    auth.login("admin@exchange.demo")
    response = client.post("/staff/signing/policies", data={"organisation": "DEMO", "note": "Доверенность № 5"})
    assert response.status_code == 302
    assert SignerPolicy.allows_authorised(world["ceo@demo.kz"].organisation)
    auth.logout()
    auth.login("ceo@demo.kz")

    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    assert 'data-eku="1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.2"' in page
    send(client, app_id, kit.sign(key, document))
    assert SignatureEvidence.get().role == "authorised"


# --- the trust store screen -----------------------------------------------------------------------------


def test_admins_upload_list_and_remove_trusted_certificates(client, auth, world, kit):  # noqa: F811
    auth.login("admin@exchange.demo")
    TrustCertificate.delete().execute()

    response = client.post(
        "/staff/signing/trust",
        data={"certificate": (io.BytesIO(kit.root.cert_pem + kit.intermediate.cert_pem), "nca.pem")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get("/staff/signing/trust").get_data(as_text=True)

    fingerprint = ":".join(f"{b:02X}" for b in __import__("hashlib").sha256(kit.root.cert_der).digest())
    assert fingerprint in page
    assert "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST" in page and "корневой" in page and "промежуточный" in page
    assert almaty(kit.root.cert.not_valid_after_utc).strftime("%d.%m.%Y") in page  # the Exchange's date
    rows = {row.is_root: row for row in TrustCertificate.select()}
    assert set(rows) == {True, False}

    client.post(f"/staff/signing/trust/{rows[True].id}/delete")
    assert [row.is_root for row in TrustCertificate.select()] == [False]


def test_a_personal_certificate_or_garbage_is_not_taken_into_the_trust_store(client, auth, world, kit):  # noqa: F811
    auth.login("admin@exchange.demo")
    before = TrustCertificate.select().count()

    personal = client.post(
        "/staff/signing/trust",
        data={"certificate": (io.BytesIO(kit.person().cert_pem), "me.pem")},
        content_type="multipart/form-data",
    )
    garbage = client.post(
        "/staff/signing/trust",
        data={"certificate": (io.BytesIO(b"hello"), "x.cer")},
        content_type="multipart/form-data",
    )

    assert personal.status_code == 422 and "не сертификат удостоверяющего центра" in personal.get_data(as_text=True)
    assert garbage.status_code == 422 and "не является сертификатом X.509" in garbage.get_data(as_text=True)
    assert TrustCertificate.select().count() == before


def upload_crl(client, data: bytes, name="ca.crl"):
    return client.post(
        "/staff/signing/crls", data={"crl": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


@pytest.mark.rule("G-22")
def test_a_crl_uploaded_by_an_admin_is_the_evidence_for_keys_naming_no_source(app, client, auth, approved, kit, world):  # noqa: F811
    """Issue 14.6: the operator supplies the CRL on the trust page; the key names no CRL of its own."""
    app_id, document = approved
    key = ceo_key(kit, world, issuer=kit.root, crl=False)
    auth.logout()
    auth.login("admin@exchange.demo")

    response = upload_crl(client, pki.make_crl(kit.root))
    page = client.get("/staff/signing/trust").get_data(as_text=True)
    auth.logout()
    auth.login("ceo@demo.kz")
    send(client, app_id, kit.sign(key, document))

    assert response.status_code == 302
    assert "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST" in page and "Списки отзыва (CRL)" in page
    evidence = SignatureEvidence.get()
    urls = [r.url for r in RevocationEvidence.select().where(RevocationEvidence.evidence == evidence)]
    assert evidence.revocation == "good" and urls[0].startswith("upload:")
    from core.audit.models import AuditEvent

    assert AuditEvent.select().where(AuditEvent.action == "trust.crl_add").count() == 1


def test_a_crl_not_signed_by_a_trusted_ca_or_garbage_is_not_taken(client, auth, world, kit):  # noqa: F811
    from core.signing.models import RevocationList

    auth.login("admin@exchange.demo")

    lookalike = upload_crl(client, pki.make_crl(kit.lookalike))  # the root's name, another key
    garbage = upload_crl(client, b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")

    assert lookalike.status_code == 422
    assert "не подписан удостоверяющим центром из списка доверенных" in lookalike.get_data(as_text=True)
    assert garbage.status_code == 422 and "не является списком отзыва" in garbage.get_data(as_text=True)
    assert RevocationList.select().count() == 0


def test_a_newer_crl_replaces_the_older_and_admins_may_remove_it(client, auth, world, kit):  # noqa: F811
    from core.signing.models import RevocationList

    auth.login("admin@exchange.demo")
    upload_crl(client, pki.make_crl(kit.root))
    victim = kit.person(issuer=kit.root, crl=False)
    upload_crl(client, pki.make_crl(kit.root, [victim]))

    rows = list(RevocationList.select())
    assert len(rows) == 1 and rows[0].entries == 1
    client.post(f"/staff/signing/crls/{rows[0].id}/delete")
    assert RevocationList.select().count() == 0


def test_only_admins_upload_crls(client, auth, world, kit):  # noqa: F811
    from core.signing.models import RevocationList

    auth.login("listing@exchange.demo")

    assert upload_crl(client, pki.make_crl(kit.root)).status_code == 403
    assert RevocationList.select().count() == 0


@pytest.mark.parametrize("email, status", [("ceo@demo.kz", 403), ("listing@exchange.demo", 403)])
def test_only_admins_manage_the_trust_store(client, auth, world, email, status):
    auth.login(email)

    assert client.get("/staff/signing/trust").status_code == status


# --- checking a document ------------------------------------------------------------------------------


@pytest.fixture
def signed(app, client, auth, approved, kit, world):  # noqa: F811
    app_id, document = approved
    cms = kit.sign(ceo_key(kit, world), document)
    send(client, app_id, cms)
    auth.logout()
    with app.app_context():
        issued = SigningDocument.get(SigningDocument.application == app_id)
        return {"code": issued.code, "copy": issued.signed_copy.read(), "document": document, "cms": cms}


@pytest.mark.rule("G-22")
def test_anyone_checks_a_document_by_its_code(client, signed):
    page = client.get(f"/verify?code={signed['code'].lower().replace('-', ' ')}").get_data(as_text=True)

    assert "Председатель Правления САПАРОВ ЕРЛАН" in page
    assert "Электронная печать Биржи" in page
    assert signed["code"] in page


def test_an_unknown_code_is_said_so(client, world):
    page = client.get("/verify?code=2222-3333-4444").get_data(as_text=True)

    assert "Документ с таким кодом не найден" in page


@pytest.mark.rule("G-22")
def test_anyone_checks_the_signed_copy_pdf(client, signed):
    response = client.post(
        "/verify", data={"file": (io.BytesIO(signed["copy"]), "copy.pdf")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Документ не изменён." in page
    assert "ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (TEST)" in page
    assert "САПАРОВ ЕРЛАН" in page  # the client's CMS embedded in the copy, checked again
    assert "Документ выдан Биржей, подписи действительны." in page
    # judged when the Exchange accepted it, with the CRL kept then — not at the time the signer wrote
    assert "Биржа проверила подпись, когда приняла её: сертификат действовал и не был отозван" in page
    assert "Недействительна" not in page


def test_a_changed_copy_is_shown_as_changed(client, signed):
    copy = (
        signed["copy"].replace(b"/Title (", b"/Title (X", 1)
        if b"/Title (" in signed["copy"]
        else signed["copy"] + b"\n"
    )
    tampered = bytearray(copy)
    position = copy.index(b"stream") + 20  # a byte inside the first content stream
    tampered[position] = (tampered[position] + 1) % 256

    page = client.post(
        "/verify", data={"file": (io.BytesIO(bytes(tampered)), "copy.pdf")}, content_type="multipart/form-data"
    ).get_data(as_text=True)

    assert "Документ изменён после подписания." in page


def test_anyone_checks_a_cms_with_its_document(client, signed):
    good = client.post(
        "/verify",
        data={"file": (io.BytesIO(signed["document"]), "d.pdf"), "signature": (io.BytesIO(signed["cms"]), "s.p7s")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    bad = client.post(
        "/verify",
        data={"file": (io.BytesIO(b"%PDF-1.4 other"), "d.pdf"), "signature": (io.BytesIO(signed["cms"]), "s.p7s")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)

    assert "Документ выдан Биржей, подписи действительны." in good and signed["code"] in good
    assert "Это не документ, выданный Биржей." in bad  # a document the Exchange never issued


def test_is2in_verify_checks_a_signed_copy_from_the_command_line(app, signed, tmp_path):
    path = tmp_path / "copy.pdf"
    path.write_bytes(signed["copy"])
    from core.signing.cli import verify

    result = app.test_cli_runner().invoke(verify, [str(path)])

    assert result.exit_code == 0, result.output
    first, *details = result.output.splitlines()
    assert first.startswith("VALID: a document issued by the Exchange, sealed over every byte")
    assert f"(code {signed['code']})" in first
    assert any(line.startswith("  valid   seal: ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (TEST)") for line in details)
    assert any(line.startswith("  valid   client: САПАРОВ ЕРЛАН") for line in details)


# --- Exchange letters -----------------------------------------------------------------------------------


def test_an_exchange_letter_is_sealed_and_signed_by_two_authorised_persons(app, client, auth, world, kit, tmp_path):  # noqa: F811
    app_id = at_approval(app, world)
    Application.update(
        process="result", status="submitted", submitted_at=__import__("datetime").datetime(2026, 1, 1)
    ).where(Application.id == app_id).execute()
    auth.login("listing@exchange.demo")
    version = Application.get_by_id(app_id).version
    response = client.post(
        f"/applications/{app_id}/act/issue_letter",
        data={"version": str(version), "issue_letter-title": "Письмо Биржи"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    letter = SigningDocument.get(SigningDocument.kind == "letter")
    assert letter.sealed_at is not None

    for email in ("listing@exchange.demo", "admin@exchange.demo"):
        auth.logout()
        auth.login(email)
        person = world[email]
        key = kit.person(person, role="authorised")
        document = client.get(f"/signing/letters/{letter.id}/file").data
        response = client.post(
            f"/signing/letters/{letter.id}/sign",
            data={"signature": (io.BytesIO(kit.sign(key, document)), "s.p7s")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]

    with app.app_context():
        attachment = Attachment.get(Attachment.kind == "letter")
        copy = attachment.file.read()
        assert attachment.file_id == SigningDocument.get_by_id(letter.id).signed_copy_id
    text = text_of(copy, tmp_path)
    assert "Данный документ подписал: Главный специалист департамента листинга ТОКАЕВА МАДИНА" in text
    assert "Данный документ подписал: Администратор системы БЕКОВА ЖАННА" in text
    assert text.count("Данный документ подписал:") == 2


def test_an_exchange_letter_is_not_signed_with_a_key_of_another_organisation(client, auth, app, world, kit):  # noqa: F811
    app_id = at_approval(app, world)
    Application.update(
        process="result", status="submitted", submitted_at=__import__("datetime").datetime(2026, 1, 1)
    ).where(Application.id == app_id).execute()
    auth.login("listing@exchange.demo")
    client.post(
        f"/applications/{app_id}/act/issue_letter",
        data={"version": str(Application.get_by_id(app_id).version), "issue_letter-title": "Письмо Биржи"},
        content_type="multipart/form-data",
    )
    letter = SigningDocument.get(SigningDocument.kind == "letter")
    key = kit.person(world["listing@exchange.demo"], bin="050140000210", role="authorised")
    document = client.get(f"/signing/letters/{letter.id}/file").data

    response = client.post(
        f"/signing/letters/{letter.id}/sign",
        data={"signature": (io.BytesIO(kit.sign(key, document)), "s.p7s")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 409 and "Сертификат выдан для другой организации" in response.get_data(as_text=True)


# --- schema ---------------------------------------------------------------------------------------------


def test_the_signing_models_match_the_migrated_tables(app):
    from core import db as database

    connection = database.db.obj
    from core.signing.models import RevocationList

    for model in (
        TrustCertificate,
        SigningDocument,
        SignatureEvidence,
        RevocationEvidence,
        SignerPolicy,
        RevocationList,
    ):
        columns = {c.name for c in connection.get_columns(model._meta.table_name)}
        assert {f.column_name for f in model._meta.sorted_fields} <= columns, model.__name__
