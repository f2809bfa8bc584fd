"""The department's screen: every market-maker application and the result of its latest check."""

from flask import Blueprint

from core import Application, engine, render, staff_required
from is2in_market_making.procedure import CODE

bp = Blueprint("market_making", __name__, url_prefix="/market-making", template_folder="templates")


def last_check(application):
    for event in reversed(engine.history(application)):
        if event.action == "market_making.check":
            return event.data
    return None


@bp.route("/")
@staff_required("market_making")
def index():
    rows = [
        (application, last_check(application))
        for application in Application.select()
        .where((Application.procedure == CODE) & Application.submitted_at.is_null(False))
        .order_by(Application.id.desc())
    ]
    return render("market_making/index.html", rows=rows)
