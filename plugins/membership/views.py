"""The membership pages: the organisation's own categories, and the public list "Члены Биржи"."""

from flask import Blueprint, request
from flask_login import current_user

from core import client_required, engine, public, render
from plugins.membership.models import CATEGORIES, Membership, category_order

bp = Blueprint("membership", __name__, url_prefix="/membership", template_folder="templates")


@bp.route("/")
@client_required("member", "candidate")
def index():
    """The organisation's membership: current categories, the history and what it may file next."""
    organisation = current_user.organisation
    registry = engine.procedures()
    procedures = [
        p
        for p in sorted(registry.values(), key=lambda p: p.order)
        if p.category == "membership" and p.can_be_filed and organisation.roles & set(p.filers)
    ]
    history = list(Membership.history_of(organisation))
    return render(
        "membership/index.html",
        organisation=organisation,
        current=sorted((row for row in history if row.until is None), key=lambda row: category_order(row.category)),
        former=[row for row in history if row.until is not None],
        categories=CATEGORIES,
        procedures=procedures,
    )


@bp.route("/members")
@public
def members():
    """ "Члены Биржи": current members and their categories; the list narrows to one category."""
    category = request.args.get("category", "")
    register = Membership.register()
    if category in CATEGORIES:
        register = [(org, rows) for org, rows in register if any(r.category == category for r in rows)]
    else:
        category = ""
    return render("membership/members.html", "member_list", register=register, category=category, categories=CATEGORIES)
