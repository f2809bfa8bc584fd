"""The client tabs "Процедуры", "На рассмотрении", "Архив" and "Анкеты"."""

from flask import Blueprint, current_app, request
from flask_login import current_user

from core.access import client_required
from core.db import matches
from core.accounts.models import User
from core.pagination import paginate
from core.web import render
from core.workflow.definitions import CATEGORIES
from core.workflow.models import Application, Questionnaire

bp = Blueprint("workflow", __name__, template_folder="templates")

SORTS = {
    "number": Application.number,
    "created": Application.created_at,
    "submitted": Application.submitted_at,
    "status": Application.status,
}


@bp.route("/procedures")
@client_required()
def procedures():
    """G-9.1, G-12: every procedure the plugins contribute, by category."""
    registry = current_app.extensions["is2in.procedures"]
    roles = current_user.organisation.roles
    by_category = []
    for category in CATEGORIES:
        items = sorted((p for p in registry.values() if p.category == category.code),
                       key=lambda p: (p.order, str(p.title)))
        if items:
            by_category.append((category, [(p, bool(roles & set(p.filers))) for p in items]))
    return render("workflow/procedures.html", by_category=by_category)


def _listing(query, template, block):
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "created")
    desc = request.args.get("dir", "desc") != "asc"
    if q:
        query = query.where(matches(Application.number, q) | matches(Application.procedure, q))
    column = SORTS.get(sort, Application.created_at)
    query = query.order_by(column.desc() if desc else column.asc(), Application.id.desc())
    page = paginate(query, per_page=25)
    authors = {u.id: u for u in User.select().where(User.id.in_(
        {a.author_id for a in page.items} | {a.executor_id for a in page.items if a.executor_id}))}
    return render(template, block, page=page, q=q, sort=sort, desc=desc, users=authors,
                  procedures=current_app.extensions["is2in.procedures"])


@bp.route("/applications")
@client_required()
def active():
    """G-9.4: active applications the user takes part in."""
    return _listing(Application.active_for(current_user), "workflow/active.html", "application_list")


@bp.route("/archive")
@client_required()
def archive():
    """G-9.5: finished applications with the status "Архив"."""
    return _listing(Application.archived_for(current_user), "workflow/archive.html", "application_list")


@bp.route("/questionnaires")
@client_required()
def questionnaires():
    """G-9.6: forms of the organisation's archived applications, for reuse."""
    return render("workflow/questionnaires.html", items=list(Questionnaire.of(current_user.organisation)))
