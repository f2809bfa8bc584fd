"""The page "Доверенности": a first head gives a substitute a power of attorney, signs it and revokes it; the
substitute sees the ones that name him; the Exchange's admins see all and may revoke any."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import refuse, requires, staff_required
from core.accounts.models import User
from core.db import Prepared, Slot
from core.delegation import service
from core.delegation.forms import PoaSignForm, PowerOfAttorneyForm, RevokeForm
from core.delegation.models import PowerOfAttorney
from core.web import render

bp = Blueprint("delegation", __name__, template_folder="templates")


def _client_in_delegation(user) -> bool:
    """First heads, and users named in a power of attorney of their organisation."""
    if user.is_staff:
        return False
    return user.is_first_head or _NAMED.first(user=user.id, organisation=user.organisation_id) is not None


# The menu asks it on every page a client opens (the link "Доверенности"): built once (core.db.Prepared).
_NAMED = Prepared(
    lambda: (
        PowerOfAttorney.select(PowerOfAttorney.id)
        .where((PowerOfAttorney.substitute == Slot("user")) & (PowerOfAttorney.organisation == Slot("organisation")))
        .limit(1)
        .tuples()
    )
)


def _first_head(user) -> bool:
    return not user.is_staff and user.is_first_head and user.is_active


def _poa_or_404(poa_id) -> PowerOfAttorney:
    poa = PowerOfAttorney.get_or_none(PowerOfAttorney.id == poa_id)
    if poa is None:
        refuse(status=404)
    if not service.visible_to(current_user).where(PowerOfAttorney.id == poa.id).exists():
        refuse(poa)  # another organisation's power of attorney does not exist for this user
    return poa


def _index_page(form=None, status=200):
    user = current_user._get_current_object()
    if form is None and _first_head(user):
        form = PowerOfAttorneyForm(service.candidates(user), formdata=None)
    response = render(
        "delegation/index.html", items=list(service.visible_to(user)), form=form, waiting=service.waiting_for(user)
    )
    response.status_code = status
    return response


@bp.route("/delegations")
@requires(_client_in_delegation)
def index():
    return _index_page()


@bp.route("/delegations", methods=["POST"])
@requires(_first_head)
def create():
    user = current_user._get_current_object()
    form = PowerOfAttorneyForm(service.candidates(user))
    if not form.validate_on_submit():
        return _index_page(form, status=422)
    substitute = User.get_or_none(User.id == int(form.substitute.data))
    try:
        poa = service.create(
            user,
            substitute,
            form.number.data,
            form.issued_on.data,
            form.valid_from.data,
            form.valid_until.data,
            form.scan_bytes,
            form.scan.data.filename or "scan.pdf",
        )
    except service.DelegationError as exc:
        form.substitute.errors = [exc.message]
        return _index_page(form, status=422)
    flash(_("Доверенность сохранена. Подпишите её ЭЦП: до подписи она не действует."), "success")
    return redirect(url_for("delegation.detail", poa_id=poa.id))


def _detail_page(poa, sign_form=None, status=200):
    user = current_user._get_current_object()
    response = render(
        "delegation/detail.html",
        poa=poa,
        may_sign=poa.signed_at is None and poa.revoked_at is None and poa.grantor_id == user.id,
        may_revoke=poa.revoked_at is None and service.may_revoke(user, poa),
        sign_form=sign_form or PoaSignForm(formdata=None),
        show_errors=sign_form is not None,
        revoke_form=RevokeForm(formdata=None),
    )
    response.status_code = status
    return response


@bp.route("/delegations/<int:poa_id>")
@requires(lambda user: _client_in_delegation(user) or user.is_admin)
def detail(poa_id):
    return _detail_page(_poa_or_404(poa_id))


@bp.route("/delegations/<int:poa_id>/statement.pdf")
@requires(lambda user: _client_in_delegation(user) or user.is_admin)
def statement(poa_id):
    poa = _poa_or_404(poa_id)
    return poa.document.file.send(download_name=_("Доверенность %(number)s.pdf", number=poa.number))


@bp.route("/delegations/<int:poa_id>/scan.pdf")
@requires(lambda user: _client_in_delegation(user) or user.is_admin)
def scan(poa_id):
    poa = _poa_or_404(poa_id)
    return poa.scan.send(download_name=poa.scan.original_name)


@bp.route("/delegations/<int:poa_id>/signature.p7s")
@requires(lambda user: _client_in_delegation(user) or user.is_admin)
def signature(poa_id):
    poa = _poa_or_404(poa_id)
    if poa.cms is None:
        refuse(poa)
    return poa.cms.send(download_name=f"{poa.document.code}.p7s")


@bp.route("/delegations/<int:poa_id>/sign", methods=["POST"])
@requires(_first_head)
def sign(poa_id):
    poa = _poa_or_404(poa_id)
    form = PoaSignForm()
    if not form.validate_on_submit():
        return _detail_page(poa, form, status=422)
    try:
        poa = service.sign(poa, form.signature.data.read(), current_user._get_current_object())
    except service.DelegationError as exc:
        flash(exc.message, "danger")
        return _detail_page(poa, form, status=409)
    flash(_("Доверенность подписана. Заместитель извещён; она действует в указанные даты."), "success")
    return redirect(url_for("delegation.detail", poa_id=poa.id))


@bp.route("/delegations/<int:poa_id>/revoke", methods=["POST"])
@requires(lambda user: _first_head(user) or user.is_admin)
def revoke(poa_id):
    poa = _poa_or_404(poa_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _detail_page(poa, status=422)
    try:
        service.revoke(poa, current_user._get_current_object(), form.reason.data or "")
    except service.DelegationError as exc:
        flash(exc.message, "danger")
        return _detail_page(poa, status=409)
    flash(_("Доверенность отозвана: заместитель больше не действует за первого руководителя."), "success")
    if current_user.is_staff:
        return redirect(url_for("delegation.staff_index"))
    return redirect(url_for("delegation.detail", poa_id=poa.id))


@bp.route("/staff/delegations")
@staff_required("admin")
def staff_index():
    return render("delegation/index.html", items=list(service.visible_to(current_user)), form=None)
