"""The registers' pages: producing, downloading, proposing, uploading and calling off."""

from flask import Blueprint, abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import audit, tasks
from core.access import login_required, public, staff_required
from core.web import render
from plugins.subscription import rules, service
from plugins.subscription.forms import CallOffForm, ProposalForm, UploadForm
from plugins.subscription.models import CallOff, Register, RegisterJob, Subscription
from plugins.subscription.registers.calloff import call_off, call_off_refusal
from plugins.subscription.registers.columns import SCHEMA_PATH, offered
from plugins.subscription.registers.jobs import UPLOAD_STATES, build_register, start_accepted, start_proposal
from plugins.subscription.registers.receive import check_satisfied_register, due_end, receive_satisfied, upload_refusal
from plugins.subscription.registers.stream import send_stored

bp = Blueprint("subscription_registers", __name__, template_folder="templates")


bp.record_once(lambda state: tasks.task(state.app, build_register))
bp.record_once(lambda state: tasks.task(state.app, check_satisfied_register))


# --- pages ---------------------------------------------------------------------------------------------------


def registers_visible(sub: Subscription) -> bool:
    user = current_user
    return bool(user and user.is_authenticated and service.may_see_registers(user, sub))


bp.add_app_template_global(registers_visible, "registers_visible")

SHOWN_MISMATCHES = 10  # on the subscription page; the registers page lists the whole report


def rejected_check(sub: Subscription) -> RegisterJob | None:
    """The seller's last satisfied register, if it was not accepted (S-9.5): the subscription page says so with
    its mismatches, instead of leaving them in the job's report."""
    job = (
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check"))
        .order_by(RegisterJob.id.desc())
        .first()
    )
    if job is None or job.active:
        return None
    if job.status == "done" and job.register_id and job.register.status == "accepted":
        return None
    return job if job.status in ("done", "rejected", "failed") else None


bp.add_app_template_global(rejected_check, "rejected_satisfied_check")


def _sub_or_404(sub_id) -> Subscription:
    """S-8.4: the registers are confidential: anyone else gets "not found"."""
    sub = Subscription.get_or_none(Subscription.id == sub_id)
    if sub is None or not service.may_see_registers(current_user, sub):
        abort(404)
    return sub


def _job_or_404(sub, job_id) -> RegisterJob:
    return RegisterJob.get_or_none((RegisterJob.id == job_id) & (RegisterJob.subscription == sub)) or abort(404)


def _seller(sub) -> bool:
    return not current_user.is_staff and current_user.organisation_id == sub.seller_id


def _context(sub, **forms) -> dict:
    user = current_user._get_current_object()
    jobs = list(
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind != "check"))
        .order_by(RegisterJob.id.desc())
        .limit(10)
    )
    registers = list(Register.select().where(Register.subscription == sub).order_by(Register.id.desc()))
    satisfied = [r for r in registers if r.kind == "satisfied"]
    current = next((r.id for r in satisfied if r.status == "accepted"), None)
    checks = list(
        RegisterJob.select()
        .where((RegisterJob.subscription == sub) & (RegisterJob.kind == "check"))
        .order_by(RegisterJob.id.desc())
        .limit(1)
    )
    is_seller = _seller(sub)
    is_trading = user.is_staff and (user.in_department("trading") or user.is_admin)
    return {
        "sub": sub,
        "is_seller": is_seller,
        "is_trading": is_trading,
        # a finished accepted register is listed with the registers; a proposal only lives here
        "jobs": [j for j in jobs if j.kind == "proposal" or j.status != "done"],
        "accepted": [r for r in registers if r.kind == "accepted"],
        "satisfied": satisfied,
        "current_satisfied": current,
        "last_check": checks[0] if checks else None,
        "call_off": CallOff.get_or_none(CallOff.subscription == sub),
        "upload_refusal": upload_refusal(sub, user) if is_seller else None,
        "call_off_refusal": call_off_refusal(sub, user) if is_seller else None,
        "can_produce": is_trading
        and sub.state in ("activated", "accepted_register")
        and service.period_over(sub)  # S-8.1: after the period and its confirmation minutes (S-4.2)
        and not any(j.kind == "accepted" and j.active for j in jobs),
        "can_propose": is_seller and sub.state in UPLOAD_STATES,
        "due_end": due_end(sub),
        "offered": offered(sub),
        "local": rules.local,
        "statuses": {"accepted": _l("принят"), "rejected": _l("отклонен"), "received": _l("получен")},
        "proposal_form": forms.get("proposal_form") or ProposalForm(formdata=None),
        "upload_form": forms.get("upload_form") or UploadForm(formdata=None),
        "call_off_form": forms.get("call_off_form") or CallOffForm(formdata=None),
    }


def _page(sub, status=200, **forms):
    response = render("subscription/registers.html", "registers_body", **_context(sub, **forms))
    response.status_code = status
    return response


def _back(sub, anchor=""):
    return redirect(url_for("subscription_registers.page", sub_id=sub.id) + anchor)


@bp.route("/subscriptions/<int:sub_id>/registers")
@login_required
def page(sub_id):
    return _page(_sub_or_404(sub_id))


@bp.route("/subscriptions/<int:sub_id>/registers/jobs/<int:job_id>")
@login_required
def job(sub_id, job_id):
    """The progress of one job: htmx polls this block until it is done."""
    sub = _sub_or_404(sub_id)
    job = _job_or_404(sub, job_id)
    return render("subscription/registers.html", "register_job", **_context(sub), job=job)


@bp.route("/subscriptions/<int:sub_id>/registers/accepted", methods=["POST"])
@staff_required("trading")
def produce(sub_id):
    sub = _sub_or_404(sub_id)
    try:
        start_accepted(sub, current_user._get_current_object())
    except service.SubscriptionError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Реестр принятых заявок формируется."), "success")
    return _back(sub, "#accepted")


@bp.route("/subscriptions/<int:sub_id>/registers/<int:register_id>/download")
@login_required
def download(sub_id, register_id):
    """S-8.3: the register goes to those entitled only, and every download is on the record."""
    sub = _sub_or_404(sub_id)
    register = Register.get_or_none((Register.id == register_id) & (Register.subscription == sub)) or abort(404)
    audit.record(
        "subscription.register_download",
        register,
        organisation=current_user.organisation,
        subscription=sub.id,
        kind=register.kind,
        format=register.format,
        file=register.file_id,
    )
    return send_stored(register.file)


@bp.route("/subscriptions/<int:sub_id>/registers/jobs/<int:job_id>/download")
@login_required
def job_download(sub_id, job_id):
    sub = _sub_or_404(sub_id)
    job = _job_or_404(sub, job_id)
    if job.file_id is None or job.status not in ("done",):
        abort(404)
    audit.record(
        "subscription.register_download",
        sub,
        organisation=current_user.organisation,
        job=job.id,
        kind=job.kind,
        format=job.format,
        file=job.file_id,
    )
    return send_stored(job.file)


@bp.route("/subscriptions/<int:sub_id>/registers/proposal", methods=["POST"])
@login_required
def proposal(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = ProposalForm()
    if not form.validate_on_submit():
        return _page(sub, 422, proposal_form=form)
    try:
        start_proposal(
            sub,
            current_user._get_current_object(),
            form.method.data,
            form.format.data or "xlsx",
            cutoff=form.cutoff.data,
            threshold=form.threshold.data,
        )
    except service.SubscriptionError as exc:
        flash(exc.message, "danger")
        return _page(sub, 422, proposal_form=form)
    flash(_("Предложение реестра формируется."), "success")
    return _back(sub, "#proposal")


@bp.route("/subscriptions/<int:sub_id>/registers/satisfied", methods=["POST"])
@login_required
def upload(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(sub, 422, upload_form=form)
    data = form.file.data.read()
    try:
        job = receive_satisfied(sub, current_user._get_current_object(), data, form.file.data.filename)
    except service.SubscriptionError as exc:
        form.file.errors = list(form.file.errors) + [exc.message]
        return _page(sub, 422, upload_form=form)
    if job.status == "rejected":
        flash(_("Файл не принят: см. отчет о несоответствиях."), "danger")
    else:
        flash(_("Файл получен и проверяется."), "success")
    return _back(sub, "#satisfied")


@bp.route("/subscriptions/<int:sub_id>/registers/call-off", methods=["POST"])
@login_required
def call_off_view(sub_id):
    sub = _sub_or_404(sub_id)
    if not _seller(sub):
        abort(403)
    form = CallOffForm()
    if not form.validate_on_submit():
        return _page(sub, 422, call_off_form=form)
    try:
        call_off(sub, current_user._get_current_object(), form.reason.data, getattr(form, "letter_bytes", None))
    except service.SubscriptionError as exc:
        form.reason.errors = list(form.reason.errors) + [exc.message]
        return _page(sub, 422, call_off_form=form)
    flash(_("Отказ от проведения подписки направлен; центральный депозитарий и покупатели уведомлены."), "success")
    return redirect(url_for("subscription.detail", sub_id=sub.id))


@bp.route("/subscriptions/<int:sub_id>/registers/call-off/letter")
@login_required
def call_off_letter(sub_id):
    sub = _sub_or_404(sub_id)
    record = CallOff.get_or_none(CallOff.subscription == sub)
    if record is None or record.letter_id is None:
        abort(404)
    audit.record("subscription.call_off_letter_download", sub, organisation=current_user.organisation)
    return send_stored(record.letter)


@bp.route("/subscriptions/schema/register-v1.xsd", endpoint="schema")
@public
def schema_file():
    """The published schema of the XML registers (no secrets in it: anyone may read it)."""
    return send_file(SCHEMA_PATH, mimetype="application/xml", max_age=3600)
