"""The orders API for members' systems, and the page where a member's users make and revoke its tokens.
The API calls the same service functions as the pages and validates through the same order form, so it
applies the same checks with the same messages. JSON times are ISO 8601 UTC with "Z"; decimals are strings."""

import functools
import json
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core import (
    Organisation,
    Prepared,
    Rule,
    Slot,
    User,
    audit,
    choices,
    client_required,
    csrf_exempt,
    public,
    rate_limit,
    render,
    tokens,
    utcnow,
)
from core import bearer_token as bearer
from core import database as db
from core import new_token as new_bearer
from core import openapi as openapi_document
from core import token_digest as digest
from plugins.subscription import api_schema, service
from plugins.subscription.forms import OrderForm
from plugins.subscription.models import INVESTOR_FIELDS, ORDER_FIELDS, ApiToken, Order, Subscription, TradeAccount

bp = Blueprint("subscription_api", __name__, url_prefix="/api/v1")
# The token page is a cookie-signed-in page with CSRF like every other; only the API is exempt.
tokens_bp = Blueprint("subscription_tokens", __name__, template_folder="templates")

OPENAPI = Path(__file__).with_name("openapi.json")
TOKEN_PREFIX = "is2in_"  # the visible prefix of every token, not a secret  # nosec B105
MAX_PER_PAGE = 1000
MAX_BATCH = 500  # orders in one request to /orders/batch
DEFAULT_PER_PAGE = 100
# before registration a subscription has no number and is the seller's and the Exchange's only
UNREGISTERED = ("draft", "filed", "checked", "board_refused", "refused", "cd_consent")
BOOLEANS = ("for_client", "investor_resident", "qualified", "omnibus", "consent")
ORDER_INPUT = ("account", *ORDER_FIELDS, "consent")
# what the page's form starts with; a JSON body that leaves a field out means this, not "unticked"
POST_DEFAULTS = {"kind": "limit", "basis": "quantity", "investor_resident": True}

# Declared like every route: a machine client with a member's bearer token; a browser session opens
# nothing here (the access matrix expects 401 from every cookie). TOKEN_USERS is whom a token may act for.
API_RULE = Rule("token", org_roles=("member",))
TOKEN_USERS = Rule("client", org_roles=("member",))


class Refusal(Exception):
    def __init__(self, status: int, message, field: str | None = None, **extra):
        super().__init__(str(message))
        self.status, self.message, self.field, self.extra = status, message, field, extra


def _error(status: int, message, field=None, **extra):
    response = jsonify({"error": str(message), "field": field, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="is2in"'
    return response


@bp.errorhandler(Refusal)
def _refused(exc: Refusal):
    return _error(exc.status, exc.message, exc.field, **exc.extra)


HTTP_MESSAGES = {
    400: _l("Запрос не может быть обработан."),
    403: _l("Нет доступа."),
    404: _l("Не найдено."),
    405: _l("Этот способ запроса здесь не поддерживается."),
}


def _http_error(exc: HTTPException):
    if exc.code == 429:
        response = _error(429, _("Слишком много запросов: не более %(limit)s.", limit=exc.description))
        retry = getattr(exc, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response
    return _error(exc.code or 500, HTTP_MESSAGES.get(exc.code, exc.description))


# By code as well as by class: Flask prefers the app's handler for a code (its HTML pages) to a
# blueprint's handler for a class, so the API's JSON must claim the codes the app renders.
bp.register_error_handler(HTTPException, _http_error)
for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, _http_error)


# --- tokens --------------------------------------------------------------------------------------------------


def new_token() -> str:
    return new_bearer(TOKEN_PREFIX)


def _rate_key() -> str:
    token = bearer()
    return f"api-token:{digest(token)}" if token else f"api-ip:{request.remote_addr or ''}"


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "6000 per minute")


csrf_exempt(bp)  # bearer tokens, no cookies: a cross-site request has no credential to ride on
rate_limit(_rate_limit, key_func=_rate_key)(bp)  # per token


_TOKEN_USER = Prepared(
    lambda: (
        ApiToken.select(ApiToken, User, Organisation)
        .join(User, on=(ApiToken.user == User.id))
        .switch(ApiToken)
        .join(Organisation, on=(ApiToken.organisation == Organisation.id))
        .where((ApiToken.token_hash == Slot("hash")) & ApiToken.revoked_at.is_null())
        .limit(1)
    )
)


def token_user(token: str | None) -> User | None:
    """The user a live token acts for, while the user, the organisation and its membership stand."""
    if not token:
        return None
    row = _TOKEN_USER.first(hash=digest(token))  # every request reads it: its SQL written once per process
    if row is None:
        return None
    user = row.user
    if not (user.is_active and row.organisation.is_active and user.organisation_id == row.organisation_id):
        return None
    user.organisation = row.organisation
    return user if TOKEN_USERS.allows(user) else None


def _unauthorised():
    return _error(401, _("Нужен действующий ключ API: заголовок «Authorization: Bearer <ключ>»."))


# The API's access rule, declared for the route list and enforced with the bearer token: Flask-Login's
# request loader makes the token's user ``current_user`` for this request only (no session), so the service
# and the audit trail see who acted.
api_token_required = tokens.required(API_RULE, token_user, _unauthorised)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Название ключа (например, бэк-офис)"),
        validators=[DataRequired(_l("Заполните это поле.")), Length(max=100)],
    )


@tokens_bp.route("/api-tokens", methods=["GET", "POST"])
@client_required("member")
def tokens():
    user = current_user._get_current_object()
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        created = new_token()
        with db.atomic():
            row = ApiToken.create(
                organisation=user.organisation_id, user=user, name=form.name.data.strip(), token_hash=digest(created)
            )
            audit.record("api_token.create", row, organisation=user.organisation, name=row.name)
        form = TokenForm(formdata=None)
    rows = (
        ApiToken.select(ApiToken, User)
        .join(User, on=(ApiToken.user == User.id))
        .where(ApiToken.organisation == user.organisation_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    response = render("subscription/api_tokens.html", form=form, tokens=list(rows), created=created)
    # the token is shown in this answer only: never in a flash message, which the session cookie carries
    response.headers["Cache-Control"] = "no-store"
    if form.errors:
        response.status_code = 422
    return response


@tokens_bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@client_required("member")
def revoke(token_id):
    row = ApiToken.get_or_none(
        (ApiToken.id == token_id) & (ApiToken.organisation == current_user.organisation_id)
    ) or abort(404)
    with db.atomic():
        revoked = (
            ApiToken.update(revoked_at=utcnow())
            .where((ApiToken.id == row.id) & ApiToken.revoked_at.is_null())
            .execute()
        )
        if revoked:
            audit.record("api_token.revoke", row, organisation=current_user.organisation, name=row.name)
    if revoked:
        flash(_("Ключ «%(name)s» отозван: запросы с ним больше не принимаются.", name=row.name), "success")
    return redirect(url_for("subscription_tokens.tokens"))


# --- JSON -------------------------------------------------------------------------------------------------------


def utc_time(moment) -> str | None:
    """A stored (naive UTC) moment in ISO 8601 with Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def decimal_text(value, places: int) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def subscription_json(sub: Subscription) -> dict:
    return {
        "number": sub.number,
        "isin": sub.isin,
        "issuer_name": sub.issuer_name,
        "security_kind": sub.security_kind,
        "state": sub.state,
        "state_label": str(sub.state_label),
        "private": sub.private,
        "ccp": sub.ccp,
        "currency": sub.currency,
        "quantity": sub.quantity,
        "total_nominal": decimal_text(sub.total_nominal, 2),
        "nominal": decimal_text(sub.nominal, 4),
        "price": decimal_text(sub.price, 4),
        "market_orders": sub.market_orders,
        "collateral_mode": sub.collateral_mode,
        "investor_data": sub.investor_data,
        "investor_items": sub.items,
        "accept_from": utc_time(sub.accept_from),
        "accept_to": utc_time(sub.accept_to),
        "activation_at": utc_time(sub.activation_at),
        "deal_at": utc_time(sub.deal_at),
        "settlement_at": utc_time(sub.settlement_at),
        "accepting": service.accepting(sub),
        "orders_url": url_for("subscription_api.orders", number=sub.number),
    }


def order_json(order: Order, sub: Subscription) -> dict:
    return {
        "number": order.number,
        "subscription": sub.number,
        "status": order.status,
        "status_label": str(order.status_label),
        "account": order.account.code,
        "kind": order.kind,
        "basis": order.basis,
        "price": decimal_text(order.price, 4),
        "yield_rate": decimal_text(order.yield_rate, 4),
        "quantity": order.quantity,
        "money": decimal_text(order.money, 2),
        "for_client": order.for_client,
        "investor_name": order.investor_name,
        "investor_id": order.investor_id,
        "investor_resident": order.investor_resident,
        "investor_contacts": order.investor_contacts,
        "investor_other": order.investor_other,
        "qualified": order.qualified,
        "omnibus": order.omnibus,
        "confirmed": order.confirmed,
        "criteria_ok": order.criteria_ok,
        "secured": order.secured,
        "blocked": decimal_text(order.blocked, 2),
        "submitted_at": utc_time(order.submitted_at),
        "amended_at": utc_time(order.amended_at),
        "version": order.version,
        "client_ref": order.client_ref,
        "window": order.window.name if order.window_id else None,
        "url": url_for("subscription_api.order", number=sub.number, order_number=order.number),
    }


def _page_args() -> tuple[int, int]:
    values = {}
    for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
        raw = request.args.get(name, default)
        try:
            values[name] = int(raw)
        except (TypeError, ValueError):
            raise Refusal(422, _("Укажите целое число."), name) from None
    if values["page"] < 1:
        raise Refusal(422, _("Страницы нумеруются с 1."), "page")
    if not 1 <= values["per_page"] <= MAX_PER_PAGE:
        raise Refusal(422, _("На странице от 1 до %(n)s записей.", n=MAX_PER_PAGE), "per_page")
    return values["page"], values["per_page"]


def _page(query, serialise) -> dict:
    page, per_page = _page_args()
    total = query.count()
    return {
        "items": [serialise(row) for row in query.paginate(page, per_page)],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
    }


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refusal(400, _("Тело запроса — объект JSON (Content-Type: application/json)."))
    return body


# --- what a member may reach ------------------------------------------------------------------------------------


def visible_subscriptions(organisation, member: bool | None = None):
    """Registered subscriptions the member may see: private placements only for stock members (S-2.3),
    the seller and the issuer, as on the pages. ``member``: whether it is a stock member, if known."""
    query = Subscription.select().where(Subscription.number.is_null(False) & Subscription.state.not_in(UNREGISTERED))
    if member is None:
        member = service.is_stock_member(organisation)
    if not member:
        query = query.where(
            (Subscription.private == False)  # noqa: E712
            | (Subscription.seller == organisation.id)
            | (Subscription.issuer == organisation.id)
        )
    return query


def _visible_by_number(member: bool):
    # the organisation is a slot: its id is given when the query runs (a member's query has no use for it).
    # Its id and number are all the order routes take from it: the service reads the row itself, locked, in the
    # order's transaction, so the 55-column row is not made twice a request.
    organisation = SimpleNamespace(id=Slot("organisation"))
    return (
        visible_subscriptions(organisation, member)
        .select(Subscription.id, Subscription.number)
        .where(Subscription.number == Slot("number"))
        .limit(1)
        .tuples()
    )


_SUBSCRIPTION = {member: Prepared(functools.partial(_visible_by_number, member)) for member in (True, False)}


def _subscription(number):
    """The subscription the member may see by its number: its ``id`` and ``number`` only (a named tuple, so
    asking it for anything else fails loudly); what the service checks it reads itself."""
    organisation = current_user.organisation
    member = service.is_stock_member(organisation)
    # every request reads it: its SQL is written once per process
    row = _SUBSCRIPTION[member].first(number=number, organisation=organisation.id)
    if row is None:
        raise Refusal(404, _("Подписка %(number)s не найдена.", number=number))
    return Visible(*row)


class Visible(NamedTuple):
    """What the order routes take from a subscription the member may see."""

    id: int
    number: str


def _own_orders(sub):
    return (
        Order.select(Order, TradeAccount)
        .join(TradeAccount, on=(Order.account == TradeAccount.id))
        .where((Order.subscription == sub.id) & (Order.buyer == current_user.organisation_id))
    )


def _own_order(sub, order_number) -> Order:
    """The member's own order; another member's is as unknown as one that does not exist."""
    order = _own_orders(sub).where(Order.number == order_number).first()
    if order is None:
        raise Refusal(404, _("Заявка № %(n)s не найдена.", n=order_number))
    return order


# --- the order form, fed with JSON -------------------------------------------------------------------------------


def _formdata(values: dict) -> MultiDict:
    """JSON values as a browser would post them: a true boolean is a ticked box, a false one is absent."""
    data = MultiDict()
    for key, value in values.items():
        if key in BOOLEANS:
            if value is True:
                data[key] = "y"
            elif value not in (False, None):
                raise Refusal(422, _("Ожидается true или false."), key)
        elif value is None:
            continue
        elif isinstance(value, (bool, list, dict)):
            raise Refusal(422, _("Неверное значение."), key)
        else:
            data[key] = str(value)
    return data


def windows_by_name(sub: Subscription) -> dict:
    """The subscription's acceptance windows by their names, case aside (issue #17)."""
    return {w.name.lower(): w for w in service.windows_of(sub)}


_FORMS = threading.local()


def _order_form(formdata: MultiDict) -> OrderForm:
    """The page's order form filled with ``formdata``: one form per thread, bound once and refilled for each
    order. Binding its seventeen fields cost more than filling and checking them (issue #20); filling resets
    every field's data, raw data and errors (``Form.process``, then ``validate``), its labels and messages are
    read in the request's language when shown, and the choices are set by the caller each time."""
    form = getattr(_FORMS, "form", None)
    if form is None:
        form = _FORMS.form = OrderForm(formdata=None, meta={"csrf": False})
        form.account.validate_choice = False  # another organisation's account gets the service's own message
    form.process(formdata)
    return form


def order_fields(values: dict, user, accounts: dict | None = None, windows: dict | None = None) -> dict:
    """The fields the service takes, from the page's own order form: the same checks, the same words.
    ``window`` names one of ``windows`` (the subscription's acceptance windows by name)."""
    values = dict(values)
    window = values.pop("window", None)
    unknown = [key for key in values if key not in ORDER_INPUT]
    if unknown:
        raise Refusal(422, _("Неизвестное поле."), unknown[0])
    if accounts is None:
        accounts = {a.code: a for a in service.open_accounts(user.organisation)}
    form = _order_form(_formdata(values))
    form.account.choices = choices([(code, code) for code in accounts])
    if not form.validate():
        errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
        name = next(iter(errors))
        raise Refusal(422, errors[name][0], name, errors=errors)
    data = form.order_fields(accounts)
    if window is not None:
        if not isinstance(window, str):
            raise Refusal(422, _("Неверное значение."), "window")
        found = (windows or {}).get(window.strip().lower())
        if found is None:
            raise Refusal(422, _("Нет окна приема заявок «%(name)s».", name=window), "window")
        data["window"] = found
    return data


def _current_values(order: Order) -> dict:
    values = {key: getattr(order, key) for key in ORDER_INPUT if key not in ("account", "consent")}
    values["account"] = order.account.code
    return values


def _service_refusal(exc: service.SubscriptionError, status: int = 422) -> Refusal:
    return Refusal(status, exc.message, exc.field)


def _client_ref(values: dict) -> str | None:
    client_ref = values.pop("client_ref", None)
    if client_ref is not None and not (isinstance(client_ref, str) and 0 < len(client_ref) <= 64):
        raise Refusal(422, _("client_ref — строка до 64 знаков."), "client_ref")
    return client_ref


# --- the routes --------------------------------------------------------------------------------------------------


@bp.route("/openapi.json")
@public
def openapi():
    # the order schemas are made from the order's fields (api_schema); the core's read-only applications
    # API (core.integrations) is served in the same document
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    document["components"]["schemas"].update(api_schema.order_schemas())
    document = openapi_document.merged(document)
    return current_app.response_class(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")


@bp.route("/subscriptions")
@api_token_required
def subscriptions():
    query = visible_subscriptions(current_user.organisation).order_by(Subscription.accept_from.desc(), Subscription.id)
    state = request.args.get("state")
    if state:
        query = query.where(Subscription.state == state)
    return jsonify(_page(query, subscription_json))


@bp.route("/subscriptions/<number>/orders")
@api_token_required
def orders(number):
    sub = _subscription(number)
    query = _own_orders(sub).order_by(Order.number)
    status = request.args.get("status")
    if status:
        query = query.where(Order.status == status)
    return jsonify(_page(query, lambda order: order_json(order, sub)))


@bp.route("/subscriptions/<number>/orders", methods=["POST"])
@api_token_required
def submit_order(number):
    sub = _subscription(number)
    user = current_user._get_current_object()
    body = _body()
    client_ref = _client_ref(body)

    def replayed(order):
        response = jsonify(order_json(order, sub))
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def earlier():
        order = _own_orders(sub).where(Order.client_ref == client_ref).first() if client_ref else None
        return replayed(order) if order is not None else None

    try:
        # the windows are read only for an order that names one (most do not; the service checks the rest)
        windows = windows_by_name(sub) if body.get("window") is not None else None
        fields = order_fields({**POST_DEFAULTS, **body}, user, windows=windows)
        order = service.submit_order(sub, user, fields, client_ref=client_ref)
    except (Refusal, service.SubscriptionError) as exc:
        # a retry of an order already taken gets that order back, whatever its body now says
        replay = earlier()
        if replay is not None:
            return replay
        raise (exc if isinstance(exc, Refusal) else _service_refusal(exc)) from None
    except IntegrityError:
        replay = earlier()  # a concurrent retry with the same client_ref was inserted first
        if replay is None:
            raise
        return replay
    if not getattr(order, "taken_now", False):
        return replayed(order)  # the service found the client_ref taken before
    response = jsonify(order_json(order, sub))  # the service's own order: its account is the one just checked
    response.status_code = 201
    response.headers["Location"] = url_for("subscription_api.order", number=sub.number, order_number=order.number)
    return response


@bp.route("/subscriptions/<number>/orders/batch", methods=["POST"])
@api_token_required
def submit_orders(number):
    """Up to MAX_BATCH orders in one request, as a member's back office sends its book: each checked as
    a single order is, with the same messages; the taken ones are committed together, a refused one is
    refused alone. The answer lists, in the order sent, each order (201 new, 200 a client_ref already
    taken) or its refusal (422)."""
    sub = _subscription(number)
    user = current_user._get_current_object()
    items = _body().get("orders")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise Refusal(422, _("orders — список от 1 до %(n)s заявок.", n=MAX_BATCH), "orders")
    accounts = {a.code: a for a in service.open_accounts(user.organisation)}
    windows = windows_by_name(sub)
    results, work, positions = [None] * len(items), [], []
    for index, values in enumerate(items):
        try:
            if not isinstance(values, dict):
                raise Refusal(422, _("Заявка — объект JSON."))
            values = dict(values)
            client_ref = _client_ref(values)
            work.append((order_fields({**POST_DEFAULTS, **values}, user, accounts, windows), client_ref))
            positions.append(index)
        except Refusal as exc:
            results[index] = _refused_item(exc.message, exc.field, **exc.extra)
    if work:
        try:
            taken = service.submit_orders(sub, user, work)
        except IntegrityError:
            # a concurrent request took one of these client_refs first: everything here rolled back, and
            # taken again the retry finds that order
            taken = service.submit_orders(sub, user, work)
        told = set()
        for index, outcome in zip(positions, taken, strict=True):
            if isinstance(outcome, service.SubscriptionError):
                results[index] = _refused_item(outcome.message, outcome.field)
                continue
            new = getattr(outcome, "taken_now", False) and id(outcome) not in told
            told.add(id(outcome))
            results[index] = {"status": 201 if new else 200, "order": order_json(outcome, sub)}
    return jsonify(
        {
            "taken": sum(r["status"] == 201 for r in results),
            "refused": sum(r["status"] == 422 for r in results),
            "results": results,
        }
    )


def _refused_item(message, field=None, **extra) -> dict:
    return {"status": 422, "error": str(message), "field": field, **extra}


@bp.route("/subscriptions/<number>/orders/<int:order_number>")
@api_token_required
def order(number, order_number):
    sub = _subscription(number)
    return jsonify(order_json(_own_order(sub, order_number), sub))


@bp.route("/subscriptions/<number>/orders/<int:order_number>", methods=["PATCH"])
@api_token_required
def amend_order(number, order_number):
    """S-4.3: the fields given replace the order's; ``version`` is the one last read (optimistic lock)."""
    sub = _subscription(number)
    user = current_user._get_current_object()
    current = _own_order(sub, order_number)
    body = _body()
    version = body.pop("version", None)
    if isinstance(version, bool) or not isinstance(version, int):
        raise Refusal(422, _("Укажите версию заявки (version) из последнего ответа."), "version")
    values = {**_current_values(current), **body}
    # S-7.1: the consent given with the order stands unless the investor changes
    values.setdefault("consent", not any(key in body for key in INVESTOR_FIELDS))
    fields = order_fields(values, user, windows=windows_by_name(sub) if body.get("window") is not None else None)
    try:
        service.amend_order(current, user, fields, version)
    except service.SubscriptionError as exc:
        fresh = Order.get_by_id(current.id)
        conflict = fresh.status == "active" and fresh.version != version
        raise _service_refusal(exc, 409 if conflict else 422) from None
    return jsonify(order_json(_own_order(sub, order_number), sub))


@bp.route("/subscriptions/<number>/orders/<int:order_number>", methods=["DELETE"])
@api_token_required
def cancel_order(number, order_number):
    """S-4.3, S-5.2: cancelled during the acceptance period, the collateral released."""
    sub = _subscription(number)
    current = _own_order(sub, order_number)
    try:
        service.cancel_order(current, current_user._get_current_object())
    except service.SubscriptionError as exc:
        raise _service_refusal(exc) from None
    return jsonify(order_json(_own_order(sub, order_number), sub))
