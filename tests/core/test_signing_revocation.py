"""Revocation checked at signing time (CRL and OCSP from a real local HTTP server), the first head's role in
the extended key usage, and GOST signatures sent to an NCANode-style verifier (G-21, G-22)."""

import pytest
from asn1crypto import algos

from core.signing import pki
from core.signing.verify import SignatureRejected, parse_cms, verify_detached
from tests.core.test_signing_kit import gost_answer, kit, responder  # noqa: F401 - fixtures

DOCUMENT = b"%PDF-1.7\n% the application as issued\n%%EOF\n"
IIN, BIN = "700202300021", "050140000210"


@pytest.fixture(autouse=True)
def source_up(responder):  # noqa: F811
    responder.down = False
    responder.ocsp = None
    yield


def check(kit, signature, **options):  # noqa: F811
    options.setdefault("trust_roots", [kit.root.cert])
    options.setdefault("expected_iin", IIN)
    options.setdefault("expected_bin", BIN)
    options.setdefault("roles", {"first_head"})
    return verify_detached(DOCUMENT, signature, **options)


def refused(kit, signature, **options) -> SignatureRejected:  # noqa: F811
    with pytest.raises(SignatureRejected) as caught:
        check(kit, signature, **options)
    return caught.value


# --- CRL ---------------------------------------------------------------------------------------------


@pytest.mark.rule("G-22")
def test_a_certificate_not_on_the_crl_is_accepted_and_the_crl_kept_as_evidence(kit):  # noqa: F811
    signer = kit.person()

    report = check(kit, kit.sign(signer, DOCUMENT))

    assert report.revocation_status == "good"
    assert [(f.kind, f.url) for f in report.revocation] == [
        ("crl", f"{kit.responder.url}/ca.crl"),
        ("crl", f"{kit.responder.url}/root.crl"),  # the intermediate's, checked too
    ]
    assert report.revocation[0].data == kit.responder.crl


@pytest.mark.rule("G-22")
def test_a_revoked_certificate_is_refused(kit):  # noqa: F811
    signer = kit.person()
    kit.revoke(signer)

    rejection = refused(kit, kit.sign(signer, DOCUMENT))

    assert rejection.code == "revoked"
    assert rejection.message.startswith("Сертификат подписи отозван удостоверяющим центром")


def test_an_unreachable_crl_says_try_again(kit):  # noqa: F811
    kit.responder.down = True

    rejection = refused(kit, kit.sign(kit.person(), DOCUMENT))

    assert rejection.code == "revocation_unavailable"
    assert f"{kit.responder.url}/ca.crl" in rejection.message
    assert "попробуйте отправить её ещё раз" in rejection.message


def test_a_crl_signed_by_someone_else_is_not_accepted_as_evidence(kit):  # noqa: F811
    good = kit.responder.crl
    kit.responder.crl = pki.make_crl(kit.lookalike)
    try:
        rejection = refused(kit, kit.sign(kit.person(), DOCUMENT))
    finally:
        kit.responder.crl = good

    assert rejection.code == "revocation_invalid"


def test_nothing_is_fetched_for_a_signature_that_is_already_broken(kit):  # noqa: F811
    before = len(kit.responder.requests)

    rejection = refused(kit, kit.sign(kit.person(), b"another document"))

    assert rejection.code == "tampered"
    assert len(kit.responder.requests) == before


def test_without_the_requirement_a_certificate_naming_no_source_is_accepted_as_not_checked(kit):  # noqa: F811
    report = check(kit, kit.sign(kit.person(crl=False, issuer=kit.root), DOCUMENT))

    assert (report.revocation_status, report.revocation) == ("not_checked", ())


def test_a_partly_covered_path_is_not_recorded_as_good(kit):  # noqa: F811
    report = check(kit, kit.sign(kit.person(crl=False), DOCUMENT))  # only the intermediate names a CRL

    assert report.revocation_status == "not_checked"


# --- revocation evidence required (issue 14.6) -----------------------------------------------------------


def test_a_qualified_key_naming_no_source_is_refused_when_evidence_is_required(kit):  # noqa: F811
    rejection = refused(kit, kit.sign(kit.person(crl=False), DOCUMENT), require_revocation=True)

    assert rejection.code == "no_revocation"
    assert rejection.message.startswith("Нельзя проверить, не отозван ли сертификат «САПАРОВ ЕРЛАН»")


def test_the_operators_crl_is_the_evidence_for_a_key_naming_no_source(kit):  # noqa: F811
    signer = kit.person(crl=False)
    operators = pki.make_crl(kit.intermediate)

    report = check(kit, kit.sign(signer, DOCUMENT), require_revocation=True, crls=[operators])

    assert report.revocation_status == "good"
    assert operators in [f.data for f in report.revocation]


def test_a_key_revoked_on_the_operators_crl_is_refused(kit):  # noqa: F811
    signer = kit.person(crl=False)

    rejection = refused(
        kit, kit.sign(signer, DOCUMENT), require_revocation=True, crls=[pki.make_crl(kit.intermediate, [signer])]
    )

    assert rejection.code == "revoked"


def test_an_operators_crl_of_another_ca_is_no_evidence(kit):  # noqa: F811
    rejection = refused(
        kit, kit.sign(kit.person(crl=False), DOCUMENT), require_revocation=True, crls=[pki.make_crl(kit.root)]
    )

    assert rejection.code == "no_revocation"


def test_a_forged_operators_crl_in_the_issuers_name_is_not_accepted(kit):  # noqa: F811
    """A CRL with the intermediate's name signed by another key: pyHanko checks its signature."""
    impostor = pki.Issued(kit.intermediate.cert, kit.lookalike.key)

    rejection = refused(
        kit, kit.sign(kit.person(crl=False), DOCUMENT), require_revocation=True, crls=[pki.make_crl(impostor)]
    )

    assert rejection.code == "revocation_invalid"


def test_an_intermediate_from_the_trust_store_is_checked_for_revocation_too(kit):  # noqa: F811
    """The intermediate kept in the trust store (not in the signature) is revoked on the root's CRL."""
    intermediate = pki.make_intermediate(kit.root, "REVOKED ISSUING CA", crl_url=f"{kit.responder.url}/root.crl")
    signer = kit.person(issuer=intermediate, crl=False)
    signature = pki.sign_detached_with_openssl(DOCUMENT, signer.cert_pem, signer.key_pem)
    own_crl = pki.make_crl(intermediate)
    kit.responder.root_crl = pki.make_crl(kit.root, [intermediate])
    try:
        rejection = refused(kit, signature, intermediates=[intermediate.cert], require_revocation=True, crls=[own_crl])
    finally:
        kit.publish()

    assert rejection.code == "revoked"


def test_an_intermediate_naming_no_source_needs_the_operators_crl_of_its_root(kit):  # noqa: F811
    intermediate = pki.make_intermediate(kit.root, "ISSUING CA WITHOUT CDP")
    signer = kit.person(issuer=intermediate, crl=False)
    signature = pki.sign_detached_with_openssl(DOCUMENT, signer.cert_pem, signer.key_pem)
    own_crl = pki.make_crl(intermediate)

    missing = refused(kit, signature, intermediates=[intermediate.cert], require_revocation=True, crls=[own_crl])
    report = check(
        kit,
        signature,
        intermediates=[intermediate.cert],
        require_revocation=True,
        crls=[own_crl, pki.make_crl(kit.root)],
    )

    assert missing.code == "no_revocation" and "ISSUING CA WITHOUT CDP" in missing.message
    assert report.revocation_status == "good"


# --- OCSP --------------------------------------------------------------------------------------------


def test_an_ocsp_responder_named_by_the_certificate_is_asked_too(kit):  # noqa: F811
    kit.responder.ocsp = lambda request: pki.make_ocsp_response(kit.intermediate, request)

    report = check(kit, kit.sign(kit.person(ocsp=True), DOCUMENT))

    assert [f.kind for f in report.revocation] == ["crl", "ocsp", "crl"]  # the intermediate's CRL last
    assert report.revocation_status == "good"


def test_a_certificate_the_ocsp_responder_calls_revoked_is_refused(kit):  # noqa: F811
    signer = kit.person(ocsp=True, crl=False)
    kit.responder.ocsp = lambda request: pki.make_ocsp_response(kit.intermediate, request, revoked=[signer])

    assert refused(kit, kit.sign(signer, DOCUMENT)).code == "revoked"


# --- role (extended key usage) -----------------------------------------------------------------------


@pytest.mark.rule("G-21")
def test_an_employee_key_without_the_first_head_role_is_refused(kit):  # noqa: F811
    rejection = refused(kit, kit.sign(kit.person(role="employee", crl=False), DOCUMENT))

    assert rejection.code == "wrong_role"
    assert "нет роли «первый руководитель»" in rejection.message


@pytest.mark.rule("G-21")
def test_the_authorised_signer_is_refused_unless_the_organisation_allows_it(kit):  # noqa: F811
    signature = kit.sign(kit.person(role="authorised", crl=False), DOCUMENT)

    rejection = refused(kit, signature)
    report = check(kit, signature, roles={"first_head", "authorised"})

    assert rejection.code == "wrong_role"
    assert "лица с правом подписи" in rejection.message
    assert report.role == "authorised"


# --- GOST --------------------------------------------------------------------------------------------


def gost_signature(kit):  # noqa: F811
    """A signature whose algorithm says ГОСТ 34.310 (the portal cannot check it itself; the stub does)."""
    info = parse_cms(kit.sign(kit.person(crl=False), DOCUMENT))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": "1.2.398.3.10.1.1.1.2"})
    return info.dump(force=True)


def test_a_gost_signature_without_a_verifier_is_not_accepted_yet(kit):  # noqa: F811
    rejection = refused(kit, gost_signature(kit))

    assert rejection.code == "algorithm"
    assert "ГОСТ" in rejection.message and "пока не принимаются" in rejection.message


def test_a_gost_signature_is_accepted_on_the_verifiers_word_with_the_portals_own_checks(kit):  # noqa: F811
    seen = []
    kit.responder.gost = lambda body: seen.append(body) or gost_answer()

    report = check(kit, gost_signature(kit), gost_verifier_url=kit.responder.url)

    assert report.verifier == "gost-service" and report.iin == IIN
    assert seen[0]["revocationCheck"] == ["OCSP"] and seen[0]["data"]


def test_a_gost_signature_the_verifier_rejects_is_refused(kit):  # noqa: F811
    kit.responder.gost = lambda body: gost_answer(valid=False, message="signature invalid")

    rejection = refused(kit, gost_signature(kit), gost_verifier_url=kit.responder.url)

    assert rejection.code == "gost_invalid" and "signature invalid" in rejection.message


def test_a_gost_signature_is_still_checked_for_iin(kit):  # noqa: F811
    kit.responder.gost = lambda body: gost_answer()

    rejection = refused(kit, gost_signature(kit), gost_verifier_url=kit.responder.url, expected_iin="850101400013")

    assert rejection.code == "wrong_iin"


def test_an_unreachable_gost_verifier_says_try_again(kit):  # noqa: F811
    kit.responder.down = True

    rejection = refused(kit, gost_signature(kit), gost_verifier_url=kit.responder.url)

    assert rejection.code == "gost_unavailable" and "попробуйте ещё раз" in rejection.message


def test_an_operators_crl_past_its_next_update_is_not_evidence(kit):  # noqa: F811
    """An operator who forgets to refresh the CRL: the signature is held back, never let through."""
    import datetime

    stale = pki.make_crl(kit.intermediate, next_update=datetime.timedelta(minutes=30))
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    signer = kit.person(crl=False)
    from tests.core.test_signing_verify import sign_at

    signature = sign_at(signer, later - datetime.timedelta(minutes=1), DOCUMENT)

    fresh_root = pki.make_crl(kit.root)
    rejection = refused(kit, signature, at=later, require_revocation=True, crls=[stale, fresh_root], fetch=False)

    assert rejection.code == "revocation_invalid"
    refreshed = pki.make_crl(kit.intermediate)
    report = check(kit, signature, at=later, require_revocation=True, crls=[refreshed, fresh_root], fetch=False)
    assert report.revocation_status == "good"  # the same signature with a CRL still current


def test_a_gost_signature_with_a_signing_time_before_its_certificate_is_refused(kit):  # noqa: F811
    """The GOST verifier's "valid" does not excuse a signingTime from before the certificate existed."""
    import datetime

    from tests.core.test_signing_verify import sign_at

    signer = kit.person(crl=False)
    info = parse_cms(sign_at(signer, signer.cert.not_valid_before_utc - datetime.timedelta(days=200), DOCUMENT))
    info["content"]["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
        {"algorithm": "1.2.398.3.10.1.1.1.2"}
    )
    kit.responder.gost = lambda body: gost_answer()

    rejection = refused(kit, info.dump(force=True), gost_verifier_url=kit.responder.url)

    assert rejection.code == "signing_time"
