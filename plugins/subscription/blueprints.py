"""The plugin's two blueprints, which every views module of the plugin adds its routes to.

``bp`` holds the subscriptions' own pages: the list, the application form and everything under one
subscription (its book, registers, settlement and results), so ``/subscriptions`` is written once, here.
``lists_bp`` holds the pages that span subscriptions at addresses of their own: the public announcements,
the trade-clearing accounts, the CD's work list and the penalties.

A service's refusal (``SubscriptionError``) that a view does not handle itself is flashed and the person
is sent back to the page the action was taken on (``back_to``), which is what every view did by hand."""

from flask import Blueprint, current_app, flash, redirect, request, url_for

from plugins.subscription.service import SubscriptionError

bp = Blueprint("subscription", __name__, url_prefix="/subscriptions", template_folder="templates")
lists_bp = Blueprint("subscription_lists", __name__)


def back_to(endpoint: str, anchor: str | None = None):
    """Where a refused action of this view sends the person back (by default the subscription's page, or
    the list of subscriptions on a route without one): ``endpoint`` is given the route's ``sub_id``."""

    def mark(view):
        view.back = (endpoint, anchor)
        return view

    return mark


def refused(exc: SubscriptionError):
    """The service refused: its message is flashed and the person goes back to the page of the action."""
    flash(exc.message, "danger")
    args = {"sub_id": request.view_args["sub_id"]} if "sub_id" in (request.view_args or {}) else {}
    view = current_app.view_functions.get(request.endpoint)
    endpoint, anchor = getattr(view, "back", ("subscription.detail" if args else "subscription.index", None))
    return redirect(url_for(endpoint, _anchor=anchor, **args))


bp.register_error_handler(SubscriptionError, refused)
lists_bp.register_error_handler(SubscriptionError, refused)
