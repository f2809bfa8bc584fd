"""An application's history: its page, and how each event of the trail is named and detailed there. The
route is on the workflow blueprint (``core.workflow.views.bp``), so the endpoint stays ``workflow.history``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import login_required
from core.web import render
from core.workflow import engine
from core.workflow.models import CLOCK_EVENTS
from core.workflow.views import _application_or_404, bp


@bp.route("/applications/<int:app_id>/history")
@login_required
def history(app_id):
    app = _application_or_404(app_id)
    return render("workflow/history.html", app=app, procedure=engine.installed(app), events=engine.history(app))


HISTORY_LABELS = {
    "application.create": _l("Заявление создано"),
    "application.delete": _l("Заявление удалено"),
    "application.download": _l("Документ скачан"),
    "stage.save": _l("Этап сохранён"),
    "stage.done": _l("Этап заполнен"),
    "stage.skip": _l("Этап пропущен"),
    "stage.assign": _l("Назначен исполнитель"),
    "stage.prefill": _l("Форма заполнена из анкеты"),
    "document.upload": _l("Документ приложен"),
    "document.delete": _l("Документ удалён"),
    "document.replace": _l("Файл документа заменён"),
    "document.download": _l("Документ скачан"),
    "security.add": _l("Добавлена ценная бумага"),
    "security.requirements": _l("Заполнены требования к ценной бумаге"),
    "security.delete": _l("Ценная бумага удалена"),
    "comment.draft": _l("Комментарий (черновик)"),
    "comment.save": _l("Комментарии сохранены"),
    **{f"clock.{kind}": label for kind, label in CLOCK_EVENTS.items()},
}


@bp.app_template_global()
def history_label(action: str) -> str:
    if action in HISTORY_LABELS:
        return str(HISTORY_LABELS[action])
    code = action.removeprefix("application.")
    return str(engine.ACTION_LABELS.get(code, action))


@bp.app_template_global()
def history_details(event, procedure) -> str:
    data = event.data
    parts = []
    # ``procedure`` is None when it is no longer installed: the stored codes are shown
    if "stage" in data:
        try:
            parts.append(str(procedure.stage(data["stage"]).title))
        except (KeyError, AttributeError):
            parts.append(data["stage"])
    for key in ("to_process",):
        if key in data:
            try:
                parts.append("→ " + str(procedure.process(data[key]).title))
            except KeyError:
                pass
            except AttributeError:
                parts.append("→ " + data[key])
    if data.get("old") and data.get("new"):
        parts.append(f"{data['old']} → {data['new']}")
    if event.action.startswith("clock.") and "left" in data:
        parts.append(_("использовано раб. дней: %(used)s, осталось: %(left)s", used=data["used"], left=data["left"]))
    for key in ("note", "title", "isin", "employee", "document", "file"):
        if data.get(key):
            parts.append(str(data[key]))
    if data.get("poa_number"):  # a substitute acted: said in the reader's language (the trail keeps the Russian)
        parts.append(
            _(
                "действующий по доверенности № %(number)s от %(date)s за %(head)s",
                number=data["poa_number"],
                date=data.get("poa_date", ""),
                head=data.get("poa_head", ""),
            )
        )
    return "; ".join(parts)
