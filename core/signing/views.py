"""Signing pages: "Проверить документ" for anyone, the Exchange admins' trust store and authorised signers,
and the signature an Exchange authorised person adds to a letter."""

import datetime
import hashlib

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import public, staff_required
from core.accounts.models import Organisation
from core.db import db, utcnow
from core.signing import check as checking
from core.signing.forms import CheckForm, CrlUploadForm, LetterSignForm, PolicyForm, TrustUploadForm
from core.signing.models import RevocationList, SignerPolicy, SigningDocument, TrustCertificate, normalise_code
from core.web import render

bp = Blueprint("signing", __name__, template_folder="templates")

SIGN_PURPOSE = "1.3.6.1.5.5.7.3.4"  # what NCALayer's SIGN keys carry
FIRST_HEAD = "1.2.398.3.3.4.1.2.1"
LEGAL_ENTITY = "1.2.398.3.3.4.1.2"


# --- for the workflow's templates ------------------------------------------------------------------


@bp.app_template_global()
def signing_code(app) -> str:
    found = SigningDocument.current_for(app, app.signing_file_id) if app.signing_file_id else None
    return found.code if found else "—"


@bp.app_template_global()
def signing_purposes(app) -> list[str]:
    """The extended key usage NCALayer should offer keys for: a first head's, or any employee key of a legal
    entity where the organisation lets its authorised signer sign (the server checks the role itself)."""
    from core.workflow import engine

    if SignerPolicy.allows_authorised(app.organisation_id):
        return [SIGN_PURPOSE, LEGAL_ENTITY]
    if current_user.is_authenticated and engine.acting_poa(current_user, app) is not None:
        return [SIGN_PURPOSE, LEGAL_ENTITY]  # a substitute signs with his own key (right to sign)
    return [SIGN_PURPOSE, FIRST_HEAD]


@bp.app_template_global()
def letter_document(attachment):
    """The signing document behind an Exchange letter attachment (its sealed copy or the letter itself)."""
    return SigningDocument.get_or_none(
        (SigningDocument.kind == "letter")
        & ((SigningDocument.signed_copy == attachment.file_id) | (SigningDocument.file == attachment.file_id))
    )


# --- "Проверить документ" (public) -----------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
@public
def check():
    form = CheckForm()
    result = None
    code = request.args.get("code", "").strip()
    if request.method == "GET" and code:
        form.code.data = code
        result = checking.check_code(code)
    elif form.validate_on_submit():
        data = form.file.data.read() if form.file.data else b""
        signature = form.signature.data.read() if form.signature.data else b""
        if data and signature:
            result = checking.check_cms(data, signature, current_app.config)
        elif data:
            if data.startswith(b"%PDF"):
                result = checking.check_pdf(data, current_app.config)
            else:
                result = checking.Result(
                    problem=_("Это не PDF. Загрузите подписанный экземпляр (PDF) или документ вместе с файлом подписи.")
                )
        elif signature:
            result = checking.Result(problem=_("Приложите и документ, к которому относится подпись."))
        elif form.code.data:
            return redirect(url_for("signing.check", code=normalise_code(form.code.data)))
        else:
            form.code.errors = [_("Введите код документа или приложите файл.")]
    status = 422 if form.errors else 200
    response = render("signing/check.html", form=form, result=result)
    response.status_code = status
    return response


# --- the trust store (Exchange admins) ----------------------------------------------------------------


def _trust_page(upload_form=None, policy_form=None, crl_form=None, status=200):
    response = render(
        "signing/trust.html",
        certificates=list(TrustCertificate.select().order_by(TrustCertificate.is_root.desc(), TrustCertificate.id)),
        policies=list(SignerPolicy.select(SignerPolicy, Organisation).join(Organisation).order_by(Organisation.code)),
        crls=list(RevocationList.select().order_by(RevocationList.id)),
        upload_form=upload_form or TrustUploadForm(formdata=None),
        policy_form=policy_form or PolicyForm(formdata=None),
        crl_form=crl_form or CrlUploadForm(formdata=None),
        now=utcnow(),
    )
    response.status_code = status
    return response


@bp.route("/staff/signing/trust")
@staff_required("admin")
def trust():
    return _trust_page()


def _certificates_in(data: bytes) -> list[asn1_x509.Certificate]:
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for kind, _h, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


def _issued_by_itself(cert: asn1_x509.Certificate) -> bool:
    from core.signing.verify import _issued_by

    return cert.self_signed in ("maybe", "yes") and _issued_by(cert, cert)


@bp.route("/staff/signing/trust", methods=["POST"])
@staff_required("admin")
def trust_upload():
    form = TrustUploadForm()
    if not form.validate_on_submit():
        return _trust_page(upload_form=form, status=422)
    data = form.certificate.data.read()
    try:
        certificates = _certificates_in(data)
        for cert in certificates:
            cert.native  # noqa: B018 - parse fully: garbage fails here
    except Exception:  # asn1crypto raises many kinds on garbage
        form.certificate.errors = [_("Файл не является сертификатом X.509 (PEM или DER).")]
        return _trust_page(upload_form=form, status=422)
    for cert in certificates:
        constraints = cert.basic_constraints_value
        if constraints is None or not constraints["ca"].native:
            form.certificate.errors = [
                _(
                    "«%(name)s» — не сертификат удостоверяющего центра: доверять можно только корневым и "
                    "промежуточным сертификатам.",
                    name=cert.subject.human_friendly,
                )
            ]
            return _trust_page(upload_form=form, status=422)
    added = []
    with db.atomic():
        for cert in certificates:
            der = cert.dump()
            digest = hashlib.sha256(der).hexdigest()
            if TrustCertificate.select().where(TrustCertificate.sha256 == digest).exists():
                continue
            validity = cert["tbs_certificate"]["validity"]
            row = TrustCertificate.create(
                sha256=digest,
                sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest(),  # a fingerprint people compare, not security
                subject=cert.subject.human_friendly,
                issuer=cert.issuer.human_friendly,
                serial=format(cert.serial_number, "x"),
                not_before=validity["not_before"].native.astimezone(datetime.UTC).replace(tzinfo=None),
                not_after=validity["not_after"].native.astimezone(datetime.UTC).replace(tzinfo=None),
                is_root=_issued_by_itself(cert),
                der=der,
                added_by=current_user.id,
            )
            audit.record("trust.add", row, subject=row.subject, sha256=digest, root=row.is_root)
            added.append(row)
    if added:
        flash(
            _(
                "Добавлено сертификатов: %(n)s. Подписи, цепочка которых доходит до них, будут приниматься.",
                n=len(added),
            ),
            "success",
        )
    else:
        flash(_("Эти сертификаты уже есть в списке доверенных."), "info")
    return redirect(url_for("signing.trust"))


@bp.route("/staff/signing/trust/<int:cert_id>/delete", methods=["POST"])
@staff_required("admin")
def trust_delete(cert_id):
    row = TrustCertificate.get_or_none(TrustCertificate.id == cert_id) or abort(404)
    with db.atomic():
        audit.record("trust.remove", row, subject=row.subject, sha256=row.sha256)
        row.delete_instance()
    flash(_("Сертификат «%(name)s» удалён из доверенных.", name=row.subject), "success")
    return redirect(url_for("signing.trust"))


def _naive_utc(moment):
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment is not None else None


@bp.route("/staff/signing/crls", methods=["POST"])
@staff_required("admin")
def crl_upload():
    """A CRL as revocation evidence for certificates that name no source: accepted only when a CA of the trust
    store signed it; it replaces the earlier CRL of the same issuer."""
    from cryptography import x509 as pyca_x509

    from core.signing.service import trust_material

    form = CrlUploadForm()
    if not form.validate_on_submit():
        return _trust_page(crl_form=form, status=422)
    data = form.crl.data.read()
    try:
        if pem.detect(data):
            data = pem.unarmor(data)[2]
        crl = pyca_x509.load_der_x509_crl(data)
    except Exception:  # cryptography raises ValueError and others on garbage
        form.crl.errors = [_("Файл не является списком отзыва сертификатов (CRL) в формате DER или PEM.")]
        return _trust_page(crl_form=form, status=422)
    roots, intermediates = trust_material()
    issuers = [pyca_x509.load_der_x509_certificate(der) for der in roots + intermediates]
    issuer = next((c for c in issuers if c.subject == crl.issuer and crl.is_signature_valid(c.public_key())), None)
    if issuer is None:
        form.crl.errors = [
            _(
                "Список отзыва «%(name)s» не подписан удостоверяющим центром из списка доверенных: сначала добавьте "
                "его сертификат.",
                name=crl.issuer.rfc4514_string(),
            )
        ]
        return _trust_page(crl_form=form, status=422)
    digest = hashlib.sha256(data).hexdigest()
    name = crl.issuer.rfc4514_string()
    with db.atomic():
        if not RevocationList.select().where(RevocationList.sha256 == digest).exists():
            for old in RevocationList.select().where(RevocationList.issuer == name):
                audit.record("trust.crl_replace", old, issuer=old.issuer, sha256=old.sha256)
                old.delete_instance()
            row = RevocationList.create(
                sha256=digest,
                issuer=name,
                this_update=_naive_utc(crl.last_update_utc),
                next_update=_naive_utc(crl.next_update_utc),
                entries=len(crl),
                der=data,
                added_by=current_user.id,
            )
            audit.record("trust.crl_add", row, issuer=name, sha256=digest, entries=row.entries)
    flash(
        _("Список отзыва «%(name)s» сохранён: он служит сведениями об отзыве для сертификатов этого УЦ.", name=name),
        "success",
    )
    return redirect(url_for("signing.trust"))


@bp.route("/staff/signing/crls/<int:crl_id>/delete", methods=["POST"])
@staff_required("admin")
def crl_delete(crl_id):
    row = RevocationList.get_or_none(RevocationList.id == crl_id) or abort(404)
    with db.atomic():
        audit.record("trust.crl_remove", row, issuer=row.issuer, sha256=row.sha256)
        row.delete_instance()
    flash(_("Список отзыва «%(name)s» удалён.", name=row.issuer), "success")
    return redirect(url_for("signing.trust"))


@bp.route("/staff/signing/policies", methods=["POST"])
@staff_required("admin")
def policy_add():
    form = PolicyForm()
    if not form.validate_on_submit():
        return _trust_page(policy_form=form, status=422)
    key = form.organisation.data.strip()
    organisation = Organisation.get_or_none((Organisation.code == key) | (Organisation.bin == key))
    if organisation is None:
        form.organisation.errors = [_("Организация с таким кодом или БИН не найдена.")]
        return _trust_page(policy_form=form, status=422)
    with db.atomic():
        row, created = SignerPolicy.get_or_create(
            organisation=organisation,
            defaults={"note": form.note.data or "", "updated_by": current_user.id, "allow_authorised": True},
        )
        if not created:
            row.allow_authorised, row.note, row.updated_by, row.updated_at = (
                True,
                form.note.data or "",
                current_user.id,
                utcnow(),
            )
            row.save()
        audit.record("signing.authorised_allow", organisation, note=row.note)
    flash(_("%(org)s: лицо с правом подписи может подписывать документы.", org=organisation.display_name), "success")
    return redirect(url_for("signing.trust"))


@bp.route("/staff/signing/policies/<int:policy_id>/delete", methods=["POST"])
@staff_required("admin")
def policy_delete(policy_id):
    row = SignerPolicy.get_or_none(SignerPolicy.id == policy_id) or abort(404)
    with db.atomic():
        audit.record("signing.authorised_revoke", row.organisation)
        row.delete_instance()
    flash(_("Разрешение снято: документы подписывает только первый руководитель."), "success")
    return redirect(url_for("signing.trust"))


# --- an Exchange letter signed by the authorised person ----------------------------------------------


def _letter_or_404(doc_id) -> SigningDocument:
    from core.workflow import engine

    document = SigningDocument.get_or_none((SigningDocument.id == doc_id) & (SigningDocument.kind == "letter"))
    if document is None or document.application is None or not engine.may_view(current_user, document.application):
        abort(404)
    return document


@bp.route("/signing/letters/<int:doc_id>")
@staff_required()
def letter(doc_id, form=None, status=200):
    document = _letter_or_404(doc_id)
    from core.signing.service import signers_of

    response = render(
        "signing/letter.html",
        document=document,
        signers=signers_of(document),
        form=form or LetterSignForm(formdata=None),
        show_errors=form is not None,
    )
    response.status_code = status
    return response


@bp.route("/signing/letters/<int:doc_id>/file")
@staff_required()
def letter_file(doc_id):
    document = _letter_or_404(doc_id)
    return document.file.send(download_name=f"{document.code}.pdf")


@bp.route("/signing/letters/<int:doc_id>/sign", methods=["POST"])
@staff_required()
def letter_sign(doc_id):
    """The Exchange's authorised person signs the letter with his own key (first head or the right to sign of
    the Exchange); the signed copy is remade with his stamp block and sealed again."""
    from core.signing import service
    from core.workflow.models import Attachment

    document = _letter_or_404(doc_id)
    form = LetterSignForm()
    if not form.validate_on_submit():
        return letter(doc_id, form=form, status=422)
    exchange = Organisation.exchange()
    if exchange is None or not exchange.bin:
        # as strict as a client's signature: the key must be one of the Exchange's own (its BIN), never any key
        flash(_("В системе не указана Биржа (её БИН): подпись письма не может быть проверена."), "danger")
        return letter(doc_id, form=form, status=409)
    user = current_user._get_current_object()
    try:
        with db.atomic():
            old_copy = document.signed_copy_id
            service.accept(
                document,
                form.signature.data.read(),
                user,
                expected_bin=exchange.bin,
                roles={"first_head", "authorised"},
                process=document.application.process,
            )
            if old_copy:
                (
                    Attachment.update(file=document.signed_copy)
                    .where((Attachment.application == document.application) & (Attachment.file == old_copy))
                    .execute()
                )
    except service.SigningError as exc:
        flash(exc.message, "danger")
        return letter(doc_id, form=form, status=409)
    flash(
        _(
            "Письмо подписано вашей ЭЦП; подписанный экземпляр заново заверен печатью Биржи "
            "и доступен инициатору допуска."
        ),
        "success",
    )
    return redirect(url_for("signing.letter", doc_id=document.id))
