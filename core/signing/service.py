"""Signing as the workflow uses it: documents issued with a one-time code, signatures checked against that
exact document and the Exchange's trust store, evidence kept, and the signed copy made and sealed."""

import datetime
import hashlib
import io
import logging
from collections.abc import Callable
from pathlib import Path

from asn1crypto import pem
from babel.dates import format_datetime
from flask import current_app, url_for
from flask_babel import force_locale

from core import audit, clock
from core.db import utcnow
from core.files import StoredFile, store, store_blob
from core.pdf import render_pdf
from core.signing import revocation
from core.signing import seal as sealing
from core.signing.models import (
    RevocationEvidence,
    RevocationList,
    SignatureEvidence,
    SignerPolicy,
    SigningDocument,
    TrustCertificate,
    new_code,
)
from core.signing.verify import (
    ROLE_LABELS,
    SignatureRejected,
    signed_digest,
    trust_roots_from_dir,
    verify_detached,
)
from core.workflow.models import Signature

logger = logging.getLogger(__name__)

MESSAGES = {
    "stale": "Подпись сделана для прежней версии документа (код {code} от {date}), а не для той, что сейчас "
    "на подписании. Скачайте документ заново и подпишите его.",
    "other_document": "Подпись сделана для другого документа (код {code}), а не для этого заявления. "
    "Скачайте документ этого заявления и подпишите его.",
    "already_signed": "Вы уже подписали этот документ: повторная подпись не нужна.",
    "no_trust": "Биржа ещё не настроила доверенные корневые сертификаты: подпись проверить нельзя. "
    "Обратитесь к администратору.",
}


class SigningError(Exception):
    """A signature not accepted, with the message for the person who gave it; nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- the trust store ---------------------------------------------------------------------------------


def trust_material(config=None) -> tuple[list, list]:
    """(trust roots, intermediates): the admins' trust store in the database (self-signed certificates are
    roots, the others help build paths) and, for installations that started with files, IS2IN_TRUST_DIR."""
    config = config or current_app.config
    roots, intermediates = [], []
    for row in TrustCertificate.select().order_by(TrustCertificate.id):
        (roots if row.is_root else intermediates).append(bytes(row.der))
    roots += trust_roots_from_dir(config["TRUST_DIR"])
    return roots, intermediates


def operator_crls(config=None) -> list:
    """The CRLs the Exchange's admins uploaded on the trust page and those the operator put in IS2IN_CRL_DIR
    (*.crl, DER or PEM): revocation evidence for certificates that name no source of their own. Unreadable
    files are skipped with a warning."""
    from asn1crypto import crl as asn1_crl

    config = config or current_app.config
    found = [
        revocation.Fetched(
            "crl", f"upload:{row.sha256[:16]}", bytes(row.der), row.added_at.replace(tzinfo=datetime.UTC)
        )
        for row in RevocationList.select().order_by(RevocationList.id)
    ]
    folder = Path(config.get("CRL_DIR") or "")
    if not config.get("CRL_DIR") or not folder.is_dir():
        return found
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".crl" or not file.is_file():
            continue
        data = file.read_bytes()
        try:
            if pem.detect(data):
                data = pem.unarmor(data)[2]
            asn1_crl.CertificateList.load(data).native  # noqa: B018 - parse fully: garbage is skipped
        except Exception as e:  # asn1crypto raises many kinds on garbage
            logger.warning("CRL file %s skipped: not a CRL (%s)", file, e.__class__.__name__)
            continue
        modified = datetime.datetime.fromtimestamp(file.stat().st_mtime, datetime.UTC)
        found.append(revocation.Fetched("crl", f"file:{file.name}", data, modified))
    return found


def accepted_roles(organisation) -> set[str]:
    roles = {"first_head"}
    if SignerPolicy.allows_authorised(organisation):
        roles.add("authorised")
    return roles


# --- documents issued for signature ------------------------------------------------------------------


def issue(application, kind: str, title: str, render: Callable[[str], bytes], filename: str) -> StoredFile:
    """Make the document to sign with a fresh code printed on it (``render(code)`` gives its bytes); any
    earlier document of the application still open for signature is superseded."""
    code = new_code()
    while SigningDocument.select().where(SigningDocument.code == code).exists():  # pragma: no cover
        code = new_code()
    data = render(code)
    stored = store(data, filename, "pdf")
    if application is not None and kind != "letter":
        (
            SigningDocument.update(superseded_at=utcnow())
            .where(
                (SigningDocument.application == application)
                & (SigningDocument.kind != "letter")
                & SigningDocument.superseded_at.is_null()
            )
            .execute()
        )
    SigningDocument.create(
        code=code, application=application, kind=kind, title=str(title)[:500], file=stored, sha256=stored.sha256
    )
    return stored


def document_for(application, file, kind="application", title="") -> SigningDocument:
    """The open signing document of ``file``; one made on the spot for a file issued before codes existed."""
    found = SigningDocument.current_for(application, file)
    if found is None:
        found = SigningDocument.create(
            code=new_code(),
            application=application,
            kind=kind,
            title=str(title or file.original_name)[:500],
            file=file,
            sha256=file.sha256,
        )
    return found


# --- accepting a signature ---------------------------------------------------------------------------


def verify(document: SigningDocument, cms_bytes: bytes, *, expected_iin, expected_bin: str, roles: set[str]):
    """Verify ``cms_bytes`` against exactly ``document`` (its one-time code, the trust store, revocation, the
    signer's IIN, the organisation's BIN and role): the report, or :class:`SigningError`. Nothing is kept."""
    config = current_app.config
    if document.superseded_at is not None:
        raise SigningError(
            "stale", MESSAGES["stale"].format(code=document.code, date=_when(document.issued_at, "dd.MM.yyyy HH:mm"))
        )
    roots, intermediates = trust_material(config)
    if not roots:
        raise SigningError("no_trust", MESSAGES["no_trust"])
    content = document.file.read()
    try:
        return verify_detached(
            content,
            cms_bytes,
            trust_roots=roots,
            intermediates=intermediates,
            expected_iin=expected_iin,
            expected_bin=expected_bin,
            roles=roles,
            revocation_timeout=config.get("REVOCATION_TIMEOUT", 10.0),
            gost_verifier_url=config.get("GOST_VERIFIER_URL"),
            crls=operator_crls(config),
            require_revocation=config.get("REVOCATION_REQUIRED", True),
            signing_time_skew=datetime.timedelta(seconds=config.get("SIGNING_TIME_SKEW", 300)),
        )
    except SignatureRejected as rejection:
        if rejection.code == "tampered":
            _explain_wrong_document(document, cms_bytes)
        raise SigningError(rejection.code, rejection.message) from rejection


def accept(
    document: SigningDocument,
    cms_bytes: bytes,
    user,
    *,
    expected_bin: str,
    roles: set[str],
    role: str | None = None,
    process: str = "",
    seal: bool = True,
    on_behalf: str = "",
) -> Signature:
    """Verify ``cms_bytes`` against exactly ``document`` and keep it with its evidence; then remake the
    signed copy. ``on_behalf`` is a substitute's power of attorney, as the stamp prints it. Raises
    :class:`SigningError`; call it inside the transaction of the change it allows."""
    report = verify(document, cms_bytes, expected_iin=user.iin, expected_bin=expected_bin, roles=roles)
    for earlier in document.signatures():
        if earlier.signature.signer_id == user.id or earlier.certificate_sha256 == _sha(report.certificate_der):
            raise SigningError("already_signed", MESSAGES["already_signed"])

    cms_file = store_blob(cms_bytes, f"{_stem(document)}.p7s", "application/pkcs7-signature")
    signature = Signature.create(
        application=document.application,
        process=process or (document.application.process if document.application else ""),
        document=document.file,
        cms=cms_file,
        signer=user,
        signer_name=report.full_name,
        iin=report.iin or "",
        bin=report.bin or "",
        certificate_serial=report.serial_number,
        certificate_issuer=report.issuer[:500],
    )
    evidence = SignatureEvidence.create(
        signature=signature,
        document=document,
        role=role or report.role or "",
        position=(user.position or "")[:200],
        full_name=report.full_name[:255],
        organisation=(report.organisation or "")[:500],
        certificate=report.certificate_der,
        certificate_sha256=_sha(report.certificate_der),
        not_after=report.not_after.replace(tzinfo=None),
        algorithm=report.algorithm[:64],
        revocation=report.revocation_status,
        signing_time=report.signing_time.astimezone(datetime.UTC).replace(tzinfo=None) if report.signing_time else None,
        verifier=report.verifier,
        on_behalf=on_behalf,
    )
    for fetched in report.revocation:
        kind = "application/pkix-crl" if fetched.kind == "crl" else "application/ocsp-response"
        RevocationEvidence.create(
            evidence=evidence,
            kind=fetched.kind,
            url=fetched.url[:1000],
            file=store_blob(fetched.data, f"{_stem(document)}.{fetched.kind}", kind),
            fetched_at=fetched.fetched_at.astimezone(datetime.UTC).replace(tzinfo=None),
        )
    audit.record(
        "signature.accept",
        document.application,
        code=document.code,
        signer=report.full_name,
        iin=report.iin or "",
        serial=report.serial_number,
        revocation=report.revocation_status,
        **({"on_behalf": on_behalf} if on_behalf else {}),
    )
    if seal:
        make_signed_copy(document)
    return signature


def _explain_wrong_document(document: SigningDocument, cms_bytes: bytes) -> None:
    """A valid signature of some other document the portal issued tells which one: its own message."""
    found = signed_digest(cms_bytes)
    if found is None or found[0] != "sha256":
        return
    other = SigningDocument.get_or_none(
        (SigningDocument.sha256 == found[1].hex()) & (SigningDocument.id != document.id)
    )
    if other is None:
        return
    if document.application_id is not None and other.application_id == document.application_id:
        raise SigningError(
            "stale", MESSAGES["stale"].format(code=other.code, date=_when(other.issued_at, "dd.MM.yyyy HH:mm"))
        )
    raise SigningError("other_document", MESSAGES["other_document"].format(code=other.code))


# --- the signed copy (G-22) --------------------------------------------------------------------------


def signers_of(document: SigningDocument) -> list[dict]:
    rows = []
    for evidence in document.signatures():
        signature = evidence.signature
        when = evidence.signing_time or signature.signed_at
        rows.append(
            {
                "position": evidence.position,
                "full_name": evidence.full_name,
                "signed_at": clock.stamped(when),
                "organisation": evidence.organisation,
                "iin": signature.iin,
                "bin": signature.bin,
                "serial": signature.certificate_serial,
                "issuer": signature.certificate_issuer,
                "role": ROLE_LABELS.get(evidence.role, evidence.role),
                "revocation": "не отозван (CRL/OCSP)" if evidence.revocation == "good" else "источник не указан",
                "evidence": evidence,
                "on_behalf": evidence.on_behalf,
            }
        )
    return rows


def make_signed_copy(document: SigningDocument) -> StoredFile | None:
    """The document plus its signature page, with every client CMS (and the document itself) embedded, sealed
    by the Exchange (PAdES). Without a seal key the copy is kept unsealed and the log says so."""
    original = document.file.read()
    if not original.startswith(b"%PDF"):
        return None
    number = document.application.number if document.application else document.code
    try:  # known before the signature page is drawn, so the page never claims a seal it lacks
        key = sealing.load_seal(current_app.config)
    except sealing.SealUnavailable as e:
        key = None
        logger.warning("signed copy of %s left unsealed: %s", document.code, e)
    with force_locale("ru"):
        page = render_pdf(
            "signing/stamp_pdf.html",
            number=number,
            title=document.title,
            code=document.code,
            signers=signers_of(document),
            verify_url=_verify_url(),
            sealed=key is not None,
        )
    merged = _merge(original, page, document)
    stored_data = merged
    sealed_at = None
    if key is not None:
        stored_data = sealing.seal_pdf(merged, key, code=document.code)
        sealed_at = utcnow()
    # One name per document (its code), so a signed answer never shadows the signed application.
    copy = store(stored_data, f"{number}-{document.code}-signed.pdf", "pdf")
    SigningDocument.update(signed_copy=copy, sealed_at=sealed_at).where(SigningDocument.id == document.id).execute()
    document.signed_copy, document.sealed_at = copy, sealed_at
    return copy


def seal_letter(application, title: str, render: Callable[[str], bytes]) -> tuple[StoredFile, SigningDocument]:
    """An Exchange letter: issued with a code of its own (``render(code)`` gives its bytes) and sealed at once;
    the authorised person's signature may be added later, and then the copy is remade."""
    stored = issue(application, "letter", title, render, f"{title}.pdf")
    document = SigningDocument.get(SigningDocument.file == stored)
    copy = make_signed_copy(document) or stored
    return copy, document


def _merge(original: bytes, page: bytes, document: SigningDocument) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(page)))
    stem = _stem(document)
    writer.add_attachment(f"{stem}.pdf", original)
    for n, evidence in enumerate(document.signatures(), start=1):
        writer.add_attachment(f"{stem}-{n}.p7s", evidence.signature.cms.read())
    writer.add_metadata({"/Title": f"{document.title} № {stem}", "/Keywords": f"is2in:{document.code}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _verify_url() -> str:
    try:
        return url_for("signing.check", _external=True)
    except RuntimeError:
        return current_app.config.get("BASE_URL", "") + "/verify"


# --- helpers -----------------------------------------------------------------------------------------


def _stem(document: SigningDocument) -> str:
    return document.application.number if document.application else document.code


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _when(moment, pattern="dd.MM.yyyy HH:mm:ss") -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return format_datetime(moment, pattern, tzinfo=clock.zone(), locale="ru")
