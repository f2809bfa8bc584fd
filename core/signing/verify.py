"""Verification of the detached CMS signature a first head uploads for the exact file he downloaded
(G-20..G-22): integrity and trust by pyHanko, then the Kazakh certificate checks (SIGN key, IIN, BIN)."""

import asyncio
import base64
import binascii
import concurrent.futures
import datetime
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import CMSExtractionError, extract_certificate_info, extract_signer_info
from pyhanko.sign.validation import KeyUsageConstraints, async_validate_detached_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

logger = logging.getLogger(__name__)

# Arcs of the GOST algorithms: Kazakh (ГОСТ 34.310/34.311, 1.2.398.3.10) and Russian (1.2.643).
GOST_ARCS = ("1.2.398.3.10.", "1.2.643.")
PEM_LABELS = {"CMS", "PKCS7", "PKCS #7 SIGNED DATA"}
TRUST_SUFFIXES = {".pem", ".crt", ".cer"}

MESSAGES = {
    "corrupt": "Файл не является подписью CMS (PKCS#7). Загрузите файл подписи в формате DER, PEM или base64, "
    "полученный при подписании скачанного документа.",
    "tampered": "Подпись не соответствует документу: документ изменён или подписан другой файл.",
    "untrusted": "Сертификат подписи выдан удостоверяющим центром, которому Биржа не доверяет: цепочка "
    "сертификатов не доходит до доверенного корневого сертификата.",
    "expired": "Срок действия сертификата подписи истёк {date}. Подпишите документ действующим ключом.",
    "not_yet_valid": "Сертификат подписи ещё не действует: он действителен с {date}.",
    "auth_key": "Документ подписан ключом для аутентификации (AUTH), который не предназначен для подписания "
    "документов. Подпишите документ ключом для подписи (SIGN).",
    "wrong_iin": "Документ подписан сертификатом другого лица: ИИН в сертификате {found}, а ИИН первого "
    "руководителя {expected}.",
    "wrong_bin": "Сертификат выдан для другой организации: БИН в сертификате {found}, а БИН организации {expected}.",
    "no_bin": "В сертификате нет БИН организации: это ключ физического лица. Подпишите документ ключом "
    "сотрудника организации (первого руководителя).",
    "gost": "Подпись выполнена по алгоритму ГОСТ: такие ключи пока не принимаются. Подпишите документ ключом RSA.",
    "unsupported": "Подпись выполнена по алгоритму, который не поддерживается ({algorithm}): такие ключи пока "
    "не принимаются. Подпишите документ ключом RSA.",
    "weak": "Подпись выполнена по устаревшему алгоритму ({algorithm}), который не обеспечивает надёжности "
    "подписи. Подпишите документ ключом RSA с алгоритмом SHA-256.",
}


class SignatureRejected(Exception):
    """The signature cannot be accepted; ``code`` says why (for the program), ``message`` (Russian) for
    the person who uploaded it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"SignatureRejected({self.code!r}, {self.message!r})"


def _reject(code: str, key: str | None = None, **fields) -> SignatureRejected:
    return SignatureRejected(code, MESSAGES[key or code].format(**fields))


@dataclass(frozen=True)
class SignatureReport:
    """What an accepted signature tells about its signer and the document."""

    common_name: str  # "SURNAME NAME", as in the certificate
    full_name: str  # surname, name and patronymic (CN + givenName)
    iin: str | None
    bin: str | None
    organisation: str | None
    serial_number: str  # the certificate's serial, hexadecimal as НУЦ РК prints it
    issuer: str
    signing_time: datetime.datetime | None  # claimed by the signer (signed attributes); not proof of time
    not_before: datetime.datetime
    not_after: datetime.datetime
    certificate_der: bytes
    document_sha256: str


# --- parsing ----------------------------------------------------------------------------------------

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----(.*?)-----END \1-----", re.S)


def parse_cms(blob: bytes) -> cms.ContentInfo:
    """The CMS ``ContentInfo`` of an uploaded signature given as DER, PEM ("CMS"/"PKCS7") or base64 text."""
    if not blob or not blob.strip():
        raise _reject("corrupt")
    der = blob
    if blob[:1] != b"\x30":
        der = _text_to_der(blob)
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError(f"content type {info['content_type'].native}")
        _ = info["content"].native  # force the lazy parse now, so that garbage fails here and not later
    except Exception as e:  # asn1crypto raises ValueError, TypeError, KeyError... on malformed input
        logger.info("signature rejected: not a CMS SignedData (%s)", e)
        raise _reject("corrupt") from e
    return info


def _text_to_der(blob: bytes) -> bytes:
    text = blob.lstrip(b"\xef\xbb\xbf").strip()  # a BOM from Windows editors
    match = _PEM_RE.search(text)
    if match:
        if match.group(1).decode() not in PEM_LABELS:
            raise _reject("corrupt")
        text = match.group(2)
    try:
        der = base64.b64decode(re.sub(rb"\s+", b"", text), validate=True)
    except (binascii.Error, ValueError) as e:
        raise _reject("corrupt") from e
    if der[:1] != b"\x30":
        raise _reject("corrupt")
    return der


def _load_certificate(value) -> asn1_x509.Certificate:
    if isinstance(value, asn1_x509.Certificate):
        return value
    if hasattr(value, "public_bytes"):  # a `cryptography` certificate
        from cryptography.hazmat.primitives.serialization import Encoding

        return asn1_x509.Certificate.load(value.public_bytes(Encoding.DER))
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return asn1_x509.Certificate.load(data)
    raise TypeError(f"not a certificate: {type(value).__name__}")


def trust_roots_from_dir(path) -> list[asn1_x509.Certificate]:
    """Every certificate in the *.pem, *.crt and *.cer files of ``path`` (PEM, possibly several per file, or
    DER). A missing folder trusts nothing."""
    folder = Path(path)
    if not folder.is_dir():
        return []
    roots = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() not in TRUST_SUFFIXES or not file.is_file():
            continue
        data = file.read_bytes()
        if pem.detect(data):
            roots += [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


# --- verification -----------------------------------------------------------------------------------


def verify_detached(
    document: bytes,
    signature: bytes,
    *,
    trust_roots,
    intermediates=(),
    at: datetime.datetime | None = None,
    expected_iin: str | None = None,
    expected_bin: str | None = None,
) -> SignatureReport:
    """Check that ``signature`` is a valid CMS signature of exactly ``document``, by a SIGN certificate that
    chains to one of ``trust_roots``, valid at ``at`` (the moment of upload; now by default), of the person
    with ``expected_iin`` in the organisation with ``expected_bin``. Raises :class:`SignatureRejected`."""
    at = _aware(at or datetime.datetime.now(datetime.UTC))
    info = parse_cms(signature)
    signed_data = _detached(info["content"], document)
    signer_cert = _signer_certificate(signed_data)
    _check_algorithms(signed_data, signer_cert)

    context = ValidationContext(
        trust_roots=[_load_certificate(c) for c in trust_roots],  # a list, even empty: never the OS store
        other_certs=[_load_certificate(c) for c in intermediates],
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",  # no CRL/OCSP yet: nothing to fetch, nothing required
    )
    usage = KeyUsageConstraints(key_usage={"non_repudiation"}, match_all_key_usages=True)
    try:
        status = _run(
            async_validate_detached_cms(
                document, signed_data, signer_validation_context=context, key_usage_settings=usage
            )
        )
    except (SignatureValidationError, CMSExtractionError, ValueError) as e:
        logger.info("signature rejected: pyHanko could not process it (%s)", e)
        raise _reject("corrupt") from e

    if not status.bottom_line:
        raise _explain_failure(status, signer_cert, at)
    # pyHanko skips key usage when the signer's certificate is itself a trust root: check it regardless.
    _check_certificate(signer_cert, at)
    report = _report(signer_cert, document, status.signer_reported_dt)
    _check_identity(report, expected_iin, expected_bin)
    return report


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # The database keeps naive UTC datetimes (core.db.utcnow); pyHanko insists on aware ones.
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=datetime.UTC)


def _run(coroutine):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # called from inside an event loop
        return pool.submit(asyncio.run, coroutine).result()


def _detached(signed_data: cms.SignedData, document: bytes) -> cms.SignedData:
    """The signed data without embedded content: an attached signature (NCALayer can make one) is accepted
    when what it embeds is exactly ``document``."""
    content = signed_data["encap_content_info"]["content"]
    if content.native is None:
        return signed_data
    if bytes(content) != document:
        raise _reject("tampered")
    stripped = signed_data.copy()
    encapsulated = signed_data["encap_content_info"]  # ContentInfo in version 1 (PKCS#7), else EncapsulatedContentInfo
    stripped["encap_content_info"] = type(encapsulated)({"content_type": encapsulated["content_type"].native})
    return stripped


def _signer_certificate(signed_data: cms.SignedData) -> asn1_x509.Certificate:
    try:
        extract_signer_info(signed_data)
    except CMSExtractionError as e:
        logger.info("signature rejected: %s", e)
        raise SignatureRejected("corrupt", "В файле должна быть ровно одна подпись (одна запись SignerInfo).") from e
    try:
        return extract_certificate_info(signed_data).signer_cert
    except (CMSExtractionError, ValueError, KeyError) as e:
        logger.info("signature rejected: no signer certificate (%s)", e)
        raise SignatureRejected(
            "corrupt",
            "В подписи нет сертификата подписавшего лица. Подпишите документ так, "
            "чтобы сертификат был включён в подпись.",
        ) from e


def _check_algorithms(signed_data: cms.SignedData, cert: asn1_x509.Certificate) -> None:
    """Refuse what cannot be verified here before pyHanko stumbles on it (it fails on unknown digests)."""
    signer_info = extract_signer_info(signed_data)
    oids = [
        signer_info["digest_algorithm"]["algorithm"],
        signer_info["signature_algorithm"]["algorithm"],
        cert["tbs_certificate"]["subject_public_key_info"]["algorithm"]["algorithm"],
    ]
    for oid in oids:
        if oid.dotted.startswith(GOST_ARCS):
            raise _reject("algorithm", "gost")
        if oid.native == oid.dotted:  # asn1crypto does not know it, so neither does pyHanko
            raise _reject("algorithm", "unsupported", algorithm=oid.dotted)
    digest = oids[0].native
    try:
        get_pyca_cryptography_hash(digest)
    except (AttributeError, ValueError) as e:
        raise _reject("algorithm", "unsupported", algorithm=digest) from e


def _explain_failure(status, cert: asn1_x509.Certificate, at: datetime.datetime) -> SignatureRejected:
    """The most telling reason pyHanko's verdict was negative, as a rejection."""
    from pyhanko.sign.ades.report import AdESIndeterminate

    logger.info("signature rejected by pyHanko: %s (%s)", status.summary(), status.trust_problem_indic)
    if not (status.intact and status.valid):
        return _reject("tampered")
    if status.trust_problem_indic in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return _reject("algorithm", "weak", algorithm=f"{status.md_algorithm}, {status.pkcs7_signature_mechanism}")
    try:
        _check_certificate(cert, at)
    except SignatureRejected as rejection:
        return rejection
    return _reject("untrusted")


def _check_certificate(cert: asn1_x509.Certificate, at: datetime.datetime) -> None:
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    if at < not_before:
        raise _reject("not_yet_valid", date=_date(not_before))
    if at > not_after:
        raise _reject("expired", date=_date(not_after))
    usage = cert.key_usage_value
    if usage is None or "non_repudiation" not in usage.native:
        raise _reject("auth_key")


def _date(moment: datetime.datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M UTC")


def _subject_values(name: asn1_x509.Name) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for rdn in name.chosen:
        for attribute in rdn:
            value = attribute["value"].native
            values.setdefault(attribute["type"].native, []).append(value if isinstance(value, str) else str(value))
    return values


def _prefixed(values: list[str], prefix: str) -> str | None:
    for value in values:
        if value.upper().startswith(prefix):
            return value[len(prefix) :].strip()
    return None


def _report(cert: asn1_x509.Certificate, document: bytes, signing_time) -> SignatureReport:
    subject = _subject_values(cert.subject)

    def first(kind):
        return (subject.get(kind) or [None])[0]

    common_name = first("common_name") or " ".join(filter(None, [first("surname"), first("given_name")]))
    issuer = _subject_values(cert.issuer)
    validity = cert["tbs_certificate"]["validity"]
    return SignatureReport(
        common_name=common_name,
        full_name=" ".join(filter(None, [common_name, first("given_name")])),
        iin=_prefixed(subject.get("serial_number", []), "IIN"),
        bin=_prefixed(subject.get("organizational_unit_name", []), "BIN"),
        organisation=first("organization_name"),
        serial_number=format(cert.serial_number, "x"),
        issuer=(issuer.get("common_name") or [cert.issuer.human_friendly])[0],
        signing_time=signing_time,
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        certificate_der=cert.dump(),
        document_sha256=hashlib.sha256(document).hexdigest(),
    )


def _check_identity(report: SignatureReport, expected_iin: str | None, expected_bin: str | None) -> None:
    if expected_iin is not None and report.iin != expected_iin:
        raise _reject("wrong_iin", found=report.iin or "не указан", expected=expected_iin)
    if expected_bin is not None and report.bin != expected_bin:
        if report.bin is None:
            raise _reject("wrong_bin", "no_bin")
        raise _reject("wrong_bin", found=report.bin, expected=expected_bin)
