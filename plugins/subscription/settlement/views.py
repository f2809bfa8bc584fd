"""The settlement pages: the deals of a subscription, the CD's work list, the results and the penalties."""

from decimal import Decimal

import peewee as pw
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import client_required, login_required, pdf_response, render, requires, staff_required
from plugins.subscription import rules
from plugins.subscription.blueprints import back_to, bp, lists_bp
from plugins.subscription.forms import DateForm, RefusalForm, ResultsForm, SettlementNoteForm
from plugins.subscription.models import (
    GROUNDS,
    Deal,
    DealFailure,
    Penalty,
    Results,
    Subscription,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import (
    CCP_DEFAULTS,
    DEAL_STATUSES,
    OTHER_ORG_CLAIMS,
    _fmt,
    deal_number,
    deals_of,
    is_trading,
    role_in,
    today,
)
from plugins.subscription.settlement.cd import refuse_buyer, securities_missing, settle_buyer
from plugins.subscription.settlement.deals import (
    buyer_groups,
    fill_outcomes,
    form_deals,
    net_positions,
    participant_totals,
)
from plugins.subscription.settlement.penalties import (
    _penalty_step,
    claim_penalty,
    penalties_for,
    penalty_steps,
    refer_dispute,
)
from plugins.subscription.settlement.results import exchange_figures, public_results, results_due, submit_results

# --- views ---------------------------------------------------------------------------------------------------


def _sub_or_404(sub_id) -> tuple[Subscription, str]:
    sub = Subscription.get_or_none(Subscription.id == sub_id)
    if sub is None:
        abort(404)
    role = role_in(sub, current_user)
    if role is None:
        abort(404)
    return sub, role


def _back(sub, message=None, category="success"):
    if message:
        flash(message, category)
    return redirect(url_for("subscription.settlement", sub_id=sub.id))


def _visible_deals(sub, role):
    return deals_of(sub, current_user.organisation_id if role == "buyer" else None)


def _page_context(sub, role):
    user = current_user._get_current_object()
    status = request.args.get("status", "")
    deals = _visible_deals(sub, role)
    if status in DEAL_STATUSES:
        deals = deals.where(Deal.status == status)
    deals = list(deals)
    groups = buyer_groups(sub, deals)
    penalties = list(penalties_for(user).where(Deal.subscription == sub))
    failures = {f.deal_id: f for f in DealFailure.select().where(DealFailure.deal.in_([d.id for d in deals]))}
    mine = user.organisation_id if not user.is_staff else None
    return {
        "sub": sub,
        "role": role,
        "status": status,
        "statuses": DEAL_STATUSES,
        "deals": deals,
        "groups": groups,
        "grounds": GROUNDS,
        "deal_number": deal_number,
        "positions": (net_positions(sub) if sub.ccp else participant_totals(sub, deals)) if role != "buyer" else [],
        "total_volume": sum((d.volume for d in deals), Decimal(0)),
        "total_quantity": sum(d.quantity for d in deals),
        "outcomes": fill_outcomes(sub, mine if role == "buyer" else None) if sub.state in ("deals", "settled") else [],
        "failures": failures,
        "penalties": penalties,
        "penalty_steps": penalty_steps,
        "claimed": {p.deal_id for p in Penalty.select(Penalty.deal).where(Penalty.deal.in_([d.id for d in deals]))},
        "results": Results.get_or_none(Results.subscription == sub),
        "results_due": results_due(sub),
        "today": today(),
        "is_trading": is_trading(user),
        "is_csd": role == "csd",
        "mine": mine,
        "refusal_form": RefusalForm(formdata=None),
        "note_form": SettlementNoteForm(formdata=None),
        "local": rules.local,
        "ccp_defaults": CCP_DEFAULTS,
        "other_org_claims": OTHER_ORG_CLAIMS,
    }


@bp.route("/<int:sub_id>/settlement", endpoint="settlement")
@login_required
def page(sub_id):
    """The deals, the clearing table, the CD's settlement, the results and the penalties of one subscription."""
    sub, role = _sub_or_404(sub_id)
    return render("subscription/settlement.html", "deal_list", **_page_context(sub, role))


@bp.route("/<int:sub_id>/settlement/deals", methods=["POST"])
@back_to("subscription.settlement")
@staff_required("trading")
def make_deals(sub_id):
    sub, _role = _sub_or_404(sub_id)
    deals = form_deals(sub, current_user._get_current_object())
    return _back(sub, _("Сформировано сделок: %(n)s.", n=len(deals)))


@bp.route("/<int:sub_id>/settlement/buyers/<int:buyer_id>/settle", methods=["POST"], endpoint="settle_buyer")
@back_to("subscription.settlement")
@client_required("csd")
def settle(sub_id, buyer_id):
    sub, _role = _sub_or_404(sub_id)
    if not SettlementNoteForm().validate_on_submit():
        abort(400)
    settle_buyer(sub, buyer_id, current_user._get_current_object())
    return _back(sub, _("Расчеты по сделкам покупателя проведены; биржевые свидетельства выданы."))


@bp.route("/<int:sub_id>/settlement/buyers/<int:buyer_id>/refuse", methods=["POST"], endpoint="refuse_buyer")
@back_to("subscription.settlement")
@client_required("csd")
def refuse(sub_id, buyer_id):
    sub, _role = _sub_or_404(sub_id)
    form = RefusalForm()
    if not form.validate_on_submit():
        return _back(sub, " ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    deals = refuse_buyer(
        sub, buyer_id, current_user._get_current_object(), form.ground.data, (form.note.data or "").strip()
    )
    return _back(sub, _("В расчетах по всем сделкам покупателя отказано (%(n)s).", n=len(deals)), "warning")


@bp.route("/<int:sub_id>/settlement/securities-missing", methods=["POST"])
@back_to("subscription.settlement")
@client_required("csd")
def no_securities(sub_id):
    sub, _role = _sub_or_404(sub_id)
    form = SettlementNoteForm()
    if not form.validate_on_submit():
        abort(400)
    securities_missing(sub, current_user._get_current_object(), (form.note.data or "").strip())
    return _back(sub, _("Сделки признаны неисполненными по вине продавца."), "warning")


@bp.route("/<int:sub_id>/deals/<int:deal_id>/certificate")
@login_required
def certificate(sub_id, deal_id):
    sub, role = _sub_or_404(sub_id)
    deal = _visible_deals(sub, role).where(Deal.id == deal_id).first()
    if deal is None or deal.certificate_id is None:
        abort(404)
    return pdf_response(deal.certificate.read(), f"Биржевое свидетельство {deal_number(deal, sub)}.pdf")


@bp.route("/<int:sub_id>/deals/<int:deal_id>/penalty", methods=["POST"], endpoint="claim_penalty")
@back_to("subscription.settlement")
@client_required("member")
def claim(sub_id, deal_id):
    sub, role = _sub_or_404(sub_id)
    deal = _visible_deals(sub, role).where(Deal.id == deal_id).first() or abort(404)
    if not SettlementNoteForm().validate_on_submit():
        abort(400)
    penalty = claim_penalty(deal, current_user._get_current_object())
    return _back(
        sub,
        _(
            "Уведомление о требовании неустойки %(amount)s направлено Бирже.",
            amount=_fmt(penalty.amount),
        ),
    )


@bp.route("/<int:sub_id>/results", methods=["GET", "POST"])
@login_required
def results(sub_id):
    """Form S-A3: the seller sends it where another organisation settles (S-11.4); everyone with a part in
    the subscription reads it."""
    sub, role = _sub_or_404(sub_id)
    record = Results.get_or_none(Results.subscription == sub)
    may_submit = role == "seller" and not sub.cd_settles and sub.state in ("deals", "settled")
    form = ResultsForm(sub=sub, obj=record) if request.method == "GET" else ResultsForm(sub=sub)
    if request.method == "GET" and record is None:
        form.settlement_date.data = today(sub.settlement_at)
        form.price.data = sub.price
    status = 200
    if request.method == "POST":
        if not may_submit:
            abort(403)
        if form.validate_on_submit():
            try:
                submit_results(sub, current_user._get_current_object(), form.values())
            except SubscriptionError as exc:
                if exc.field and exc.field in form:
                    form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
                else:
                    flash(exc.message, "danger")
            else:
                flash(
                    _("Итоги подписки направлены Бирже.")
                    + (" " + _("Итоги опубликованы на сайте Биржи.") if sub.public else ""),
                    "success",
                )
                return redirect(url_for("subscription.results", sub_id=sub.id))
        status = 422
    response = render(
        "subscription/results.html",
        "results_block",
        sub=sub,
        role=role,
        form=form,
        record=record,
        may_submit=may_submit,
        due=results_due(sub, record.settlement_date if record else None),
        late=record is not None
        and record.submitted_by_id is not None
        and today(record.submitted_at) > results_due(sub, record.settlement_date),
        figures=exchange_figures(sub),
        today=today(),
    )
    response.status_code = status
    return response


@lists_bp.route("/settlement/cd")
@client_required("csd")
def cd_orders():
    """S-10.3: the registration orders for the CD: subscriptions it settles whose deals are formed."""
    subs = list(
        Subscription.select()
        .where((Subscription.settlement_org == "cd") & Subscription.state.in_(("deals", "settled")))
        .order_by(Subscription.settlement_at.desc())
        .limit(200)
    )
    counts = {}
    for row in (
        Deal.select(Deal.subscription, Deal.status, pw.fn.COUNT(Deal.id).alias("n"), pw.fn.SUM(Deal.volume).alias("v"))
        .where(Deal.subscription.in_([s.id for s in subs]))
        .group_by(Deal.subscription, Deal.status)
        .dicts()
    ):
        entry = counts.setdefault(row["subscription"], {})
        entry[row["status"]] = (row["n"], row["v"] or 0)
    return render(
        "subscription/settlement_cd.html",
        None,
        open_subs=[s for s in subs if s.state == "deals"],
        done_subs=[s for s in subs if s.state == "settled"],
        counts=counts,
        statuses=DEAL_STATUSES,
    )


def _sees_penalties(user) -> bool:
    if user.is_staff:
        return user.is_admin or user.in_department("trading", "board", "management")
    return user.organisation.has_role("member")


@lists_bp.route("/settlement/penalties")
@requires(_sees_penalties)
def penalties():
    """S-12: penalty claims with their deadlines: the trading department's register, a party's own claims."""
    user = current_user._get_current_object()
    day = today()
    rows = []
    for penalty in penalties_for(user):
        deal = penalty.deal
        sub = deal.subscription
        steps = penalty_steps(penalty, day)
        rows.append(
            {
                "penalty": penalty,
                "deal": deal,
                "sub": sub,
                "number": deal_number(deal, sub),
                "steps": steps,
                "overdue": any(s["state"] == "overdue" for s in steps),
                "failure": DealFailure.get_or_none(DealFailure.deal == deal),
            }
        )
    only_overdue = bool(request.args.get("overdue"))
    if only_overdue:
        rows = [r for r in rows if r["overdue"]]
    return render(
        "subscription/settlement_penalties.html",
        "penalty_list",
        rows=rows,
        today=day,
        only_overdue=only_overdue,
        is_trading=is_trading(user),
        mine=None if user.is_staff else user.organisation_id,
    )


@lists_bp.route("/settlement/penalties/<int:penalty_id>/<step>", methods=["POST"])
@back_to("subscription_lists.penalties")
@login_required
def penalty_step(penalty_id, step):
    penalty = Penalty.get_or_none(Penalty.id == penalty_id) or abort(404)
    user = current_user._get_current_object()
    if step == "dispute":
        if not SettlementNoteForm().validate_on_submit():
            abort(400)
        refer_dispute(penalty, user)
        message = _("Разногласия переданы в комиссию по спорам.")
    elif step in ("notice", "paid", "passed"):
        if not is_trading(user):
            abort(403)
        form = DateForm()
        if not form.validate_on_submit():
            raise SubscriptionError(_("Укажите дату."))
        _penalty_step(penalty, user, step, form.on.data)
        message = _("Записано.")
    else:
        abort(404)
    flash(message, "success")
    return redirect(url_for("subscription_lists.penalties"))


# --- what other pages show ------------------------------------------------------------------------------------


@bp.app_template_global("settlement_summary")
def settlement_summary(sub: Subscription) -> dict | None:
    """For the subscription page's section: what this user may do or see of the deals and settlement."""
    if sub.state not in ("satisfied_register", "deals", "settled") or not current_user.is_authenticated:
        return None
    role = role_in(sub, current_user)
    if role is None:
        return None
    query = Deal.select(Deal.status, pw.fn.COUNT(Deal.id).alias("n")).where(Deal.subscription == sub)
    if role == "buyer":
        query = query.where(Deal.buyer == current_user.organisation_id)
    counts = {row["status"]: row["n"] for row in query.group_by(Deal.status).dicts()}
    return {
        "role": role,
        "counts": counts,
        "labels": DEAL_STATUSES,
        "may_form": is_trading(current_user) and sub.state == "satisfied_register",
        "deal_day": today(sub.deal_at),
        "results_due": results_due(sub),
        "results": Results.get_or_none(Results.subscription == sub),
        "may_report": role == "seller" and not sub.cd_settles and sub.state in ("deals", "settled"),
    }


@bp.app_template_global("subscription_public_results")
def subscription_public_results(sub: Subscription) -> Results | None:
    return public_results(sub)
