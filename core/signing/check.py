"""Checking a document someone holds ("Проверить документ", ``is2in verify``): a signed copy (its PAdES seal,
the client signatures embedded in it), a CMS with its document, or the code printed on a document.

What the answer proves (docs/security.md, "Verification policy"):

- A PDF is the Exchange's document only when its last signature is the Exchange's seal — a certificate
  configured as the seal (IS2IN_SEAL_P12, IS2IN_SEAL_CERT_SHA256), nobody else's, however trusted — and that
  seal covers every byte of the file. Without it the answer is "not a document issued by the Exchange",
  whatever the file carries; what is attached (the original, the client CMS files) counts only because the
  seal covers it.
- A client signature is judged at a moment the Exchange vouches for — when the Exchange accepted it, with
  the CRL/OCSP answers it kept then — never at the signing time the signer wrote into it.
"""

import datetime
import hashlib
import io
import logging
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from flask_babel import gettext as _

from core import clock
from core.signing.models import SignatureEvidence, SigningDocument
from core.signing.verify import SignatureRejected, signer_certificate, verify_detached

logger = logging.getLogger(__name__)

# The outcomes and the exit codes of ``is2in verify`` (docs/operations.md).
VALID, INVALID, NOT_EXCHANGE, UNAVAILABLE = "valid", "invalid", "not_exchange", "unavailable"
EXIT_CODES = {VALID: 0, INVALID: 1, NOT_EXCHANGE: 2, UNAVAILABLE: 3}


@dataclass
class Finding:
    """One signature as the page shows it."""

    kind: str  # "seal" (PAdES of the Exchange) | "client" (CMS) | "record" (kept by the Exchange) | "other"
    who: str
    organisation: str = ""
    when: datetime.datetime | None = None
    ok: bool = False
    status: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class Result:
    document: SigningDocument | None = None
    unchanged: bool | None = None  # None: cannot be told from what was given
    unchanged_note: str = ""
    findings: list[Finding] = field(default_factory=list)
    problem: str = ""
    verdict: str = ""  # set when the outcome is not simply "every finding valid"

    @property
    def ok(self) -> bool:
        return self.outcome == VALID

    @property
    def outcome(self) -> str:
        if self.verdict:
            return self.verdict
        if self.problem:
            return NOT_EXCHANGE
        good = bool(self.findings) and all(f.ok for f in self.findings) and self.unchanged is not False
        return VALID if good else INVALID

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    @property
    def headline(self) -> str:
        """The outcome in one sentence, in the reader's language."""
        return {
            VALID: _("Документ выдан Биржей, подписи действительны."),
            INVALID: _("Документ недействителен: см. причины ниже."),
            NOT_EXCHANGE: _("Это не документ, выданный Биржей."),
            UNAVAILABLE: _("Проверить документ сейчас нельзя: попробуйте позже."),
        }[self.outcome]


def _not_exchange(problem: str, findings=()) -> Result:
    return Result(problem=problem, verdict=NOT_EXCHANGE, findings=list(findings))


# --- the seal ------------------------------------------------------------------------------------------


def seal_fingerprints(config) -> set[str]:
    """SHA-256 (hex) of every certificate that counts as the Exchange's seal: the one in IS2IN_SEAL_P12 and
    those listed in IS2IN_SEAL_CERT_SHA256 (earlier seals, kept verifiable after a rotation)."""
    from core.signing import seal as sealing

    found = {fp.replace(":", "").lower() for fp in config.get("SEAL_CERT_SHA256") or []}
    try:
        found.add(hashlib.sha256(sealing.load_seal(config).certificate.dump()).hexdigest())
    except sealing.SealUnavailable:
        pass
    return found


def _seal_status(embedded, cert: asn1_x509.Certificate):
    """pyHanko's verdict on the seal, with the seal certificate itself as the only trust anchor (it is trusted
    because it is configured as the seal, not because some CA issued it), at the time the seal states."""
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from core.signing.verify import _run

    moment = embedded.self_reported_timestamp
    context = ValidationContext(trust_roots=[cert], moment=moment, allow_fetching=False, revocation_mode="soft-fail")
    return _run(async_validate_pdf_signature(embedded, signer_validation_context=context)), moment


def _describe(embedded) -> tuple[str, str, str]:
    cert = embedded.signer_cert
    subject = cert.subject.native
    return (
        subject.get("common_name") or cert.subject.human_friendly,
        subject.get("organization_name", ""),
        format(cert.serial_number, "x"),
    )


# --- by code -------------------------------------------------------------------------------------------


def check_code(code: str) -> Result:
    document = SigningDocument.by_code(code)
    if document is None:
        return _not_exchange(
            _("Документ с таким кодом не найден. Проверьте код: он напечатан внизу страниц документа.")
        )
    result = Result(
        document=document, unchanged_note=_("Чтобы проверить, не изменён ли ваш экземпляр, загрузите его файл.")
    )
    result.findings = _record_findings(document)
    return result


def _record_findings(document: SigningDocument) -> list[Finding]:
    from core.signing.service import signers_of

    findings = []
    for row in signers_of(document):
        evidence = row["evidence"]
        findings.append(
            Finding(
                kind="record",
                who=f"{row['position']} {row['full_name']}".strip(),
                organisation=row["organisation"],
                when=evidence.verified_at,
                ok=True,
                status=_accepted_text(evidence),
                details=[
                    f"Сертификат № {row['serial']}, выдан: {row['issuer']}",
                    f"Действителен до {clock.date_of(evidence.not_after):%d.%m.%Y}"
                    + (" (срок уже истёк)" if evidence.not_after < clock.utcnow() else ""),
                ],
            )
        )
    if document.sealed_at:
        findings.append(
            Finding(
                kind="record",
                who=_("Электронная печать Биржи"),
                organisation=_("АО «Казахстанская фондовая биржа»"),
                when=document.sealed_at,
                ok=True,
                status=_("Подписанный экземпляр заверен печатью Биржи"),
                details=[f"SHA-256 подписанного экземпляра: {document.signed_copy.sha256}"]
                if document.signed_copy
                else [],
            )
        )
    return findings


def _accepted_text(evidence: SignatureEvidence) -> str:
    if evidence.revocation == "good":
        return _(
            "Биржа проверила подпись, когда приняла её: сертификат действовал и не был отозван (CRL/OCSP сохранены)"
        )
    return _("Биржа проверила подпись, когда приняла её: сертификат действовал; отзыв не проверялся")


# --- a PDF ---------------------------------------------------------------------------------------------


def _known(data: bytes) -> SigningDocument | None:
    digest = hashlib.sha256(data).hexdigest()
    from core.files import StoredFile

    found = SigningDocument.get_or_none(SigningDocument.sha256 == digest)
    if found is None:
        copy = StoredFile.select(StoredFile.id).where(StoredFile.sha256 == digest)
        found = SigningDocument.get_or_none(SigningDocument.signed_copy.in_(copy))
    return found


def check_pdf(data: bytes, config) -> Result:
    """A PDF: the Exchange's seal over the whole file first; then, under it, the original and the client CMS
    files embedded beside it."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as e:  # pyHanko raises many kinds on a broken file
        logger.info("verify: not a readable PDF (%s)", e)
        return _not_exchange(_("Файл не удалось прочитать как PDF."))
    try:
        signatures = list(reader.embedded_signatures)
    except Exception as e:  # a signature dictionary or its CMS that does not parse
        logger.info("verify: a signature in the PDF does not parse (%s)", e)
        return _not_exchange(_("Подпись в файле повреждена: печати Биржи над файлом нет."))
    seals = seal_fingerprints(config)
    if not seals:
        return Result(
            problem=_("Печать Биржи не настроена на этом сервере: проверить документ сейчас нельзя."),
            verdict=UNAVAILABLE,
        )
    if not signatures:
        return _not_exchange(_("В файле нет печати Биржи: это не документ, выданный Биржей."))

    others = []
    for embedded in signatures[:-1]:
        who, organisation, serial = _describe_safely(embedded)
        kind = "seal" if _fingerprint(embedded) in seals else "other"
        others.append((embedded, who, organisation, serial, kind))
    last = signatures[-1]
    who, organisation, serial = _describe_safely(last)
    if _fingerprint(last) not in seals:
        # Whatever else is in the file, the last word is not the Exchange's: a client's key, however trusted,
        # is not the seal, and anything added after a seal is not covered by it.
        listed = [
            Finding(
                "other",
                w,
                organisation=o,
                ok=False,
                status=_("Не печать Биржи") if k == "other" else _("После печати Биржи в файл внесены изменения"),
                details=[f"Сертификат № {s}"],
            )
            for _e, w, o, s, k in others
        ]
        listed.append(
            Finding(
                "other",
                who,
                organisation=organisation,
                ok=False,
                status=_("Не печать Биржи"),
                details=[f"Сертификат № {serial}"],
            )
        )
        return _not_exchange(
            _("Последняя подпись в файле — не печать Биржи: это не документ, выданный Биржей."), listed
        )

    try:
        status, moment = _seal_status(last, last.signer_cert)
    except Exception as e:  # a signature pyHanko cannot process is no seal
        logger.info("verify: the seal could not be processed (%s)", e)
        return Result(
            problem=_("Печать Биржи в файле повреждена: документ изменён после печати."),
            verdict=INVALID,
            unchanged=False,
        )
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    seal = Finding(
        "seal",
        who,
        organisation=organisation,
        when=moment,
        details=[f"Сертификат № {serial}", f"Поле подписи {last.field_name}"],
    )
    result = Result(findings=[seal])
    if not (status.intact and status.valid):
        seal.status = _("Документ изменён после подписания: подпись не соответствует содержимому")
    elif not whole:
        seal.status = _("Подпись действительна, но после неё в документ внесены изменения")
    elif not status.bottom_line:
        seal.status = _("Сертификат печати не действовал на момент печати")
    elif status.docmdp_ok is False:
        seal.status = _("После печати в документ внесены недопустимые изменения")
    else:
        seal.ok = True
        seal.status = _("Подпись действительна, документ не изменён после подписания")
    if not seal.ok:
        result.unchanged = False
        return result

    # Everything below is inside the bytes the seal covers: the Exchange put it there.
    result.unchanged = True
    original, cms_files = _attachments(data)
    document = _known(data)
    if original is not None:
        by_original = _known(original)
        if document is None:
            document = by_original
        elif hashlib.sha256(original).hexdigest() != document.sha256:
            result.findings.append(
                Finding(
                    "client",
                    _("Вложенный документ"),
                    ok=False,
                    status=_("Вложенный исходный документ не совпадает с документом, выданным Биржей"),
                )
            )
    result.document = document
    for name, cms_bytes in cms_files:
        result.findings.append(_client_finding(document, original, cms_bytes, config, name, sealed_at=moment))
    if any(f.kind == "unavailable" for f in result.findings):
        result.verdict = UNAVAILABLE
    if document is not None and hashlib.sha256(data).hexdigest() in (
        document.sha256,
        document.signed_copy.sha256 if document.signed_copy else "",
    ):
        result.unchanged_note = _("Файл совпадает байт в байт с документом, выданным Биржей.")
    else:
        result.unchanged_note = _("Файл целиком заверен печатью Биржи.")
    return result


def _fingerprint(embedded) -> str:
    try:
        return hashlib.sha256(embedded.signer_cert.dump()).hexdigest()
    except Exception:  # no certificate in a broken signature
        return ""


def _describe_safely(embedded) -> tuple[str, str, str]:
    try:
        return _describe(embedded)
    except Exception:
        return embedded.field_name or "?", "", "?"


def _attachments(data: bytes) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    from pypdf import PdfReader

    try:
        files = PdfReader(io.BytesIO(data)).attachments
    except Exception:
        return None, []
    original, cms_files = None, []
    for name, contents in sorted(files.items()):
        for content in contents:
            if name.lower().endswith(".p7s"):
                cms_files.append((name, content))
            elif name.lower().endswith(".pdf") and original is None:
                original = content
    return original, cms_files


# --- a CMS with its document ---------------------------------------------------------------------------


def check_cms(document: bytes, cms_bytes: bytes, config) -> Result:
    """A detached CMS with the document it signs: the Exchange vouches only for a signature it accepted for a
    document it issued, judged as it was when accepted."""
    known = _known(document)
    if known is None:
        return _not_exchange(
            _("Этот документ не выдавался системой is2in: Биржа не может подтвердить подпись под ним.")
        )
    finding = _client_finding(known, document, cms_bytes, config, "CMS")
    result = Result(document=known, findings=[finding])
    result.unchanged = finding.ok or finding.status != _TAMPERED
    if finding.kind == "unavailable":
        result.verdict = UNAVAILABLE
    return result


_TAMPERED = "Подпись не соответствует документу: документ изменён или подписан другой файл."


def _evidence_for(document: SigningDocument | None, cms_bytes: bytes) -> SignatureEvidence | None:
    """The record of the Exchange accepting this signature for ``document``: the same CMS file, or (re-encoded,
    PEM for DER) a signature by the same certificate."""
    if document is None:
        return None
    rows = document.signatures()
    digest = hashlib.sha256(cms_bytes).hexdigest()
    for evidence in rows:
        if evidence.signature.cms.sha256 == digest:
            return evidence
    cert = signer_certificate(cms_bytes)
    if cert is not None:
        fingerprint = hashlib.sha256(cert.dump()).hexdigest()
        for evidence in rows:
            if evidence.certificate_sha256 == fingerprint:
                return evidence
    return None


def _client_finding(
    document: SigningDocument | None,
    content: bytes | None,
    cms_bytes: bytes,
    config,
    name: str,
    sealed_at: datetime.datetime | None = None,
) -> Finding:
    """One client signature, judged at the moment the Exchange accepted it with the revocation answers it kept
    then; failing a record (the database lost it), at the time of the seal that covers it."""
    from core.signing.service import trust_material

    if content is None:
        return Finding("client", name, ok=False, status=_("Подписанный документ не вложен: подпись проверить нельзя"))
    evidence = _evidence_for(document, cms_bytes)
    if evidence is None and sealed_at is None:
        return Finding("client", name, ok=False, status=_("Биржа не принимала эту подпись для этого документа"))
    roots, intermediates = trust_material(config)
    options = dict(
        trust_roots=roots,
        intermediates=intermediates,
        fetch=False,
        gost_verifier_url=config.get("GOST_VERIFIER_URL"),
    )
    if evidence is not None:
        kept = list(evidence.revocations)
        options.update(
            at=evidence.verified_at,
            check_revocation=evidence.revocation == "good",
            require_revocation=evidence.revocation == "good",
            crls=[r.file.read() for r in kept if r.kind == "crl"],
            ocsps=[r.file.read() for r in kept if r.kind == "ocsp"],
        )
    else:
        options.update(at=sealed_at, check_revocation=False)
    try:
        report = verify_detached(content, cms_bytes, **options)
    except SignatureRejected as rejection:
        kind = "unavailable" if rejection.code in ("gost_unavailable", "revocation_unavailable") else "client"
        return Finding(kind, name, ok=False, status=rejection.message)
    if evidence is not None:
        status = _accepted_text(evidence)
        when = evidence.verified_at
    else:
        status = _("Подпись действительна на момент печати Биржи, которая её заверяет")
        when = sealed_at
    return Finding(
        "client",
        report.full_name,
        organisation=report.organisation or "",
        when=when,
        ok=True,
        status=status,
        details=[
            f"ИИН {report.iin or '—'}, БИН {report.bin or '—'}",
            f"Сертификат № {report.serial_number}, выдан: {report.issuer}",
        ],
    )
