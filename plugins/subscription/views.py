"""Subscription pages: the list, the application (S-A1), the way through the Exchange, orders, the
trade-clearing accounts, and the public announcements."""

from decimal import Decimal

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from core import Organisation, audit, choices, db_int, paginate, public, render, requires, staff_required
from core import database as db
from plugins.subscription import activation, application, rules, service
from plugins.subscription.blueprints import back_to, bp, lists_bp
from plugins.subscription.forms import (
    AccountForm,
    ApplicationForm,
    ChangeForm,
    DecisionForm,
    NoteForm,
    OrderFileForm,
    OrderForm,
    PriceForm,
    ReasonForm,
    WindowForm,
)
from plugins.subscription.models import ConditionChange, Order, Subscription, TradeAccount, Window


def _may_use(user) -> bool:
    """Trading staff and the board; members, the CD, control users and issuers."""
    if user.is_staff:
        return user.in_department("trading", "board", "management") or user.is_admin
    return bool(user.organisation.roles & {"member", "csd", "control", "issuer"})


def _sub_or_404(sub_id) -> Subscription:
    sub = Subscription.get_or_none(Subscription.id == sub_id)
    user = current_user
    if sub is None or not _may_use(user):
        abort(404)
    if user.is_staff or user.organisation_id in (sub.seller_id, sub.issuer_id):
        return sub
    if sub.state in ("draft", "filed", "checked", "board_refused", "refused"):
        abort(404)  # an application in the Exchange's hands is the seller's and the Exchange's only
    if user.organisation.has_role("csd"):
        return sub
    if sub.private and not (service.is_stock_member(user.organisation) or user.organisation.has_role("control")):
        abort(404)
    return sub


# --- the list and the application -----------------------------------------------------------------


def _files(user) -> bool:
    return not user.is_staff and service.is_stock_member(user.organisation)


@bp.route("")
@requires(_may_use)
def index():
    # with the seller each row names (its code), in the same query: not one query per row
    query = (
        Subscription.select(Subscription, Organisation)
        .join(Organisation, on=(Subscription.seller == Organisation.id), attr="seller")
        .order_by(Subscription.created_at.desc())
    )
    if not current_user.is_staff:
        mine = (Subscription.seller == current_user.organisation_id) | (
            Subscription.issuer == current_user.organisation_id
        )
        open_ = Subscription.state.not_in(("draft", "filed", "checked", "board_refused", "refused"))
        query = query.where(mine | open_)
    state = request.args.get("state", "")
    if state:
        query = query.where(Subscription.state == state)
    return render(
        "subscription/index.html",
        "subscription_list",
        page=paginate(query, per_page=25),
        state=state,
        can_file=not current_user.is_staff and service.is_stock_member(current_user.organisation),
    )


def _refreshed(form, sub):
    """The form again with the fields the chosen conditions call for, nothing saved: htmx asks for it when a
    condition changes, a browser without JavaScript by the "show the fields" button (S-A1)."""
    applies = form.applies()
    return render("subscription/application_form.html", "application_fields", form=form, sub=sub, applies=applies)


@bp.route("/new", methods=["GET", "POST"])
@requires(_files)
def new():
    form = ApplicationForm()
    if request.method == "POST" and request.form.get("refresh"):
        return _refreshed(form, None)
    if form.validate_on_submit():
        sub = application.create(current_user._get_current_object(), form.model_fields())
        flash(_("Черновик заявления сохранен. Проверьте условия и нажмите «Подать на Биржу»."), "success")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    status = 200 if request.method == "GET" else 422
    return render("subscription/application_form.html", form=form, sub=None, applies=form.applies()), status


@bp.route("/<int:sub_id>/edit", methods=["GET", "POST"])
@requires(_may_use)
def edit(sub_id):
    sub = _sub_or_404(sub_id)
    if current_user.organisation_id != sub.seller_id or sub.state not in ("draft", "refused", "board_refused"):
        abort(403)
    form = ApplicationForm()
    if request.method == "GET":
        form.fill_from(sub)
    elif request.form.get("refresh"):
        return _refreshed(form, sub)
    elif form.validate_on_submit():
        with db.atomic():
            Subscription.update(version=Subscription.version + 1, **form.model_fields()).where(
                Subscription.id == sub.id
            ).execute()
            audit.record("subscription.edit", sub, organisation=sub.seller)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    return render("subscription/application_form.html", form=form, sub=sub, applies=form.applies())


def _account_choices(user):
    accounts = service.open_accounts(user.organisation) if not user.is_staff else []
    return choices(
        [("", _("— выберите —"))]
        + [(a.id, f"{a.code} ({a.currency}), {_('свободно')}: {a.free:,.2f}".replace(",", " ")) for a in accounts]
    )


def _window_choices(windows):
    """The acceptance windows to choose from (issue #17): an empty list where the subscription has none."""
    if not windows:
        return []
    label = "{} ({} — {})"
    return [("", _("— выберите —"))] + [
        (
            str(w.id),
            label.format(
                w.name,
                rules.local(w.accept_from).strftime("%d.%m %H:%M"),
                rules.local(w.accept_to).strftime("%d.%m %H:%M"),
            ),
        )
        for w in windows
    ]


def _context(sub):
    user = current_user._get_current_object()
    scope = service.may_see_orders(user, sub)
    # each order with its buyer and account (the row names them), in the same query: not one query per order
    orders = (
        Order.select(Order, Organisation, TradeAccount)
        .join(Organisation, on=(Order.buyer == Organisation.id), attr="buyer")
        .switch(Order)
        .join(TradeAccount, on=(Order.account == TradeAccount.id), attr="account")
        .where(Order.subscription == sub)
    )
    if scope == "own":
        orders = orders.where(Order.buyer == user.organisation_id)
    elif scope == "controlled":
        controlled = TradeAccount.select(TradeAccount.id).where(TradeAccount.controller == user.organisation_id)
        orders = orders.where(Order.account.in_(controlled))
    elif scope is None:
        orders = orders.where(Order.id == 0)
    order_form = OrderForm(formdata=None)
    order_form.account.choices = _account_choices(user)
    windows = service.windows_of(sub)
    order_form.window.choices = _window_choices(windows)
    return {
        "sub": sub,
        "scope": scope,
        "orders": paginate(orders.order_by(Order.number), per_page=50),
        "order_form": order_form,
        "accepting": service.accepting(sub),
        "windows": windows,
        "window_names": {w.id: w.name for w in windows},
        "window_form": WindowForm(formdata=None),
        "removing": service.removing(sub),
        "removal_refusal": service.removal_refusal(sub),
        "confirming": service.confirming(sub),
        "is_seller": not user.is_staff and user.organisation_id == sub.seller_id,
        "is_buyer": not user.is_staff and service.is_stock_member(user.organisation),
        "is_csd": not user.is_staff and user.organisation.has_role("csd"),
        "is_controller": not user.is_staff and user.organisation.has_role("control"),
        "is_trading": user.is_staff and (user.in_department("trading") or user.is_admin),
        "is_board": user.is_staff and (user.in_department("board") or user.is_admin),
        "is_management": user.is_staff and (user.in_department("management") or user.is_admin),
        "changes": list(
            ConditionChange.select()
            .where(ConditionChange.subscription == sub)
            .order_by(ConditionChange.created_at.desc())
        ),
        "local": rules.local,
        "one_day": rules.one_day(sub.accept_from, sub.accept_to),
        "note_form": NoteForm(formdata=None),
        "decision_form": DecisionForm(formdata=None),
        "price_form": PriceForm(formdata=None),
        "change_form": ChangeForm(formdata=None),
        "reason_form": ReasonForm(formdata=None),
        "controlled": {
            a.id for a in TradeAccount.select(TradeAccount.id).where(TradeAccount.controller == user.organisation_id)
        }
        if not user.is_staff
        else set(),
    }


@bp.route("/<int:sub_id>")
@requires(_may_use)
def detail(sub_id):
    sub = _sub_or_404(sub_id)
    return render("subscription/detail.html", "order_list", **_context(sub))


def _done(sub, message):
    flash(message, "success")
    return redirect(url_for("subscription.detail", sub_id=sub.id))


@bp.route("/<int:sub_id>/file", methods=["POST"])
@requires(_may_use)
def file(sub_id):
    sub = _sub_or_404(sub_id)
    if current_user.organisation_id != sub.seller_id:
        abort(403)
    application.file(sub, current_user._get_current_object())
    return _done(sub, _("Заявление подано на Биржу."))


@bp.route("/<int:sub_id>/check", methods=["POST"])
@staff_required("trading")
def check(sub_id):
    sub = _sub_or_404(sub_id)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    application.trading_check(sub, current_user._get_current_object(), (form.note.data or "").strip())
    return _done(sub, _("Служебная записка направлена члену Правления."))


@bp.route("/<int:sub_id>/decide/<body>", methods=["POST"])
@staff_required("board", "management")
def decide(sub_id, body):
    sub = _sub_or_404(sub_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    approve = form.decision.data == "approve"
    user = current_user._get_current_object()
    if body == "board" and (user.in_department("board") or user.is_admin):
        application.board_decide(sub, user, approve, (form.note.data or "").strip())
    elif body == "management" and (user.in_department("management") or user.is_admin):
        application.management_decide(sub, user, approve, (form.note.data or "").strip())
    else:
        abort(403)
    return _done(sub, _("Решение записано."))


@bp.route("/<int:sub_id>/cd", methods=["POST"])
@requires(_may_use)
def cd(sub_id):
    sub = _sub_or_404(sub_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    application.cd_answer(
        sub, current_user._get_current_object(), form.decision.data == "approve", (form.note.data or "").strip()
    )
    return _done(sub, _("Ответ центрального депозитария записан."))


@bp.route("/<int:sub_id>/seller-price", methods=["POST"])
@requires(_may_use)
def seller_price(sub_id):
    sub = _sub_or_404(sub_id)
    form = PriceForm()
    if not form.validate_on_submit():
        flash(_("Укажите цену больше нуля."), "danger")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    activation.set_seller_price(sub, current_user._get_current_object(), form.price.data)
    return _done(sub, _("Цена для рыночных заявок указана."))


@bp.route("/<int:sub_id>/changes", methods=["POST"])
@requires(_may_use)
def request_change(sub_id):
    sub = _sub_or_404(sub_id)
    form = ChangeForm()
    if not form.validate_on_submit():
        flash(_("Опишите просьбу об изменении условий."), "danger")
        return redirect(url_for("subscription.detail", sub_id=sub.id))
    changes = {}
    if form.accept_from_date.data:
        changes["accept_from"] = rules.utc(form.accept_from_date.data, rules.local(sub.accept_from).time())
    if form.accept_to_date.data:
        changes["accept_to"] = rules.utc(form.accept_to_date.data, rules.local(sub.accept_to).time())
    if form.price.data is not None:
        changes["price"] = form.price.data
    if form.other_conditions.data:
        changes["other_conditions"] = form.other_conditions.data.strip()
    application.request_change(sub, current_user._get_current_object(), form.request_text.data.strip(), changes)
    return _done(sub, _("Просьба направлена члену Правления."))


@bp.route("/<int:sub_id>/changes/<int:change_id>", methods=["POST"])
@staff_required("board")
def decide_change(sub_id, change_id):
    sub = _sub_or_404(sub_id)
    change = ConditionChange.get_or_none(
        (ConditionChange.id == change_id) & (ConditionChange.subscription == sub)
    ) or abort(404)
    application.decide_change(change, current_user._get_current_object(), request.form.get("decision") == "approve")
    return _done(sub, _("Решение по изменению условий записано; ЦД и члены Биржи уведомлены."))


@bp.route("/<int:sub_id>/windows", methods=["POST"])
@back_to("subscription.detail", "windows")
@requires(_may_use)
def add_window(sub_id):
    """A separate acceptance window (issue #17), added by the seller with the application's conditions."""
    sub = _sub_or_404(sub_id)
    if current_user.is_staff or current_user.organisation_id != sub.seller_id:
        abort(403)
    form = WindowForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
        return redirect(url_for("subscription.detail", sub_id=sub.id, _anchor="windows"))
    window = service.add_window(
        sub,
        current_user._get_current_object(),
        form.name.data,
        rules.utc(form.from_date.data, form.from_time.data),
        rules.utc(form.to_date.data, form.to_time.data),
        form.min_amount.data,
    )
    flash(_("Окно «%(name)s» добавлено.", name=window.name), "success")
    return redirect(url_for("subscription.detail", sub_id=sub.id, _anchor="windows"))


@bp.route("/<int:sub_id>/windows/<int:window_id>/delete", methods=["POST"])
@back_to("subscription.detail", "windows")
@requires(_may_use)
def remove_window(sub_id, window_id):
    sub = _sub_or_404(sub_id)
    window = Window.get_or_none((Window.id == window_id) & (Window.subscription == sub)) or abort(404)
    if current_user.is_staff or current_user.organisation_id != sub.seller_id:
        abort(403)
    service.remove_window(window, current_user._get_current_object())
    flash(_("Окно «%(name)s» удалено.", name=window.name), "success")
    return redirect(url_for("subscription.detail", sub_id=sub.id, _anchor="windows"))


# --- orders ------------------------------------------------------------------------------------------


def _accounts_by_id(user):
    return {str(a.id): a for a in service.open_accounts(user.organisation)}


@bp.route("/<int:sub_id>/orders", methods=["POST"])
@requires(_may_use)
def submit_order(sub_id):
    sub = _sub_or_404(sub_id)
    user = current_user._get_current_object()
    if user.is_staff:
        abort(403)
    accounts = _accounts_by_id(user)
    form = OrderForm()
    form.account.choices = choices([(k, a.code) for k, a in accounts.items()])
    if request.form.get("refresh"):
        # without JavaScript: the page again with the fields the chosen kind and account call for, nothing taken
        context = _context(sub)
        form.account.choices = context["order_form"].account.choices
        form.window.choices = context["order_form"].window.choices
        context["order_form"] = form
        return render("subscription/detail.html", **context)
    if _valid_order(form, sub):
        try:
            order = service.submit_order(sub, user, form.page_fields(accounts, sub))
        except service.SubscriptionError as exc:
            if exc.field and exc.field in form:
                form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
            else:
                flash(exc.message, "danger")
        else:
            return _done(sub, _("Заявка № %(n)s принята.", n=order.number))
    context = _context(sub)
    form.account.choices = context["order_form"].account.choices
    form.window.choices = context["order_form"].window.choices
    context["order_form"] = form
    response = render("subscription/detail.html", **context)
    response.status_code = 422
    return response


def _valid_order(form: OrderForm, sub) -> bool:
    """Every error of a sent order at once (issue 15): the form's own checks and what its kind calls for."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    return form.require_applicable(sub, service.windows_of(sub)) and valid


@bp.route("/<int:sub_id>/order-fields", methods=["POST"])
@requires(_may_use)
def order_fields(sub_id):
    """The order form's fields for the kind, basis and account chosen so far (htmx; nothing is taken)."""
    sub = _sub_or_404(sub_id)
    user = current_user._get_current_object()
    if user.is_staff:
        abort(403)
    form = OrderForm()
    form.account.choices = _account_choices(user)
    form.window.choices = _window_choices(service.windows_of(sub))
    response = make_response(render_template("subscription/_order_fields.html", sub=sub, order_form=form))
    response.vary.add("HX-Request")
    return response


def _may_order(sub, user) -> bool:
    return not user.is_staff and user.organisation_id != sub.seller_id and service.is_stock_member(user.organisation)


@bp.route("/<int:sub_id>/orders/file", methods=["GET", "POST"])
@requires(_may_use)
def order_file(sub_id):
    """Many orders at once from a CSV or XLSX file: each row checked as the batch API checks it; a file with a
    refused row takes nothing unless the member chose to take the valid rows."""
    from plugins.subscription import order_files

    sub = _sub_or_404(sub_id)
    user = current_user._get_current_object()
    if not _may_order(sub, user):
        abort(403)
    form = OrderFileForm()
    outcome, status = None, 200
    if form.validate_on_submit():
        try:
            outcome = order_files.process(sub, user, form.file.data.read(), take_valid=form.take_valid.data)
        except order_files.FileRefused as exc:
            form.file.errors = list(form.file.errors) + [exc.message]
            status = 422
        else:
            if outcome.taken:
                audit.record(
                    "order.file",
                    sub,
                    organisation=user.organisation,
                    actor=user,
                    rows=len(outcome.lines),
                    taken=outcome.new,
                    refused=len(outcome.refused),
                    name=form.file.data.filename or "",
                )
            status = 200 if outcome.taken or not outcome.refused else 422
    elif request.method == "POST":
        status = 422
    return render(
        "subscription/order_file.html",
        sub=sub,
        form=form,
        outcome=outcome,
        accepting=service.accepting(sub),
        columns=order_files.HELP,
    ), status


@bp.route("/<int:sub_id>/orders/file/template.csv")
@requires(_may_use)
def order_file_template(sub_id):
    from plugins.subscription import order_files

    sub = _sub_or_404(sub_id)
    if not _may_order(sub, current_user):
        abort(403)
    return Response(
        order_files.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="orders-{sub.number or sub.id}.csv"'},
    )


def _order_or_404(sub, order_id) -> Order:
    order = Order.get_or_none((Order.id == order_id) & (Order.subscription == sub)) or abort(404)
    user = current_user
    if user.is_staff:
        return order
    if user.organisation_id in (order.buyer_id, sub.seller_id) or order.account.controller_id == user.organisation_id:
        return order
    if user.organisation.has_role("csd") and sub.cd_settles:
        return order
    abort(404)


@bp.route("/<int:sub_id>/orders/<int:order_id>/amend", methods=["GET", "POST"])
@requires(_may_use)
def amend_order(sub_id, order_id):
    sub = _sub_or_404(sub_id)
    order = _order_or_404(sub, order_id)
    user = current_user._get_current_object()
    if order.buyer_id != user.organisation_id:
        abort(403)
    accounts = _accounts_by_id(user)
    form = OrderForm(obj=order) if request.method == "GET" else OrderForm()
    form.account.choices = choices([(k, a.code) for k, a in accounts.items()])
    form.window.choices = _window_choices(service.windows_of(sub))
    if request.method == "GET":
        form.account.data = str(order.account_id)
        form.window.data = str(order.window_id or "")
    elif request.form.get("refresh"):
        pass  # without JavaScript: the form again with the fields the chosen kind calls for, nothing changed
    elif _valid_order(form, sub):
        try:
            service.amend_order(order, user, form.page_fields(accounts, sub), request.form.get("version", type=db_int))
        except service.SubscriptionError as exc:
            flash(exc.message, "danger")
        else:
            return _done(sub, _("Заявка № %(n)s изменена.", n=order.number))
    return render("subscription/order_form.html", sub=sub, order=order, form=form)


@bp.route("/<int:sub_id>/orders/<int:order_id>/<action>", methods=["POST"])
@requires(_may_use)
def order_action(sub_id, order_id, action):
    sub = _sub_or_404(sub_id)
    order = _order_or_404(sub, order_id)
    user = current_user._get_current_object()
    reason = (request.form.get("reason") or "").strip()
    if action == "cancel":
        service.cancel_order(order, user)
        message = _("Заявка № %(n)s отменена, обеспечение освобождено.", n=order.number)
    elif action == "remove":
        if not reason:
            raise service.SubscriptionError(_("Укажите причину."))
        service.remove_order(order, user, reason)
        message = _("Заявка № %(n)s снята.", n=order.number)
    elif action == "refuse":
        if not reason:
            raise service.SubscriptionError(_("Укажите причину."))
        service.refuse_order(order, user, reason)
        message = _("Заявка № %(n)s не подтверждена.", n=order.number)
    elif action == "confirm":
        service.confirm_order(order, user)
        message = _("Заявка № %(n)s подтверждена.", n=order.number)
    elif action in ("criteria-ok", "criteria-reject"):
        if action == "criteria-reject" and not reason:
            raise service.SubscriptionError(_("Укажите причину."))
        service.criteria_result(order, user, action == "criteria-ok", reason)
        message = _("Результат проверки заявки № %(n)s записан.", n=order.number)
    else:
        abort(404)
    return _done(sub, message)


# --- trade-clearing accounts (the trading department) ---------------------------------------------


@lists_bp.route("/staff/trade-accounts", methods=["GET", "POST"])
@staff_required("trading")
def accounts():
    form = AccountForm()
    members = [o for o in Organisation.with_role("member")]
    controllers = list(Organisation.with_role("control"))
    form.organisation.choices = choices([(o.id, f"{o.code} — {o.display_name}") for o in members])
    form.controller.choices = choices([("", _("— нет —"))] + [(o.id, o.display_name) for o in controllers])
    if form.validate_on_submit():
        code = form.code.data.strip().upper()
        with db.atomic():
            account = TradeAccount.get_or_none(TradeAccount.code == code)
            values = {
                "organisation": int(form.organisation.data),
                "currency": form.currency.data,
                "balance": form.balance.data,
                "controller": int(form.controller.data) if form.controller.data else None,
            }
            if account is None:
                account = TradeAccount.create(code=code, **values)
            else:
                if form.balance.data < account.blocked:
                    flash(_("Остаток не может быть меньше заблокированной суммы (%(b)s).", b=account.blocked), "danger")
                    return redirect(url_for("subscription_lists.accounts"))
                TradeAccount.update(**values).where(TradeAccount.id == account.id).execute()
            audit.record("trade_account.save", account, code=code, balance=str(form.balance.data))
        flash(_("Счет %(code)s сохранен.", code=code), "success")
        return redirect(url_for("subscription_lists.accounts"))
    rows = list(
        TradeAccount.select(TradeAccount, Organisation)
        .join(Organisation, on=(TradeAccount.organisation == Organisation.id))
        .order_by(TradeAccount.code)
    )
    return render("subscription/accounts.html", form=form, accounts=rows)


# --- public: announcements (S-3.5) and results (S-10.7, S-11.5) ------------------------------------


def _published():
    return (
        Subscription.select()
        .where(
            (Subscription.private == False)  # noqa: E712
            & Subscription.announced_at.is_null(False)
        )
        .order_by(Subscription.announced_at.desc())
    )


@lists_bp.route("/announcements")
@public
def announcements():
    return render_template("subscription/announcements.html", items=list(_published().limit(100)), local=rules.local)


@lists_bp.route("/announcements/<number>")
@public
def announcement(number):
    sub = _published().where(Subscription.number == number).first() or abort(404)
    return render_template("subscription/announcement.html", sub=sub, local=rules.local)


def _results_statistics(sub):
    """The statistics of published results (issue #17), or None while the results are not public."""
    from plugins.subscription import statistics
    from plugins.subscription.settlement.results import public_results

    if public_results(sub) is None:
        return None
    return statistics.compute(sub)


bp.add_app_template_global(_results_statistics, "subscription_statistics")


@lists_bp.route("/announcements/<number>/statistics.csv")
@public
def statistics_csv(number):
    """The published results' statistics as CSV; nothing before publication or for a private placement."""
    from plugins.subscription import statistics

    sub = _published().where(Subscription.number == number).first() or abort(404)
    stats = _results_statistics(sub) or abort(404)
    return Response(
        statistics.as_csv(sub, stats),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{sub.number}-statistics.csv"'},
    )


@lists_bp.route("/announcements.atom")
@public
def feed():
    body = render_template("subscription/feed.xml", items=list(_published().limit(50)), local=rules.local)
    return Response(body, mimetype="application/atom+xml")


def decimal_text(value) -> str:
    if value is None:
        return "—"
    # A span that never wraps between the thousands (a plain space keeps copy-paste and search simple).
    return Markup('<span class="num">{}</span>').format(f"{Decimal(value):,.2f}".replace(",", " "))


bp.add_app_template_filter(decimal_text, "money")


def atom_time(moment) -> str:
    from core import utcnow

    return (moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


bp.add_app_template_filter(atom_time, "atomtime")
