"""The read-only applications API for an organisation's own systems: its applications, their statuses,
deadlines and documents (metadata only), behind expiring keys the organisation admin makes. Another
organisation's application is 404, as if it did not exist. JSON times are ISO 8601 UTC with "Z"; dates
(deadlines) are the Exchange's (Almaty) dates."""

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from core import tokens
from core.access import Rule
from core.accounts.models import Organisation
from core.db import utcnow
from core.integrations.models import ApiKey
from core.security import csrf, limiter
from core.tokens import bearer, digest
from core.tokens import new as new_bearer
from core.workflow import engine
from core.workflow.models import Application, Attachment, Transition

bp = Blueprint("integrations_api", __name__, url_prefix="/api/v1")

KEY_PREFIX = "is2in_ro_"  # the visible prefix of every read-only key, not a secret  # nosec B105
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
API_RULE = Rule("token")


class Refusal(Exception):
    def __init__(self, status: int, message, field: str | None = None):
        super().__init__(str(message))
        self.status, self.message, self.field = status, message, field


def _error(status: int, message, field=None):
    response = jsonify({"error": str(message), "field": field})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="is2in"'
    return response


@bp.errorhandler(Refusal)
def _refused(exc: Refusal):
    return _error(exc.status, exc.message, exc.field)


HTTP_MESSAGES = {404: _l("Не найдено."), 405: _l("Этот способ запроса здесь не поддерживается.")}


def _http_error(exc: HTTPException):
    return _error(exc.code or 500, HTTP_MESSAGES.get(exc.code, exc.description))


bp.register_error_handler(HTTPException, _http_error)
for _code in (400, 403, 404, 405, 429):
    bp.register_error_handler(_code, _http_error)

csrf.exempt(bp)  # bearer keys, no cookies


def new_key() -> str:
    return new_bearer(KEY_PREFIX)


def _rate_key() -> str:
    token = bearer()
    return f"ro-key:{digest(token)}" if token else f"ro-ip:{request.remote_addr or ''}"


limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", "6000 per minute"), key_func=_rate_key)(bp)


class KeyHolder:
    """The caller of a read-only key, as Flask-Login's ``current_user``: an organisation's system, not a
    person; it signs nothing and no refusal of its is one of a user's (``core.access.record_refusals``)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_key = True
    id = None
    locale = None  # the API's messages are in Russian, as for a caller with no language chosen

    def __init__(self, organisation: Organisation):
        self.organisation = organisation

    def get_id(self):
        return None


def key_organisation(token: str | None) -> Organisation | None:
    """The organisation a live key (not revoked, not expired, its organisation active) reads for."""
    if not token or not token.startswith(KEY_PREFIX):
        return None
    row = (
        ApiKey.select(ApiKey, Organisation)
        .join(Organisation, on=(ApiKey.organisation == Organisation.id))
        .where((ApiKey.token_hash == digest(token)) & ApiKey.revoked_at.is_null() & (ApiKey.expires_at > utcnow()))
        .first()
    )
    if row is None or not row.organisation.is_active:
        return None
    if row.last_used_at is None or row.last_used_at < utcnow().replace(second=0, microsecond=0):
        ApiKey.update(last_used_at=utcnow()).where(ApiKey.id == row.id).execute()  # once a minute at most
    return row.organisation


def key_holder(token: str | None) -> KeyHolder | None:
    organisation = key_organisation(token)
    return KeyHolder(organisation) if organisation is not None else None


def _unauthorised():
    return _error(401, _("Нужен действующий ключ API: заголовок «Authorization: Bearer <ключ>»."))


# The route's rule (a machine client) enforced with the organisation's read-only key, read by Flask-Login's
# request loader (core.tokens): the views read the organisation from ``current_user``.
key_required = tokens.required(API_RULE, key_holder, _unauthorised)


def _iso(moment) -> str | None:
    if moment is None:
        return None
    if hasattr(moment, "hour"):
        return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return moment.isoformat()


def application_json(app: Application) -> dict:
    try:
        procedure = engine.definition(app)
        procedure_title, process_title = str(procedure.title), str(procedure.process(app.process).title)
    except Exception:  # noqa: BLE001 - a procedure no longer installed still shows its codes
        procedure_title, process_title = app.procedure, app.process
    return {
        "id": app.id,
        "number": app.number,
        "procedure": app.procedure,
        "procedure_title": procedure_title,
        "process": app.process,
        "process_title": process_title,
        "status": app.status,
        "status_title": str(app.status_label),
        "deadline": _iso(app.deadline),
        "created_at": _iso(app.created_at),
        "submitted_at": _iso(app.submitted_at),
        "archived_at": _iso(app.archived_at),
        "registration_number": app.registration_number or None,
        "decision_result": app.decision_result or None,
        "version": app.version,
    }


def _int_arg(name, default):
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        raise Refusal(422, _("Укажите целое число."), name) from None


@bp.route("/applications")
@key_required
def applications():
    page, per_page = _int_arg("page", 1), _int_arg("per_page", DEFAULT_PER_PAGE)
    if page < 1:
        raise Refusal(422, _("Страницы нумеруются с 1."), "page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Refusal(422, _("На странице от 1 до %(n)s записей.", n=MAX_PER_PAGE), "per_page")
    query = Application.select().where(Application.organisation == current_user.organisation.id)
    if request.args.get("status"):
        query = query.where(Application.status == request.args["status"])
    total = query.count()
    rows = query.order_by(Application.created_at.desc(), Application.id.desc()).paginate(page, per_page)
    return jsonify(
        {
            "items": [application_json(a) for a in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
        }
    )


@bp.route("/applications/<int:application_id>")
@key_required
def application(application_id):
    app = Application.get_or_none(
        (Application.id == application_id) & (Application.organisation == current_user.organisation.id)
    )
    if app is None:
        raise Refusal(404, _("Не найдено."))
    data = application_json(app)
    data["documents"] = [
        {
            "id": a.id,
            "kind": a.kind,
            "title": a.title,
            "file_name": a.file.original_name,
            "content_type": a.file.content_type,
            "size": a.file.size,
            "sha256": a.file.sha256,
            "uploaded_at": _iso(a.uploaded_at),
        }
        for a in app.attachments.order_by(Attachment.uploaded_at, Attachment.id)
    ]
    data["history"] = [
        {"action": t.action, "from_process": t.from_process, "to_process": t.to_process, "at": _iso(t.created_at)}
        for t in app.transitions.order_by(Transition.created_at, Transition.id)
    ]
    return jsonify(data)
