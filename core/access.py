"""Who may use each route. Every view declares it with one of these decorators; a route without a
declaration is refused (see ``enforce_declared``), and the access-matrix test reads the declarations."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class Rule:
    """``who`` is "public", "user", "client", "staff" or "token" (a machine client authenticated by its
    own bearer token, never by the session); ``departments``/``org_roles``/``predicate`` narrow it."""

    who: str
    departments: tuple[str, ...] = ()
    org_roles: tuple[str, ...] = ()
    org_admin: bool = False
    predicate: Callable | None = field(default=None, compare=False)

    def allows(self, user) -> bool:
        if self.who == "public":
            return True
        if self.who == "token":
            return False  # a browser session never opens an API route; the token decides
        if not user or not user.is_authenticated:
            return False
        if self.who == "user":
            return self.predicate(user) if self.predicate else True
        if self.who == "staff":
            if not user.is_staff:
                return False
            return not self.departments or user.in_department(*self.departments) or user.is_admin
        if self.who == "client":
            if user.is_staff:
                return False
            if self.org_roles and not (user.organisation.roles & set(self.org_roles)):
                return False
            return not self.org_admin or user.is_org_admin
        return False


def _declare(rule: Rule):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if rule.who != "public" and not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not rule.allows(current_user):
                refuse(status=403, reason="route")
            return view(*args, **kwargs)

        wrapped.access = rule
        return wrapped

    return decorator


def public(view):
    """Anyone, signed in or not."""
    return _declare(Rule("public"))(view)


def login_required(view):
    """Any signed-in user, client or staff."""
    return _declare(Rule("user"))(view)


def client_required(*org_roles, org_admin=False):
    """A signed-in client user, optionally of an organisation with one of ``org_roles``."""
    return _declare(Rule("client", org_roles=tuple(org_roles), org_admin=org_admin))


def requires(predicate: Callable):
    """Signed-in users for whom ``predicate(user)`` is true: for rules no role list expresses."""
    return _declare(Rule("user", predicate=predicate))


def staff_required(*departments):
    """Exchange staff of one of ``departments`` (any staff when none; admins always)."""
    return _declare(Rule("staff", departments=tuple(departments)))


def widen(app, endpoint: str, departments) -> None:
    """Let staff of ``departments`` into ``endpoint`` of this app as well as those its view declares: for a
    screen whose audience the installed plugins decide (the inbox of every reviewing department). The view is
    declared again for this app only (``app.view_functions``), so another app in the process keeps its rule."""
    view = app.view_functions.get(endpoint)
    rule = getattr(view, "access", None)
    if rule is None or rule.who != "staff" or not rule.departments:
        return
    added = tuple(d for d in departments if d not in rule.departments)
    if added:
        app.view_functions[endpoint] = _declare(replace(rule, departments=rule.departments + added))(view.__wrapped__)


def rule_for(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_declared():
    """before_request: refuse any route whose view declares nobody (default deny)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if rule_for(endpoint) is None:
        current_app.logger.error("route %s declares no access rule; refused", endpoint)
        abort(403)
    return None


# --- refusals are evidence -------------------------------------------------------------------------

REFUSED = "access.refused"


def refuse(obj=None, status: int = 404, reason: str = "object"):
    """Refuse this request for ``obj`` (an object of another organisation, or one the user may not reach):
    404 so its existence is not confirmed, 403 where the route itself is not the user's. The refusal is
    written to the audit trail by ``record_refusals`` with the object named; views call this instead of
    ``abort`` where they know the object."""
    g.refused = (obj, reason)
    abort(status)


def _object_from_route():
    """What a refused request asked for, from its URL: the first ``<int:..._id>`` argument."""
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id"):
            return name[: -len("_id")] or name, str(value)
    return "", ""


def record_refusals(response):
    """after_request: every 403 or 404 a signed-in user gets from a route that exists is an audit event
    (who, what object, route, address). Views that refuse with plain ``abort`` are caught here too, so no
    view (core or plugin) can refuse without a trace; ``refuse(obj)`` adds the object's organisation."""
    if response.status_code not in (403, 404) or request.url_rule is None:
        return response
    if request.endpoint == "static" or (request.endpoint or "").endswith(".static"):
        return response  # a missing stylesheet is nobody's object
    if not getattr(current_user, "is_authenticated", False) or getattr(current_user, "is_key", False):
        return response  # nobody signed in, or an organisation's read-only key (no user to name)
    from core import audit
    from core.db import db

    obj, reason = g.pop("refused", (None, "object"))
    object_type, object_id = _object_from_route()
    if obj is not None:
        object_type, object_id = type(obj).__name__.lower(), str(getattr(obj, "id", "") or "")
    owner = getattr(obj, "organisation", None) if obj is not None else None
    user = current_user._get_current_object()
    try:
        with db.atomic():
            audit.record(
                REFUSED,
                audit.Ref(object_type, object_id),
                organisation=user.organisation,
                actor=user,
                route=request.url_rule.rule,
                path=request.path[:300],
                method=request.method,
                status=response.status_code,
                reason=reason,
                owner=owner.code if owner is not None else "",
            )
    except Exception:  # noqa: BLE001  the refusal stands even if its record cannot be written
        current_app.logger.exception("could not record a refused request to %s", request.path)
    return response
