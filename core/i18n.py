"""Languages: Russian by default, Kazakh and English; times in Asia/Almaty."""

from pathlib import Path

from flask import has_request_context, session
from flask_babel import Babel
from flask_login import current_user

babel = Babel()


def select_locale():
    if not has_request_context():
        return "ru"  # jobs and the CLI: mail is written under force_locale(user's language)
    languages = _languages()
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    # Russian unless the user chose otherwise: the browser's language is not asked, since the
    # Exchange's documents and the guide's labels are Russian first.
    return "ru"


def _languages():
    from flask import current_app

    return current_app.config["LANGUAGES"]


def translation_directories(plugin_modules) -> str:
    """The core's catalogue first, then each plugin's ``translations`` folder, where it has one."""
    dirs = [Path(__file__).parent / "translations"]
    for module in plugin_modules:
        path = Path(getattr(module, "__file__", "") or ".").parent / "translations"
        if path.is_dir():
            dirs.append(path)
    return ";".join(str(d) for d in dirs)


def init_app(app, plugin_modules) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(plugin_modules)
    babel.init_app(app, locale_selector=select_locale)
