"""What every page needs: the menu, the unread count, the language switch, filters, error pages."""

import dataclasses

from flask import g, has_request_context, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core.controls import control
from core.forms import error_list, field_messages
from core.hooktypes import Link
from core.plugins import collect
from core.web import FRAGMENT, memo_url_for

# G-9: the user menu, named exactly as in the guide.
CLIENT_MENU = (
    Link("workflow.procedures", _l("Процедуры"), 10),
    Link("accounts.users", _l("Пользователи"), 20),
    Link("confirmation.confirm", _l("Подтверждение пользователей"), 25),
    Link("delegation.index", _l("Доверенности"), 26),
    Link("partnerships.index", _l("Партнерства"), 30),
    Link("workflow.active", _l("На рассмотрении"), 40),
    Link("workflow.archive", _l("Архив"), 50),
    Link("workflow.questionnaires", _l("Анкеты"), 60),
    Link("regulations.index", _l("Нормативная база"), 70),
    Link("insiders.index", _l("Инсайдеры Биржи"), 80),
)

STAFF_MENU = (
    Link("staff.index", _l("Рабочий стол"), 5),
    Link("workflow.inbox", _l("Входящие заявления"), 7),
    Link("workflow.archive", _l("Архив"), 8),
    Link("workflow.catalogues", _l("Справочники"), 84),
    Link("signing.trust", _l("Доверенные сертификаты ЭЦП"), 86),
    Link("delegation.staff_index", _l("Доверенности"), 87),
    Link("accounts.organisations", _l("Организации"), 10),
    Link("accounts.staff_users", _l("Пользователи"), 20),
    Link("confirmation.overview", _l("Подтверждение пользователей"), 25),
    Link("partnerships.staff_index", _l("Партнерства"), 30),
    Link("regulations.index", _l("Нормативная база"), 70),
    Link("insiders.index", _l("Инсайдеры Биржи"), 80),
    Link("workdays.index", _l("Календарь"), 85),
    Link("notifications.mail_queue", _l("Почта"), 90),
    Link("staff.audit", _l("Журнал действий"), 95),
    Link("staff.security", _l("Отказы в доступе"), 96),
)


# Issue 15: the staff menu in five sections instead of seventeen links in three rows. A plugin's
# screen joins the section its endpoint is listed under; one not listed joins "Система".
STAFF_SECTIONS = (
    (
        _l("Заявления"),
        ("staff.index", "workflow.inbox", "workflow.archive", "disclosure.staff", "disclosure.overdue"),
    ),
    (_l("Подписки"), ("subscription.index", "subscription_lists.accounts")),
    (
        _l("Организации и пользователи"),
        (
            "accounts.organisations",
            "accounts.staff_users",
            "partnerships.staff_index",
            "confirmation.overview",
            "delegation.staff_index",
            "membership.members",
            "auditors.staff",
        ),
    ),
    (_l("Справочники"), ("workflow.catalogues", "regulations.index", "insiders.index", "workdays.index")),
    (_l("Система"), ()),
)


def menu_sections(menu, urls, active) -> list[dict]:
    """The staff menu grouped into STAFF_SECTIONS (empty sections dropped), each link with its address
    and whether the page is under it; a section is active when one of its links is."""
    where = {endpoint: index for index, (_label, endpoints) in enumerate(STAFF_SECTIONS) for endpoint in endpoints}
    groups = [{"label": label, "links": [], "active": False} for label, _endpoints in STAFF_SECTIONS]
    for index, link in enumerate(menu):
        group = groups[where.get(link.endpoint, len(STAFF_SECTIONS) - 1)]
        group["links"].append({"label": link.label, "url": urls[index], "active": index == active})
        group["active"] = group["active"] or index == active
    return [group for group in groups if group["links"]]


def role_key(user) -> tuple:
    """What a user's menu depends on: staff by their departments, clients by their organisation's roles and
    whether they administer its users. ``core.access.Rule`` reads nothing else, save a route's own predicate."""
    if user.is_staff:
        return ("staff", frozenset(user.departments))
    return ("client", frozenset(user.organisation.roles), bool(user.is_org_admin))


def menu_for(app, user) -> list[Link]:
    """The menu links ``user`` may open, in order. Built once per process and role set (``role_key``); a link
    whose route has a predicate of its own (``access.requires``) is checked again for each user."""
    return [link for link, _url in menu_with_urls(app, user)]


def menu_with_urls(app, user) -> list[tuple[Link, str]]:
    return [(link, url) for link, rule, url in _entries(app, user) if rule.predicate is None or rule.allows(user)]


def _entries(app, user) -> list[tuple]:
    menus = app.extensions.setdefault("is2in.menus", {})
    key = (role_key(user), request.script_root if has_request_context() else "")
    entries = menus.get(key)
    if entries is None:
        entries = menus[key] = _menu_entries(app, user)
    return entries


def shown_menu(app, user) -> list[tuple[Link, str]]:
    """``menu_with_urls`` with each label already in the reader's language: translated once per process, role set
    and language rather than on every page (a lazy label looks its catalogue up each time it is shown)."""
    locale = str(get_locale())
    shown = app.extensions.setdefault("is2in.menus_shown", {})
    key = (role_key(user), request.script_root, locale)
    entries = shown.get(key)
    if entries is None:
        entries = shown[key] = [
            (dataclasses.replace(link, label=str(link.label)), rule, url) for link, rule, url in _entries(app, user)
        ]
    return [(link, url) for link, rule, url in entries if rule.predicate is None or rule.allows(user)]


def _menu_entries(app, user) -> list[tuple]:
    pm = app.extensions["is2in.pm"]
    if user.is_staff:
        links = list(STAFF_MENU) + collect(pm, "is2in_staff_screens", user=user)
    else:
        links = list(CLIENT_MENU) + collect(pm, "is2in_menu_links", user=user)
    entries = []
    for link in sorted(links, key=lambda link: link.order):
        view = app.view_functions.get(link.endpoint)
        rule = getattr(view, "access", None)
        if rule is not None and (rule.predicate is not None or rule.allows(user)):
            entries.append((link, rule, url_for(link.endpoint, **link.values)))
    return entries


def active_index(urls: list[str]) -> int | None:
    """Which menu link the current page is under: its address is the page's or above it, and no other
    link is nearer (the longest such address). The addresses are made once per page (a url_for per
    link), not once per pair of links."""
    path = request.path
    best, depth = None, -1
    for index, target in enumerate(urls):
        if (path == target or (target != "/" and path.startswith(target + "/"))) and len(target) > depth:
            best, depth = index, len(target)
    return best


FORMATTED_MEMO_SIZE = 20000  # dates and instants kept per app; the memo starts afresh when full


def _formatted(app, format, value, fmt) -> str:
    """A date or an instant as Babel writes it in the reader's language and the app's zone, kept per app: Babel
    looks up the locale's patterns and the zone on every call (about 50 µs), and a page writes the same days many
    times (a list's dates, a stage's questionnaires). The text depends only on the value, its type, the pattern,
    the language and the zone, all in the key."""
    from flask_babel import get_timezone

    memo = app.extensions.setdefault("is2in.formatted", {})
    key = (format, type(value), value, fmt, str(get_locale()), str(get_timezone()))
    text = memo.get(key)
    if text is None:
        if len(memo) >= FORMATTED_MEMO_SIZE:
            memo.clear()
        text = memo[key] = format(value, fmt)
    return text


def init_app(app) -> None:
    from core.notifications.models import Notification

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["url_for"] = memo_url_for(app)
    public_pages = sorted(collect(app.extensions["is2in.pm"], "is2in_public_pages"), key=lambda link: link.order)
    app.add_template_global(get_locale, "get_locale")
    app.add_template_global(error_list, "form_error_list")
    app.add_template_global(field_messages, "field_messages")
    app.add_template_global(control, "control")

    @app.context_processor
    def inject():
        context = {"languages": app.config["LANGUAGES"], "public_pages": public_pages}
        if g.get(FRAGMENT):
            return context  # one block for htmx (core.web.render): no menu, no unread count in it
        if getattr(current_user, "is_authenticated", False):  # no user outside a request (mail, tasks)
            user = current_user._get_current_object()
            entries = shown_menu(app, user)
            menu, urls = [link for link, _url in entries], [url for _link, url in entries]
            active = active_index(urls)
            context["menu"], context["menu_urls"], context["menu_active"] = menu, urls, active
            context["menu_groups"] = menu_sections(menu, urls, active) if user.is_staff else None
            context["unread_count"] = Notification.unread_count(current_user)
        return context

    @app.template_filter("dt")
    def _dt(value, fmt="dd.MM.yyyy HH:mm"):
        return _formatted(app, format_datetime, value, fmt) if value else ""

    @app.template_filter("domid")
    def _domid(value):
        """Text made safe for an HTML id that CSS selectors (and htmx targets) can name."""
        import re

        return re.sub(r"[^A-Za-z0-9_-]", "-", str(value))

    @app.template_filter("d")
    def _d(value, fmt="dd.MM.yyyy"):
        return _formatted(app, format_date, value, fmt) if value else ""

    def error_page(code: int, message):
        def handler(error):
            return render_template("error.html", code=code, message=message, error=error), code

        return handler

    app.register_error_handler(400, error_page(400, _l("Запрос не может быть обработан.")))
    app.register_error_handler(403, forbidden_page)
    app.register_error_handler(404, error_page(404, _l("Страница не найдена.")))
    app.register_error_handler(405, error_page(405, _l("Этот способ запроса здесь не поддерживается.")))
    app.register_error_handler(
        413,
        error_page(
            413,
            _l(
                "Файл слишком большой. Допустимый размер — не более %(mb)s МБ.",
                mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
            ),
        ),
    )
    app.register_error_handler(429, error_page(429, _l("Слишком много попыток. Подождите минуту и попробуйте снова.")))
    app.register_error_handler(500, server_error_page)
    app.register_error_handler(
        CSRFError,
        error_page(
            400,
            _l(
                "Срок действия формы истёк или она отправлена не с этой страницы. "
                "Обновите страницу и повторите действие; введённые данные не сохранены."
            ),
        ),
    )


def forbidden_reason(rule, user) -> str:
    """Why the page is closed to ``user``, from the route's declared rule (issue 15: the 403 page says why)."""
    from core.accounts.models import DEPARTMENTS

    if rule is None:
        return _("Эта страница никому не открыта.")
    if rule.who == "staff":
        if rule.departments:
            names = ", ".join(str(DEPARTMENTS.get(d, d)) for d in rule.departments)
            return _("Страница открыта только сотрудникам Биржи из подразделений: %(names)s.", names=names)
        return _("Страница открыта только сотрудникам Биржи.")
    if rule.who == "client":
        if getattr(user, "is_staff", False):
            return _("Страница открыта только пользователям организаций-клиентов, не сотрудникам Биржи.")
        if rule.org_admin:
            return _("Страница открыта только администратору организации.")
        return _("Страница открыта только организациям с другой ролью на Бирже.")
    return _("У вас нет прав на это действие с этими данными.")


def forbidden_page(error):
    """403: what is closed, why (the route's rule or the view's own reason), and whom to ask: the client's
    organisation administrators by name, the system administrator for staff."""
    from werkzeug.exceptions import Forbidden

    from core.access import rule_for
    from core.accounts.models import User

    user = current_user if getattr(current_user, "is_authenticated", False) else None
    own = error.description if error.description != Forbidden.description else None
    reason = own or forbidden_reason(rule_for(request.endpoint) if request.endpoint else None, user)
    admins = []
    if user is not None and not user.is_staff:
        admins = [
            u
            for u in User.select().where(
                (User.organisation == user.organisation) & (User.is_org_admin == True) & (User.is_active == True)  # noqa: E712
            )
            if u.id != user.id
        ]
    return (
        render_template(
            "error.html", code=403, message=_("У вас нет доступа к этой странице."), reason=reason, admins=admins
        ),
        403,
    )


def server_error_page(error):
    """500: its own page, rendered without the menu or the database (the fault may be the database), with the
    request's reference to quote to support."""
    from flask import current_app, g
    from flask_babel import force_locale

    template = current_app.jinja_env.get_template("500.html")
    reference = g.get("request_id", "")
    try:
        return template.render(reference=reference, lang=str(get_locale() or "ru")), 500
    except Exception:  # noqa: BLE001 - the reader's language needs the session's user; Russian without it
        with force_locale("ru"):
            return template.render(reference=reference, lang="ru"), 500
