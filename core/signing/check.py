"""Checking a document someone holds ("Проверить документ", ``is2in verify``): a signed copy (its PAdES seal,
the client signatures embedded in it), a CMS with its document, or the code printed on a document."""

import datetime
import hashlib
import io
import logging
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from flask_babel import gettext as _

from core import clock
from core.signing.models import SigningDocument
from core.signing.verify import SignatureRejected, parse_cms, verify_detached

logger = logging.getLogger(__name__)


@dataclass
class Finding:
    """One signature as the page shows it."""

    kind: str  # "seal" (PAdES of the Exchange) | "client" (CMS) | "record" (kept by the Exchange)
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

    @property
    def ok(self) -> bool:
        return (
            not self.problem
            and bool(self.findings)
            and all(f.ok for f in self.findings)
            and self.unchanged is not False
        )


def _seal_roots(config) -> list:
    from core.signing import seal as sealing
    from core.signing.service import trust_material

    roots, intermediates = trust_material(config)
    try:
        key = sealing.load_seal(config)
        chain = [c for c in key.chain if c.self_signed == "maybe"] or list(key.chain)
        roots += [c.dump() for c in chain]
        intermediates += [c.dump() for c in key.chain]
    except sealing.SealUnavailable:
        pass
    return roots, intermediates


def check_code(code: str) -> Result:
    document = SigningDocument.by_code(code)
    if document is None:
        return Result(
            problem=_("Документ с таким кодом не найден. Проверьте код: он напечатан внизу страниц документа.")
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
                when=evidence.signing_time or evidence.signature.signed_at,
                ok=True,
                status=_("Подпись проверена Биржей при подписании: сертификат действовал")
                + (", не был отозван (CRL/OCSP сохранены)" if evidence.revocation == "good" else ""),
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


def _known(data: bytes) -> SigningDocument | None:
    digest = hashlib.sha256(data).hexdigest()
    from core.files import StoredFile

    found = SigningDocument.get_or_none(SigningDocument.sha256 == digest)
    if found is None:
        copy = StoredFile.select(StoredFile.id).where(StoredFile.sha256 == digest)
        found = SigningDocument.get_or_none(SigningDocument.signed_copy.in_(copy))
    return found


def check_pdf(data: bytes, config) -> Result:
    """A PDF: the Exchange's seal and any other PDF signatures, the client CMS files embedded beside the
    original, and whether it is byte for byte a copy the Exchange issued."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from core.signing.verify import _run

    result = Result()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as e:  # pyHanko raises many kinds on a broken file
        logger.info("verify: not a readable PDF (%s)", e)
        return Result(problem=_("Файл не удалось прочитать как PDF."))
    result.document = _known(data)
    roots, intermediates = _seal_roots(config)
    for embedded in signatures:
        context = ValidationContext(
            trust_roots=[_cert(r) for r in roots], other_certs=[_cert(c) for c in intermediates]
        )
        try:
            status = _run(async_validate_pdf_signature(embedded, signer_validation_context=context))
        except Exception as e:
            logger.info("verify: PDF signature not processed (%s)", e)
            result.findings.append(Finding("seal", embedded.field_name, ok=False, status=_("Подпись повреждена")))
            continue
        cert = status.signing_cert
        subject = cert.subject.native
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        ok = bool(status.bottom_line and whole and status.docmdp_ok is not False)
        if not (status.intact and status.valid):
            text = _("Документ изменён после подписания: подпись не соответствует содержимому")
        elif not status.trusted:
            text = _("Подпись цела, но сертификат не выдан доверенным удостоверяющим центром")
        elif not whole:
            text = _("Подпись действительна, но после неё в документ внесены изменения")
        else:
            text = _("Подпись действительна, документ не изменён после подписания")
        result.findings.append(
            Finding(
                "seal",
                subject.get("common_name") or cert.subject.human_friendly,
                organisation=subject.get("organization_name", ""),
                when=status.signer_reported_dt,
                ok=ok,
                status=text,
                details=[f"Сертификат № {format(cert.serial_number, 'x')}", f"Поле подписи {embedded.field_name}"],
            )
        )
        if not (status.intact and status.valid) or not whole:
            result.unchanged = False
    original, cms_files = _attachments(data)
    for name, cms_bytes in cms_files:
        result.findings.append(_client_finding(original, cms_bytes, config, name))
    if result.document is None and original is not None:
        result.document = _known(original)
    if not signatures and not cms_files:
        result.problem = _("В файле нет электронных подписей.")
    if result.unchanged is None and signatures:
        result.unchanged = all(f.ok or f.kind != "seal" for f in result.findings)
    if result.document is not None and hashlib.sha256(data).hexdigest() in (
        result.document.sha256,
        result.document.signed_copy.sha256 if result.document.signed_copy else "",
    ):
        result.unchanged = True
        result.unchanged_note = _("Файл совпадает байт в байт с документом, выданным Биржей.")
    return result


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


def check_cms(document: bytes, cms_bytes: bytes, config) -> Result:
    result = Result(document=_known(document))
    result.findings.append(_client_finding(document, cms_bytes, config, "CMS"))
    result.unchanged = result.findings[0].ok or result.findings[0].status != _TAMPERED
    return result


_TAMPERED = "Подпись не соответствует документу: документ изменён или подписан другой файл."


def _client_finding(document: bytes | None, cms_bytes: bytes, config, name: str) -> Finding:
    from core.signing.service import trust_material

    if document is None:
        return Finding("client", name, ok=False, status=_("Подписанный документ не вложен: подпись проверить нельзя"))
    roots, intermediates = trust_material(config)
    moment = _claimed_time(cms_bytes)
    try:
        report = verify_detached(
            document,
            cms_bytes,
            trust_roots=roots,
            intermediates=intermediates,
            at=moment,
            check_revocation=False,
            gost_verifier_url=config.get("GOST_VERIFIER_URL"),
        )
    except SignatureRejected as rejection:
        return Finding("client", name, ok=False, status=rejection.message)
    return Finding(
        "client",
        report.full_name,
        organisation=report.organisation or "",
        when=report.signing_time,
        ok=True,
        status=_("Подпись действительна, документ не изменён; сертификат действовал на момент подписания"),
        details=[
            f"ИИН {report.iin or '—'}, БИН {report.bin or '—'}",
            f"Сертификат № {report.serial_number}, выдан: {report.issuer}",
        ],
    )


def _claimed_time(cms_bytes: bytes) -> datetime.datetime | None:
    try:
        info = parse_cms(cms_bytes)
        signer_info = info["content"]["signer_infos"][0]
        for attribute in signer_info["signed_attrs"] or []:
            if attribute["type"].native == "signing_time":
                return attribute["values"][0].native
    except (SignatureRejected, KeyError, IndexError, ValueError):
        return None
    return None


def _cert(value):
    return value if isinstance(value, asn1_x509.Certificate) else asn1_x509.Certificate.load(value)
