# ruff: noqa: F811 - the fixtures imported below are redefined as arguments, as pytest uses them
"""The public checker attacked ("Проверить документ", ``is2in verify``; issue 14, items 1-4): forged PDFs
carrying genuine attachments, a client's trusted key posing as the seal, changes appended after the seal,
backdated signatures, revocation on the checker's path, and what the command prints for each outcome.
Each attack is made with real tools (pypdf, pyHanko's PdfSigner, openssl) on a copy the portal really signed."""

import datetime
import hashlib
import io

import pytest
from pypdf import PdfReader, PdfWriter

from core.signing import pki
from core.signing import seal as sealing
from core.signing.cli import verify as verify_command
from core.signing.models import RevocationEvidence, SignatureEvidence, SigningDocument
from core.workflow.models import Application
from tests.core.test_signing_flow import approved, ceo_key, send, signed, world  # noqa: F401 - fixtures
from tests.core.test_signing_kit import kit, responder  # noqa: F401 - fixtures

NOT_EXCHANGE = "NOT AN EXCHANGE DOCUMENT"


def run(app, tmp_path, data: bytes, *extra: str, name="file.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(verify_command, [str(path), *extra])


def post(client, data: bytes, signature: bytes | None = None) -> str:
    fields = {"file": (io.BytesIO(data), "file.pdf")}
    if signature is not None:
        fields["signature"] = (io.BytesIO(signature), "s.p7s")
    response = client.post("/verify", data=fields, content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def other_pages() -> bytes:
    """A PDF with pages the Exchange never issued."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attachments_of(copy: bytes) -> dict[str, bytes]:
    return {name: contents[0] for name, contents in PdfReader(io.BytesIO(copy)).attachments.items()}


def forged(copy: bytes) -> bytes:
    """Other pages with the genuine original and the genuine CMS attached, and no seal: the attack of 14.1."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(other_pages())))
    for name, content in attachments_of(copy).items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def number_of(signed_fixture) -> str:
    document = SigningDocument.get(SigningDocument.code == signed_fixture["code"])
    return Application.get_by_id(document.application_id).number


def pades(pdf: bytes, issued: pki.Issued, field: str = "Signature1", *, incremental=True) -> bytes:
    """``pdf`` signed (PAdES, whole file) with ``issued`` — any key, e.g. a client's trusted one."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = pki.to_pkcs12(issued.cert, issued.key, issued.chain, "x")
    signer = signers.SimpleSigner.load_pkcs12_data(key, other_certs=[], passphrase=b"x")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()


# --- 14.1: the seal over every byte, or not the Exchange's ----------------------------------------------


@pytest.mark.rule("G-22")
def test_other_pages_with_the_genuine_attachments_and_no_seal_are_not_an_exchange_document(
    app, client, signed, tmp_path
):
    fake = forged(signed["copy"])
    assert set(attachments_of(fake)) == set(attachments_of(signed["copy"]))  # the genuine original and CMS

    result = run(app, tmp_path, fake)
    page = post(client, fake)

    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == NOT_EXCHANGE + ": no seal of the Exchange covers this file"
    assert signed["code"] not in result.output and number_of(signed) not in result.output
    assert "Это не документ, выданный Биржей." in page
    assert "Действительна" not in page
    assert signed["code"] not in page and number_of(signed) not in page


def test_a_change_appended_after_the_seal_is_refused(app, client, signed, tmp_path):
    """An incremental update after the seal (pages replaced the way a PDF editor saves): the seal no longer
    covers the whole file."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed["copy"]), strict=False)
    info = writer.root
    info["/Lang"] = generic.pdf_string("kk")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    changed = out.getvalue()
    assert changed.startswith(signed["copy"])

    result = run(app, tmp_path, changed)
    page = post(client, changed)

    assert result.exit_code == 1, result.output
    assert result.output.startswith("INVALID")
    assert "после неё в документ внесены изменения" in result.output
    assert "Документ недействителен" in page and "Документ выдан Биржей" not in page


def test_a_byte_changed_under_the_seal_is_refused(app, signed, tmp_path):
    copy = bytearray(signed["copy"])
    position = bytes(copy).index(b"stream") + 20
    copy[position] = (copy[position] + 1) % 256

    result = run(app, tmp_path, bytes(copy))

    assert result.exit_code == 1 and result.output.startswith("INVALID"), result.output


def test_an_attachment_swapped_under_a_genuine_seal_is_refused(app, client, signed):
    """The seal vouches for what it covers and no more: a sealed file whose attached original is not the one
    the client's CMS signs (sealed here with the Exchange's key, as a bug or an insider might) is invalid."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(other_pages())))
    for name, content in attachments_of(signed["copy"]).items():
        writer.add_attachment(name, b"%PDF-1.4 another original" if name.endswith(".pdf") else content)
    out = io.BytesIO()
    writer.write(out)
    with app.app_context():
        sealed = sealing.seal_pdf(out.getvalue(), sealing.load_seal(app.config), code=signed["code"])

    page = post(client, sealed)

    assert "Документ недействителен" in page
    assert "Подпись не соответствует документу" in page
    assert "Документ выдан Биржей" not in page


# --- 14.3: only the Exchange's seal is the seal ----------------------------------------------------------


def test_a_pdf_signed_by_a_clients_trusted_key_is_not_the_seal(app, client, signed, kit, world, tmp_path):
    """The client's key chains to the trusted root, and the file carries the genuine attachments: still not
    the Exchange's document."""
    client_key = ceo_key(kit, world)
    fake = pades(forged(signed["copy"]), client_key)

    result = run(app, tmp_path, fake)
    page = post(client, fake)

    assert result.exit_code == 2, result.output
    assert "VALID" not in result.output.replace("INVALID", "")
    assert "Не печать Биржи" in result.output
    assert "Это не документ, выданный Биржей." in page and "Действительна" not in page


def test_a_clients_signature_added_after_the_seal_makes_it_not_the_exchanges(
    app,
    signed,
    kit,
    world,
    tmp_path,
    monkeypatch,
):
    """pyHanko itself refuses to sign after a no-changes certification; an attacker's tool would not."""
    from pyhanko.sign.signers import pdf_signer

    monkeypatch.setattr(pdf_signer.PdfSigner, "_enforce_certification_constraints", lambda self, reader: None)
    fake = pades(signed["copy"], ceo_key(kit, world), field="Late")

    result = run(app, tmp_path, fake)

    assert result.exit_code == 2, result.output
    assert "После печати Биржи в файл внесены изменения" in result.output


def test_a_rotated_seal_counts_only_when_its_fingerprint_is_configured(app, signed, kit, tmp_path):
    """After a rotation the old seal's copies stay valid through IS2IN_SEAL_CERT_SHA256; a seal nobody
    configured, even one issued by the same trusted CA, is not the Exchange's."""
    old = sealing.load_seal(app.config).certificate
    new_seal = pki.make_seal_cert(kit.root, name="NEW SEAL", organisation="KASE", bin="000000000000")
    rotated = tmp_path / "new-seal.p12"
    rotated.write_bytes(pki.to_pkcs12(new_seal.cert, new_seal.key, new_seal.chain, "seal-pass"))
    app.config["SEAL_P12"] = str(rotated)

    forgotten = run(app, tmp_path, signed["copy"])
    app.config["SEAL_CERT_SHA256"] = [hashlib.sha256(old.dump()).hexdigest()]
    remembered = run(app, tmp_path, signed["copy"])

    assert forgotten.exit_code == 2, forgotten.output
    assert remembered.exit_code == 0, remembered.output


# --- 14.2: judged at a time the Exchange vouches for -----------------------------------------------------


def test_a_backdated_signature_by_an_expired_key_is_not_vouched_for(app, client, signed, kit, world, tmp_path):
    """An expired key, a signingTime from when it was valid, the genuine document: the Exchange never
    accepted it, so the checker never says the certificate was valid "at the moment of signing"."""
    from tests.core.test_signing_verify import sign_at

    now = datetime.datetime.now(datetime.UTC)
    expired = kit.person(
        world["ceo@demo.kz"], not_before=now - datetime.timedelta(days=400), not_after=now - datetime.timedelta(days=35)
    )
    cms = sign_at(expired, now - datetime.timedelta(days=100), signed["document"])

    result = run(app, tmp_path, cms, "--document", str(_write(tmp_path, signed["document"])), name="s.p7s")
    page = post(client, signed["document"], cms)

    assert result.exit_code == 1, result.output
    assert "Биржа не принимала эту подпись для этого документа" in result.output
    assert "действовал на момент подписания" not in page and "Документ выдан Биржей" not in page


def _write(tmp_path, data: bytes):
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return path


def test_an_accepted_signature_is_judged_with_the_crl_kept_at_acceptance_without_fetching(app, signed, kit, tmp_path):
    """Revoked later, CRL server down: the accepted signature stays valid as of its acceptance, from the
    evidence kept then, and nothing is fetched."""
    evidence = SignatureEvidence.get()
    assert RevocationEvidence.select().where(RevocationEvidence.evidence == evidence).count() == 2
    kit.responder.down = True
    before = len(kit.responder.requests)
    try:
        result = run(app, tmp_path, signed["copy"])
    finally:
        kit.responder.down = False

    assert result.exit_code == 0, result.output
    assert "не был отозван (CRL/OCSP сохранены)" in result.output
    assert len(kit.responder.requests) == before


def test_revocation_is_checked_on_the_checkers_path(app, signed, kit, world, tmp_path):
    """Evidence kept for the signature that shows its certificate revoked before acceptance (a CRL the
    Exchange learnt of) makes the checker refuse it."""
    from cryptography import x509 as pyca_x509

    from core.signing import service

    evidence = SignatureEvidence.get()
    certificate = pyca_x509.load_der_x509_certificate(bytes(evidence.certificate))
    revoking = pki.make_crl(kit.intermediate, [certificate])
    for row in RevocationEvidence.select().where(RevocationEvidence.evidence == evidence):
        if row.url.endswith("/ca.crl"):
            with app.app_context():
                row.file = service.store_blob(revoking, "ca.crl", "application/pkix-crl")
            row.save()

    result = run(app, tmp_path, signed["copy"])

    assert result.exit_code == 1, result.output
    assert "Сертификат подписи отозван" in result.output


# --- 14.4: one line and an exit code per outcome -------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\ngarbage", b"%PDF-1.4\n" + b"\x00" * 200, b"not a pdf at all", b""],
    ids=["broken-pdf", "zeros", "not-pdf", "empty"],
)
def test_a_hostile_file_gets_one_line_and_no_traceback(app, world, tmp_path, data):
    result = run(app, tmp_path, data)

    assert result.exit_code == 2, result.output
    assert result.output.startswith(NOT_EXCHANGE)
    assert "Traceback" not in result.output and "Error" not in result.output


def test_a_seal_whose_signature_bytes_were_overwritten_gets_one_line(app, signed, tmp_path):
    copy = signed["copy"]
    start = copy.rindex(b"/Contents <") + len(b"/Contents <")
    broken = copy[:start] + b"00" * 50 + copy[start + 100 :]
    assert len(broken) == len(copy)

    result = run(app, tmp_path, broken)

    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[1].strip() == "Подпись в файле повреждена: печати Биржи над файлом нет."


def test_without_a_configured_seal_the_answer_is_cannot_check_now(app, signed, tmp_path):
    app.config.update(SEAL_P12=str(tmp_path / "missing.p12"), SEAL_CERT_SHA256=[])

    result = run(app, tmp_path, signed["copy"])

    assert result.exit_code == 3, result.output
    assert result.output.startswith("CANNOT CHECK NOW")


def test_a_database_down_is_cannot_check_now_in_one_line(app, signed, tmp_path, monkeypatch):
    from core.signing import check

    def down(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(check, "_known", down)

    result = run(app, tmp_path, signed["copy"])

    assert result.exit_code == 3
    assert result.output.splitlines() == ["CANNOT CHECK NOW: try again later (ConnectionError)"]


@pytest.mark.parametrize(
    ("lang", "valid", "not_exchange"),
    [
        ("ru", "Документ выдан Биржей, подписи действительны.", "Это не документ, выданный Биржей."),
        ("kk", "Құжатты Биржа берген, қолтаңбалар жарамды.", "Бұл Биржа берген құжат емес."),
        ("en", "Issued by the Exchange; every signature is valid.", "This is not a document issued by the Exchange."),
    ],
)
def test_the_page_says_the_outcome_in_the_readers_language(client, signed, lang, valid, not_exchange):
    with client.session_transaction() as session:
        session["lang"] = lang

    assert valid in post(client, signed["copy"])
    assert not_exchange in post(client, forged(signed["copy"]))


def test_the_accepted_cms_with_its_document_is_valid_from_the_command_line(app, signed, tmp_path):
    result = run(app, tmp_path, signed["cms"], "--document", str(_write(tmp_path, signed["document"])), name="s.p7s")
    other = run(app, tmp_path, signed["cms"], "--document", str(_write(tmp_path, b"%PDF-1.4 other")), name="s.p7s")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"VALID: a signature the Exchange accepted for a document it issued — Заявление (code {signed['code']})"
    )
    assert other.exit_code == 2 and other.output.startswith(NOT_EXCHANGE)
