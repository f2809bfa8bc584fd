"""Verification of the first head's detached CMS signature (G-21, G-22): real signatures made by openssl with
certificates of a Kazakh-style test PKI, each reason for refusal proved on its own."""

import base64
import datetime
import hashlib
import subprocess
import zoneinfo

import pytest
from asn1crypto import algos, x509

from core.signing import pki
from core.signing.verify import SignatureRejected, parse_cms, trust_roots_from_dir, verify_detached
from tests.conftest import almaty

DOCUMENT = b"%PDF-1.7\n% the application exactly as the first head downloaded it\n%%EOF\n"
IIN = "700202300021"
BIN = "050140000210"
ORGANISATION = 'АО "DEMO ISSUER"'
NOW = datetime.datetime.now(datetime.UTC)


def person(issuer, **overrides):
    fields = dict(surname="САПАРОВ", name="ЕРЛАН", patronymic="АСКАРОВИЧ", iin=IIN, bin=BIN, organisation=ORGANISATION)
    fields.update(overrides)
    return pki.make_person_cert(issuer, **fields)


@pytest.fixture(scope="module")
def kit():
    """The test PKI, made once: RSA key generation is the slow part."""
    root = pki.make_ca("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)")
    intermediate = pki.make_intermediate(root, "NCA RK ISSUING CA (RSA)")
    lookalike = pki.make_ca("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)")
    stranger = pki.make_ca("SOME OTHER CA")
    return {
        "root": root,
        "lookalike": lookalike,
        "stranger": stranger,
        "sign": person(root),
        "auth": person(root, purpose="auth"),
        "expired": person(
            root, not_before=NOW - datetime.timedelta(days=400), not_after=NOW - datetime.timedelta(days=35)
        ),
        "future": person(root, not_before=NOW + datetime.timedelta(days=30)),
        "via_intermediate": person(intermediate),
        "forged": person(lookalike),
        "foreign": person(stranger),
        "individual": person(root, bin=None, organisation=None),
    }


def sign(issued, document=DOCUMENT, **options):
    return pki.sign_detached_with_openssl(document, issued.cert_pem, issued.key_pem, **options)


def verify(kit, signature, document=DOCUMENT, **options):
    options.setdefault("trust_roots", [kit["root"].cert])
    options.setdefault("expected_iin", IIN)
    options.setdefault("expected_bin", BIN)
    return verify_detached(document, signature, **options)


def rejected(kit, signature, document=DOCUMENT, **options) -> SignatureRejected:
    with pytest.raises(SignatureRejected) as caught:
        verify(kit, signature, document, **options)
    return caught.value


# --- accepted ---------------------------------------------------------------------------------------


@pytest.mark.rule("G-21")
def test_a_valid_signature_of_the_first_head_is_accepted_with_his_details(kit):
    signer = kit["sign"]

    report = verify(kit, sign(signer))

    assert report.common_name == "САПАРОВ ЕРЛАН"
    assert report.full_name == "САПАРОВ ЕРЛАН АСКАРОВИЧ"
    assert (report.iin, report.bin, report.organisation) == (IIN, BIN, ORGANISATION)
    assert report.serial_number == format(signer.cert.serial_number, "x")
    assert report.issuer == "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)"
    assert abs(report.signing_time - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=5)
    assert report.not_before == signer.cert.not_valid_before_utc
    assert report.not_after == signer.cert.not_valid_after_utc
    assert report.certificate_der == signer.cert_der
    assert report.document_sha256 == hashlib.sha256(DOCUMENT).hexdigest()


def test_the_identity_checks_are_skipped_when_nothing_is_expected(kit):
    report = verify(kit, sign(kit["individual"]), expected_iin=None, expected_bin=None)

    assert (report.iin, report.bin, report.organisation) == (IIN, None, None)


def test_trust_roots_may_be_given_as_der_pem_or_asn1crypto(kit):
    signature = sign(kit["sign"])
    root = kit["root"]

    for given in (root.cert, root.cert_der, root.cert_pem, x509.Certificate.load(root.cert_der)):
        assert verify(kit, signature, trust_roots=[given]).iin == IIN


def test_a_chain_through_an_intermediate_embedded_in_the_signature_is_accepted(kit):
    signer = kit["via_intermediate"]

    report = verify(kit, sign(signer, chain_pem=signer.chain_pem))

    assert report.issuer == "NCA RK ISSUING CA (RSA)"


def test_a_known_intermediate_may_come_from_the_portal_instead_of_the_signature(kit):
    signer = kit["via_intermediate"]

    assert rejected(kit, sign(signer)).code == "untrusted"
    assert verify(kit, sign(signer), intermediates=[signer.chain[0]]).iin == IIN


def test_an_attached_signature_of_the_same_document_is_accepted(kit):
    assert verify(kit, sign(kit["sign"], attached=True)).iin == IIN


def test_the_moment_of_judgement_can_be_given_naive_as_the_database_keeps_it(kit):
    moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    assert verify(kit, sign(kit["sign"]), at=moment).iin == IIN


# --- the forms of an upload (G-22) -------------------------------------------------------------------


def der_to_pem(der: bytes, label: str) -> bytes:
    lines = [base64.b64encode(der)[i : i + 64] for i in range(0, len(base64.b64encode(der)), 64)]
    return b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode(), b""])


@pytest.mark.rule("G-22")
@pytest.mark.parametrize("form", ["der", "pem-cms", "pem-pkcs7", "base64", "base64-wrapped", "base64-crlf"])
def test_an_uploaded_signature_is_accepted_as_der_pem_or_base64(kit, form):
    der = sign(kit["sign"])
    text = base64.b64encode(der)
    blob = {
        "der": der,
        "pem-cms": der_to_pem(der, "CMS"),
        "pem-pkcs7": der_to_pem(der, "PKCS7"),
        "base64": text,  # what NCALayer's signCms hands back
        "base64-wrapped": b"\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + b"\n",
        "base64-crlf": b"\xef\xbb\xbf" + b"\r\n".join(text[i : i + 64] for i in range(0, len(text), 64)),
    }[form]

    assert verify(kit, blob).iin == IIN


def test_openssl_pem_output_is_read_as_it_is_written(kit, tmp_path):
    der = sign(kit["sign"])
    (tmp_path / "sig.der").write_bytes(der)
    subprocess.run(
        [
            "openssl",
            "cms",
            "-cmsout",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "sig.der"),
            "-outform",
            "PEM",
            "-out",
            str(tmp_path / "sig.pem"),
        ],
        check=True,
        capture_output=True,
    )

    assert parse_cms((tmp_path / "sig.pem").read_bytes()).dump() == parse_cms(der).dump()


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"   \n",
        b"%PDF-1.7 this is the document itself, not its signature",
        b"not base64 at all!",
        base64.b64encode(b"valid base64 of something else"),
        b"\x30\x03\x02\x01\x01",  # DER, but not a ContentInfo
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ],
    ids=["empty", "blank", "pdf", "garbage", "base64-garbage", "der-garbage", "a-certificate"],
)
def test_a_file_that_is_not_a_signature_is_refused_as_corrupt(kit, blob):
    rejection = rejected(kit, blob)

    assert rejection.code == "corrupt"
    assert "не является подписью CMS" in rejection.message


def test_a_truncated_signature_is_refused_as_corrupt(kit):
    der = sign(kit["sign"])

    assert rejected(kit, der[: len(der) // 2]).code == "corrupt"


def test_a_signature_without_the_signer_certificate_is_refused_as_corrupt(kit):
    info = parse_cms(sign(kit["sign"]))
    del info["content"]["certificates"]

    rejection = rejected(kit, info.dump(force=True))

    assert rejection.code == "corrupt"
    assert "нет сертификата" in rejection.message


# --- refused ----------------------------------------------------------------------------------------


def test_a_changed_document_is_refused_as_tampered(kit):
    signature = sign(kit["sign"])

    rejection = rejected(kit, signature, DOCUMENT + b"\n% one more line")

    assert rejection.code == "tampered"
    assert rejection.message == "Подпись не соответствует документу: документ изменён или подписан другой файл."


def test_a_signature_of_another_file_is_refused_as_tampered(kit):
    assert rejected(kit, sign(kit["sign"], b"another application")).code == "tampered"


def test_an_attached_signature_of_another_document_is_refused_as_tampered(kit):
    assert rejected(kit, sign(kit["sign"], b"another application", attached=True)).code == "tampered"


def test_a_signature_whose_signed_attributes_were_altered_is_refused_as_tampered(kit):
    info = parse_cms(sign(kit["sign"]))
    signer_info = info["content"]["signer_infos"][0]
    signature = bytearray(signer_info["signature"].native)
    signature[-1] ^= 1
    signer_info["signature"] = bytes(signature)

    assert rejected(kit, info.dump(force=True)).code == "tampered"


def test_an_authentication_key_is_refused(kit):
    rejection = rejected(kit, sign(kit["auth"]))

    assert rejection.code == "auth_key"
    assert "ключом для аутентификации (AUTH)" in rejection.message


def test_the_certificate_of_another_person_is_refused(kit):
    rejection = rejected(kit, sign(kit["sign"]), expected_iin="850101400013")

    assert rejection.code == "wrong_iin"
    assert rejection.message == (
        "Документ подписан сертификатом другого лица: ИИН в сертификате 700202300021, "
        "а ИИН первого руководителя 850101400013."
    )


def test_the_certificate_of_another_organisation_is_refused(kit):
    rejection = rejected(kit, sign(kit["sign"]), expected_bin="931040000110")

    assert rejection.code == "wrong_bin"
    assert rejection.message == (
        "Сертификат выдан для другой организации: БИН в сертификате 050140000210, а БИН организации 931040000110."
    )


def test_a_personal_key_without_a_bin_is_refused_for_an_organisation(kit):
    rejection = rejected(kit, sign(kit["individual"]))

    assert rejection.code == "wrong_bin"
    assert "ключ физического лица" in rejection.message


def test_an_expired_certificate_is_refused(kit):
    rejection = rejected(kit, sign(kit["expired"]))

    assert rejection.code == "expired"
    expiry = almaty(kit["expired"].cert.not_valid_after_utc).strftime("%d.%m.%Y %H:%M")  # the Exchange's time
    assert rejection.message.startswith(f"Срок действия сертификата подписи истёк {expiry}")


def test_a_certificate_is_judged_at_the_moment_given(kit):
    signer = kit["expired"]
    back_then = signer.cert.not_valid_after_utc - datetime.timedelta(days=1)

    assert verify(kit, sign_at(signer, back_then - datetime.timedelta(hours=1)), at=back_then).iin == IIN
    assert rejected(kit, sign(kit["sign"]), at=NOW + datetime.timedelta(days=400)).code == "expired"


def test_a_certificate_not_yet_valid_is_refused(kit):
    rejection = rejected(kit, sign(kit["future"]))

    assert rejection.code == "not_yet_valid"
    # Shown on the Exchange's clock (UTC+5 in Almaty), like every time a person reads.
    start = almaty(kit["future"].cert.not_valid_before_utc)
    assert rejection.message == (
        f"Сертификат подписи ещё не действует: он действителен с {start:%d.%m.%Y %H:%M} (время Алматы)."
    )


def test_a_trust_root_signing_for_itself_is_refused_though_pyhanko_trusts_it(kit):
    """pyHanko does not apply key usage to a signer that is itself a trust root; the portal does."""
    rejection = rejected(kit, sign(kit["root"]), expected_iin=None, expected_bin=None)

    assert rejection.code == "auth_key"


def test_a_certificate_of_an_untrusted_ca_is_refused(kit):
    signer = kit["foreign"]

    rejection = rejected(kit, sign(signer, chain_pem=signer.chain_pem))

    assert rejection.code == "untrusted"
    assert "Биржа не доверяет" in rejection.message


def test_nothing_is_trusted_without_trust_roots_not_even_the_system_store(kit):
    assert rejected(kit, sign(kit["sign"]), trust_roots=[]).code == "untrusted"


def test_a_lookalike_ca_with_the_same_name_and_another_key_is_refused(kit):
    signer = kit["forged"]
    assert signer.cert.issuer == kit["root"].cert.subject

    rejection = rejected(kit, sign(signer, chain_pem=signer.chain_pem))

    assert rejection.code == "lookalike"
    assert rejection.message.startswith(
        "Сертификат подписи выдан удостоверяющим центром, который выдаёт себя за доверенный "
        "«ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)»: имя совпадает, но ключ другой."
    )


def test_a_lookalike_ca_not_embedded_in_the_signature_is_refused_as_a_lookalike_too(kit):
    assert rejected(kit, sign(kit["forged"])).code == "lookalike"


def test_a_lookalike_ca_without_key_identifiers_is_refused_on_its_signature(kit):
    """Without an authority key identifier to tell them apart, the path reaches the real root by name and
    fails on the certificate's signature."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    forged = kit["forged"]
    builder = (
        x509.CertificateBuilder()
        .subject_name(forged.cert.subject)
        .issuer_name(forged.cert.issuer)
        .public_key(forged.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(forged.cert.not_valid_before_utc)
        .not_valid_after(forged.cert.not_valid_after_utc)
    )
    for extension in forged.cert.extensions:
        if not isinstance(extension.value, x509.AuthorityKeyIdentifier):
            builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(kit["lookalike"].key, hashes.SHA256())
    signer = pki.Issued(cert, forged.key)

    assert rejected(kit, sign(signer, chain_pem=forged.chain_pem)).code == "lookalike"


def test_a_gost_signature_is_refused_as_not_accepted_yet(kit):
    info = parse_cms(sign(kit["sign"]))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["digest_algorithm"] = algos.DigestAlgorithm({"algorithm": "1.2.398.3.10.1.3.1"})  # ГОСТ 34.311-95
    signer_info["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": "1.2.398.3.10.1.1.1.2"})

    rejection = rejected(kit, info.dump(force=True))

    assert rejection.code == "algorithm"
    assert "ГОСТ" in rejection.message and "пока не принимаются" in rejection.message


def test_a_signature_with_sha1_is_refused_as_a_weak_algorithm(kit, tmp_path):
    signer = kit["sign"]
    for name, content in {"doc": DOCUMENT, "cert.pem": signer.cert_pem, "key.pem": signer.key_pem}.items():
        (tmp_path / name).write_bytes(content)
    subprocess.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha1",
            "-outform",
            "DER",
            "-in",
            str(tmp_path / "doc"),
            "-signer",
            str(tmp_path / "cert.pem"),
            "-inkey",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "sig"),
        ],
        check=True,
        capture_output=True,
    )

    rejection = rejected(kit, (tmp_path / "sig").read_bytes())

    assert rejection.code == "algorithm"
    assert "устаревшему алгоритму" in rejection.message


def test_a_rejection_carries_its_code_and_message(kit):
    rejection = rejected(kit, b"nonsense")

    assert isinstance(rejection, Exception)
    assert str(rejection) == rejection.message
    assert rejection.code == "corrupt"


# --- trust roots from the instance folder -----------------------------------------------------------


def test_trust_roots_are_read_from_every_certificate_file_of_a_folder(kit, tmp_path):
    (tmp_path / "root.pem").write_bytes(kit["root"].cert_pem + kit["stranger"].cert_pem)
    (tmp_path / "other.cer").write_bytes(kit["lookalike"].cert_der)
    (tmp_path / "notes.txt").write_text("not a certificate")

    roots = trust_roots_from_dir(tmp_path)

    assert sorted(r.dump() for r in roots) == sorted(
        [kit["root"].cert_der, kit["stranger"].cert_der, kit["lookalike"].cert_der]
    )
    assert verify(kit, sign(kit["sign"]), trust_roots=roots).iin == IIN
    assert trust_roots_from_dir(tmp_path / "missing") == []


# --- the demo PKI command ---------------------------------------------------------------------------


def test_pki_demo_writes_a_root_and_a_key_store_that_sign_for_the_demo_first_head(app, demo, tmp_path):
    from core.accounts.models import User
    from core.signing.cli import pki as pki_group
    from core.signing.service import operator_crls

    result = app.test_cli_runner().invoke(pki_group, ["demo"])
    assert result.exit_code == 0, result.output

    instance = tmp_path / "instance"
    store = instance / "demo" / "ceo.p12"
    assert str(store) in result.output
    pem_file = tmp_path / "ceo.pem"
    subprocess.run(
        ["openssl", "pkcs12", "-in", str(store), "-nodes", "-passin", "pass:Demo!2345", "-out", str(pem_file)],
        check=True,
        capture_output=True,
    )
    (tmp_path / "doc.pdf").write_bytes(DOCUMENT)
    subprocess.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-in",
            str(tmp_path / "doc.pdf"),
            "-signer",
            str(pem_file),
            "-out",
            str(tmp_path / "doc.cms"),
        ],
        check=True,
        capture_output=True,
    )

    head = User.by_email("ceo@demo.kz")
    with app.app_context():
        crls = operator_crls(app.config)
    report = verify_detached(
        DOCUMENT,
        (tmp_path / "doc.cms").read_bytes(),
        trust_roots=trust_roots_from_dir(instance / "trust"),
        expected_iin=head.iin,
        expected_bin=head.organisation.bin,
        crls=crls,
        require_revocation=True,  # as the portal does by default: the demo root's CRL is the evidence
    )
    assert report.full_name == "САПАРОВ ЕРЛАН"
    assert report.revocation_status == "good"
    assert [c.url for c in report.revocation] == ["file:demo-root-ca.crl"]

    again = app.test_cli_runner().invoke(pki_group, ["demo"])
    assert "already there" in again.output


# --- the signing time the signer claims (signed attributes) --------------------------------------------


def sign_at(issued, moment, document=DOCUMENT):
    """A detached CMS whose signingTime says ``moment`` (pyHanko's signer: openssl always writes its clock)."""
    from asn1crypto import keys
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=x509.Certificate.load(issued.cert_der),
        signing_key=keys.PrivateKeyInfo.load(
            issued.key.private_bytes(
                pki.serialization.Encoding.DER,
                pki.serialization.PrivateFormat.PKCS8,
                pki.serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [
                x509.Certificate.load(c.public_bytes(pki.serialization.Encoding.DER))
                for c in (issued.cert, *issued.chain)
            ]
        ),
    )
    from core.signing.verify import _run

    info = _run(
        signer.async_sign_general_data(
            document, "sha256", detached=True, signed_attr_settings=PdfCMSSignedAttributes(signing_time=moment)
        )
    )
    return info.dump()


def test_a_signing_time_from_before_the_certificate_existed_is_refused(kit):
    """Issue 14.5: a CMS claiming a time 200 days before its certificate was issued."""
    signer = kit["sign"]
    claimed = signer.cert.not_valid_before_utc - datetime.timedelta(days=200)

    rejection = rejected(kit, sign_at(signer, claimed))

    assert rejection.code == "signing_time"
    almaty = claimed.astimezone(zoneinfo.ZoneInfo("Asia/Almaty"))  # every time a person reads is the Exchange's
    assert rejection.message.startswith(
        f"Время подписания, указанное в подписи ({almaty:%d.%m.%Y %H:%M} (время Алматы))"
    )
    assert "выходит за срок действия сертификата" in rejection.message


def test_an_expired_key_with_a_backdated_signing_time_is_refused_at_upload(kit):
    """Issue 14.2: the key expired 35 days ago; the signature claims a day when it was still valid. The
    moment of judgement is the upload, never the claimed time."""
    signer = kit["expired"]
    claimed = signer.cert.not_valid_after_utc - datetime.timedelta(days=10)

    assert rejected(kit, sign_at(signer, claimed)).code == "expired"


def test_a_signing_time_in_the_future_beyond_the_skew_is_refused(kit):
    claimed = NOW + datetime.timedelta(minutes=30)

    rejection = rejected(kit, sign_at(kit["sign"], claimed), at=NOW)

    assert rejection.code == "signing_time"
    assert "позже текущего времени" in rejection.message


def test_a_clock_a_little_fast_is_tolerated_and_the_skew_is_configurable(kit):
    claimed = NOW + datetime.timedelta(minutes=3)
    signature = sign_at(kit["sign"], claimed)

    assert verify(kit, signature, at=NOW).iin == IIN
    tight = rejected(kit, signature, at=NOW, signing_time_skew=datetime.timedelta(minutes=1))
    assert tight.code == "signing_time"
