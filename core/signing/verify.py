"""Verification of the detached CMS signature a first head uploads for the exact file he downloaded
(G-20..G-22): integrity and trust by pyHanko against the Exchange's own trust store, revocation (CRL and
OCSP fetched at signing time, kept as evidence), then the Kazakh certificate checks (SIGN key, role, IIN,
BIN). GOST signatures go to an external NCANode-style verifier."""

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
from flask_babel import lazy_gettext as _l
from pyhanko.sign.general import CMSExtractionError, extract_certificate_info, extract_signer_info
from pyhanko.sign.validation import KeyUsageConstraints, async_validate_detached_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from core import clock
from core.signing import gost, revocation

logger = logging.getLogger(__name__)

# Arcs of the GOST algorithms: Kazakh (ГОСТ 34.310/34.311, 1.2.398.3.10) and Russian (1.2.643).
GOST_ARCS = ("1.2.398.3.10.", "1.2.643.")
# Roles of a legal entity's employee in the extended key usage of НУЦ РК certificates.
ROLE_OIDS = {"1.2.398.3.3.4.1.2.1": "first_head", "1.2.398.3.3.4.1.2.2": "authorised"}
ROLE_LABELS = {"first_head": "первый руководитель", "authorised": "лицо с правом подписи", "exchange": "Биржа"}
PEM_LABELS = {"CMS", "PKCS7", "PKCS #7 SIGNED DATA"}
TRUST_SUFFIXES = {".pem", ".crt", ".cer"}

MESSAGES = {
    "corrupt": "Файл не является подписью CMS (PKCS#7). Загрузите файл подписи в формате DER, PEM или base64, "
    "полученный при подписании скачанного документа.",
    "tampered": "Подпись не соответствует документу: документ изменён или подписан другой файл.",
    "untrusted": "Сертификат подписи выдан удостоверяющим центром, которому Биржа не доверяет: цепочка "
    "сертификатов не доходит до доверенного корневого сертификата.",
    "lookalike": "Сертификат подписи выдан удостоверяющим центром, который выдаёт себя за доверенный «{name}»: "
    "имя совпадает, но ключ другой. Такая подпись не принимается; сообщите об этом в службу безопасности.",
    "revoked": "Сертификат подписи отозван удостоверяющим центром {date}: подписи этим ключом недействительны.",
    "revocation_unavailable": "Не удалось проверить, не отозван ли сертификат подписи: источник сведений об "
    "отзыве ({url}) сейчас недоступен. Подпись не принята и ничего не изменено — попробуйте отправить её ещё "
    "раз через несколько минут.",
    "revocation_invalid": "Сведения об отзыве сертификата, полученные от удостоверяющего центра ({url}), "
    "не удалось проверить (устарели или повреждены). Подпись не принята и ничего не изменено — попробуйте "
    "ещё раз позже.",
    "wrong_role": "Ключ не даёт права подписывать документы от имени организации: в сертификате нет роли "
    "{roles}. Подпишите документ ключом первого руководителя.",
    "authorised_not_allowed": "Документ подписан ключом лица с правом подписи, но организация не разрешила "
    "подписывать документы таким ключом. Подпишите документ ключом первого руководителя.",
    "gost_unavailable": "Сервис проверки подписей по ГОСТ сейчас недоступен. Подпись не принята и ничего не "
    "изменено — попробуйте ещё раз через несколько минут.",
    "gost_invalid": "Сервис проверки подписей по ГОСТ признал подпись недействительной{reason}.",
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
    "signing_time_outside": _l(
        "Время подписания, указанное в подписи ({claimed}), выходит за срок действия сертификата "
        "(с {not_before} по {not_after}). Такая подпись не принимается: проверьте дату и время на компьютере "
        "и подпишите документ заново действующим ключом."
    ),
    "signing_time_future": _l(
        "Время подписания, указанное в подписи ({claimed}), позже текущего времени ({now}). Такая подпись не "
        "принимается: проверьте дату и время на компьютере и подпишите документ заново."
    ),
    "no_revocation": _l(
        "Нельзя проверить, не отозван ли сертификат «{name}»: в нём не указан источник сведений об отзыве "
        "(CRL или OCSP), а список отзыва его удостоверяющего центра Бирже не передан. Подпись не принята и "
        "ничего не изменено; обратитесь к администратору Биржи."
    ),
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
    return SignatureRejected(code, str(MESSAGES[key or code]).format(**fields))


# How far in the future a signature's claimed signing time may be (the signer's clock running fast).
SIGNING_TIME_SKEW = datetime.timedelta(minutes=5)


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
    role: str | None = None  # "first_head" | "authorised" (from the extended key usage)
    algorithm: str = ""
    revocation: tuple = ()  # revocation.Fetched answers that showed the certificate not revoked
    revocation_status: str = "not_checked"  # "good" when CRL/OCSP said so; nothing named: "not_checked"
    verifier: str = "pyhanko"


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
    roles: set[str] | frozenset[str] | None = None,
    check_revocation: bool = True,
    revocation_timeout: float = 10.0,
    gost_verifier_url: str | None = None,
    crls=(),
    ocsps=(),
    fetch: bool = True,
    require_revocation: bool = False,
    signing_time_skew: datetime.timedelta | None = SIGNING_TIME_SKEW,
) -> SignatureReport:
    """Check that ``signature`` is a valid CMS signature of exactly ``document``, by a SIGN certificate that
    chains to one of ``trust_roots`` (``intermediates`` help build the path), valid and not revoked at ``at``
    (the moment of upload; now by default), of the person with ``expected_iin`` in the organisation with
    ``expected_bin``, holding one of ``roles`` ("first_head", "authorised"; None skips the role check).

    The signing time the signature claims must lie within the certificate's validity and not after ``at`` by
    more than ``signing_time_skew`` (None skips it); it is never the moment of judgement.

    Revocation (``check_revocation``): the sources the certificates of the path name are fetched now
    (``fetch``); ``crls``/``ocsps`` (bytes or :class:`revocation.Fetched`) are evidence already at hand — the
    operator's CRLs, or what was kept when the signature was accepted. With ``require_revocation`` every
    certificate of the path below the trust anchor (intermediates too) must be covered by a CRL or OCSP answer,
    else the signature is refused ("no_revocation"). The answers used come back in the report as evidence.
    Raises :class:`SignatureRejected`."""
    at = _aware(at or datetime.datetime.now(datetime.UTC))
    info = parse_cms(signature)
    signed_data = _detached(info["content"], document)
    signer_cert = _signer_certificate(signed_data)
    if _is_kazakh_gost(signed_data, signer_cert) and gost_verifier_url:
        return _verify_gost(
            document,
            info,
            signed_data,
            signer_cert,
            at,
            gost_verifier_url,
            expected_iin,
            expected_bin,
            roles,
            signing_time_skew,
        )
    _check_algorithms(signed_data, signer_cert)

    roots = [_load_certificate(c) for c in trust_roots]  # a list, even empty: never the OS store
    others = [_load_certificate(c) for c in intermediates]
    usage = KeyUsageConstraints(key_usage={"non_repudiation"}, match_all_key_usages=True)
    # First pass: integrity and trust, with no revocation data, so nothing is fetched for a signature that
    # is broken or chains to a stranger.
    status = _validate(document, signed_data, usage, roots, others, at)
    if not status.bottom_line:
        raise _explain_failure(status, signer_cert, at, roots, signed_data, others)
    # pyHanko skips key usage when the signer's certificate is itself a trust root: check it regardless.
    _check_certificate(signer_cert, at)
    _check_signing_time(signer_cert, status.signer_reported_dt, at, signing_time_skew)

    used, revocation_status = (), "not_checked"
    if check_revocation:
        used, revocation_status, status = _check_revocation(
            status,
            document,
            signed_data,
            usage,
            roots,
            others,
            at,
            _path_pairs(status.validation_path),
            [_as_fetched("crl", c) for c in crls],
            [_as_fetched("ocsp", o) for o in ocsps],
            fetch=fetch,
            require=require_revocation,
            timeout=revocation_timeout,
        )

    report = _report(signer_cert, document, status.signer_reported_dt)
    _check_identity(report, expected_iin, expected_bin)
    _check_role(report, roles)
    return _with(
        report,
        algorithm=f"{status.md_algorithm}/{status.pkcs7_signature_mechanism}",
        revocation=tuple(used),
        revocation_status=revocation_status,
    )


def _as_fetched(kind: str, value) -> revocation.Fetched:
    if isinstance(value, revocation.Fetched):
        return value
    return revocation.Fetched(kind, "", bytes(value), datetime.datetime.now(datetime.UTC))


def _check_revocation(
    first, document, signed_data, usage, roots, others, at, pairs, crls, ocsps, *, fetch, require, timeout
):
    """(the answers used, "good" | "not_checked", pyHanko's status with them). Refuses a revoked certificate,
    unusable answers, a source that does not answer and — with ``require`` — a certificate nothing covers."""
    fetched = []
    if fetch and any(revocation.names_sources(cert) for cert, _issuer in pairs):
        try:
            fetched = revocation.fetch_for_path(pairs, timeout)
        except revocation.RevocationUnavailable as e:
            logger.warning("signature held back: revocation source unavailable (%s)", e)
            raise _reject("revocation_unavailable", url=e.url) from e
    # Evidence at hand counts for the certificates whose issuer published it (matched by name here; pyHanko
    # checks the CRL's signature).
    issuers = {cert.issuer.dump() for cert, _issuer in pairs}
    extra = [c for c in crls if _crl_issuer(c.data) in issuers] + list(ocsps)
    uncovered = [
        cert for cert, _issuer in pairs if not (revocation.names_sources(cert) and fetch) and not _covered(cert, extra)
    ]
    if require and uncovered:
        logger.warning("no revocation evidence for %s", uncovered[0].subject.human_friendly)
        raise _reject("no_revocation", name=_common_name(uncovered[0].subject))
    answers = fetched + extra
    if not answers:
        return (), "not_checked", first
    status = _validate(
        document,
        signed_data,
        usage,
        roots,
        others,
        at,
        crls=[a.data for a in answers if a.kind == "crl"],
        ocsps=[a.data for a in answers if a.kind == "ocsp"],
        mode="require" if require else "hard-fail",
    )
    if status.revoked:
        raise _reject("revoked", date=_date(status.revocation_details.revocation_date))
    if not status.bottom_line:
        logger.warning("revocation data not usable: %s (%s)", status.summary(), status.trust_problem_indic)
        raise _reject("revocation_invalid", url=", ".join(a.url or "CRL" for a in answers))
    # "good" only when every certificate of the path was covered; otherwise what was checked is kept, but the
    # record does not claim more than it knows.
    return answers, "not_checked" if uncovered else "good", status


def _crl_issuer(data: bytes) -> bytes | None:
    from asn1crypto import crl as asn1_crl

    try:
        return asn1_crl.CertificateList.load(data)["tbs_cert_list"]["issuer"].dump()
    except Exception:  # garbage is simply not evidence for anyone
        return None


def _covered(cert: asn1_x509.Certificate, answers) -> bool:
    """Whether some answer at hand speaks of ``cert``: a CRL of its issuer, or an OCSP answer on its serial."""
    from asn1crypto import ocsp as asn1_ocsp

    for answer in answers:
        if answer.kind == "crl" and _crl_issuer(answer.data) == cert.issuer.dump():
            return True
        if answer.kind == "ocsp":
            try:
                basic = asn1_ocsp.OCSPResponse.load(answer.data).basic_ocsp_response
                serials = {r["cert_id"]["serial_number"].native for r in basic["tbs_response_data"]["responses"]}
            except Exception:  # not an OCSP answer: covers nothing, and the next may  # nosec B112
                continue
            if cert.serial_number in serials:
                return True
    return False


def _check_signing_time(cert, claimed, at, skew) -> None:
    """The signing time a signature claims (signed attributes) is the signer's word: it is never the moment
    of judgement, but one outside the certificate's validity or in the future is refused."""
    if claimed is None or skew is None:
        return
    claimed = _aware(claimed)
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    if claimed < not_before or claimed > not_after:
        raise _reject(
            "signing_time",
            "signing_time_outside",
            claimed=_date(claimed),
            not_before=_date(not_before),
            not_after=_date(not_after),
        )
    if claimed > at + skew:
        raise _reject("signing_time", "signing_time_future", claimed=_date(claimed), now=_date(at))


def _with(report: SignatureReport, **changes) -> SignatureReport:
    import dataclasses

    return dataclasses.replace(report, **changes)


def _validate(document, signed_data, usage, roots, others, at, crls=None, ocsps=None, mode="hard-fail"):
    if crls is None and ocsps is None:
        context = ValidationContext(
            trust_roots=roots, other_certs=others, moment=at, allow_fetching=False, revocation_mode="soft-fail"
        )
    else:
        context = ValidationContext(
            trust_roots=roots,
            other_certs=others,
            moment=at,
            allow_fetching=False,
            crls=crls,
            ocsps=ocsps,
            revocation_mode=mode,
        )
    try:
        return _run(
            async_validate_detached_cms(
                document, signed_data, signer_validation_context=context, key_usage_settings=usage
            )
        )
    except (SignatureValidationError, CMSExtractionError, ValueError) as e:
        logger.info("signature rejected: pyHanko could not process it (%s)", e)
        raise _reject("corrupt") from e


def _path_pairs(path) -> list[tuple[asn1_x509.Certificate, asn1_x509.Certificate | None]]:
    """(certificate, issuer) for each certificate of the path below its trust anchor, signer first."""
    if path is None:
        return []
    certs = list(path.iter_certs(include_root=True))  # anchor first
    pairs = []
    for index in range(len(certs) - 1, 0, -1):
        pairs.append((certs[index], certs[index - 1]))
    return pairs


def signed_digest(signature: bytes) -> tuple[str, bytes] | None:
    """(digest algorithm, digest) of the content a signature covers, from its signed attributes or its
    attached content: tells which document a signature was made for when it does not fit the one expected."""
    try:
        info = parse_cms(signature)
        signer_info = extract_signer_info(info["content"])
    except (SignatureRejected, CMSExtractionError, ValueError):
        return None
    algorithm = signer_info["digest_algorithm"]["algorithm"].native
    for attribute in signer_info["signed_attrs"] or []:
        if attribute["type"].native == "message_digest":
            return algorithm, bytes(attribute["values"][0].native)
    content = info["content"]["encap_content_info"]["content"]
    if content.native is not None:
        try:
            return algorithm, hashlib.new(algorithm, bytes(content)).digest()
        except ValueError:
            return None
    return None


def signer_certificate(signature: bytes) -> asn1_x509.Certificate | None:
    try:
        return _signer_certificate(parse_cms(signature)["content"])
    except SignatureRejected:
        return None


def _is_kazakh_gost(signed_data: cms.SignedData, cert: asn1_x509.Certificate) -> bool:
    signer_info = extract_signer_info(signed_data)
    oids = [
        signer_info["signature_algorithm"]["algorithm"].dotted,
        cert["tbs_certificate"]["subject_public_key_info"]["algorithm"]["algorithm"].dotted,
    ]
    return any(oid in gost.GOST_SIGNATURE_OIDS or oid.startswith(gost.KAZAKH_GOST_ARC) for oid in oids)


def _verify_gost(
    document, info, signed_data, signer_cert, at, url, expected_iin, expected_bin, roles, skew=SIGNING_TIME_SKEW
):
    try:
        verdict = gost.verify(url, document, info.dump())
    except gost.GostServiceUnavailable as e:
        logger.warning("GOST verifier unavailable: %s", e)
        raise _reject("gost_unavailable") from e
    if verdict.revoked:
        raise _reject("revoked", date="(по данным сервиса проверки ГОСТ)")
    if not verdict.valid:
        raise _reject("gost_invalid", reason=f": {verdict.reason}" if verdict.reason else "")
    _check_certificate(signer_cert, at)
    signer_info = extract_signer_info(signed_data)
    signing_time = None
    for attribute in signer_info["signed_attrs"] or []:
        if attribute["type"].native == "signing_time":
            signing_time = attribute["values"][0].native
    _check_signing_time(signer_cert, signing_time, at, skew)
    report = _report(signer_cert, document, signing_time)
    _check_identity(report, expected_iin, expected_bin)
    _check_role(report, roles)
    return _with(
        report,
        algorithm=signer_info["signature_algorithm"]["algorithm"].dotted,
        revocation_status="good",
        verifier="gost-service",
    )


def _check_role(report: SignatureReport, roles) -> None:
    if roles is None:
        return
    if report.role in roles:
        return
    if report.role == "authorised":
        raise _reject("wrong_role", "authorised_not_allowed")
    wanted = " или ".join(f"«{ROLE_LABELS[r]}»" for r in sorted(roles, key=list(ROLE_LABELS).index))
    raise _reject("wrong_role", roles=wanted or "«первый руководитель»")


def _role_of(cert: asn1_x509.Certificate) -> str | None:
    usage = cert.extended_key_usage_value
    dotted = {purpose.dotted for purpose in usage} if usage is not None else set()
    for oid, role in ROLE_OIDS.items():  # the first head before the authorised signer
        if oid in dotted:
            return role
    return None


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


def _explain_failure(
    status, cert: asn1_x509.Certificate, at: datetime.datetime, roots=(), signed_data=None, others=()
) -> SignatureRejected:
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
    impostor = _impersonated_ca(cert, roots, signed_data, others)
    if impostor is not None:
        logger.warning("look-alike CA: a certificate claims to come from trusted %r with another key", impostor)
        return _reject("lookalike", name=impostor)
    return _reject("untrusted")


def _impersonated_ca(cert, roots, signed_data, others) -> str | None:
    """The name of a trusted CA that the signer's chain names but whose key did not sign it: a look-alike CA
    (same name, another key). Asked only once pyHanko has failed to build a trusted path."""
    trusted: dict[bytes, list] = {}
    for root in roots:
        trusted.setdefault(root.subject.dump(), []).append(root)
    if not trusted:
        return None
    pool = list(others)
    if signed_data is not None:
        for choice in signed_data["certificates"] or []:
            if choice.name == "certificate":
                pool.append(choice.chosen)
    current, seen = cert, set()
    while current is not None and current.dump() not in seen:
        seen.add(current.dump())
        namesakes = trusted.get(current.subject.dump(), [])
        if namesakes and all(n.public_key.dump() != current.public_key.dump() for n in namesakes):
            return _common_name(current.subject)  # a CA certificate with a trusted name and a stranger's key
        issuers = trusted.get(current.issuer.dump(), [])
        if issuers and not any(_issued_by(current, issuer) for issuer in issuers):
            return _common_name(current.issuer)  # names a trusted issuer that did not sign it
        current = next(
            (c for c in pool if c.subject.dump() == current.issuer.dump() and c.dump() != current.dump()), None
        )
    return None


def _issued_by(child: asn1_x509.Certificate, parent: asn1_x509.Certificate) -> bool:
    from cryptography import x509 as pyca_x509

    try:
        pyca_x509.load_der_x509_certificate(child.dump()).verify_directly_issued_by(
            pyca_x509.load_der_x509_certificate(parent.dump())
        )
        return True
    except Exception:  # InvalidSignature, ValueError, TypeError: not issued by it
        return False


def _common_name(name: asn1_x509.Name) -> str:
    values = _subject_values(name)
    return (values.get("common_name") or [name.human_friendly])[0]


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
    return clock.stamped(moment, "%d.%m.%Y %H:%M")  # the Exchange's time, as the stamps print it


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
        role=_role_of(cert),
    )


def _check_identity(report: SignatureReport, expected_iin: str | None, expected_bin: str | None) -> None:
    if expected_iin is not None and report.iin != expected_iin:
        raise _reject("wrong_iin", found=report.iin or "не указан", expected=expected_iin)
    if expected_bin is not None and report.bin != expected_bin:
        if report.bin is None:
            raise _reject("wrong_bin", "no_bin")
        raise _reject("wrong_bin", found=report.bin, expected=expected_bin)
