"""Languages: Russian by default, Kazakh and English; times in Asia/Almaty."""

from pathlib import Path

from flask import current_app, g, has_request_context, session
from flask_babel import Babel, Domain
from flask_babel import gettext as flask_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user


class AppDomain(Domain):
    """Flask-Babel keeps one catalogue cache per process, keyed by the language alone; but each app merges the
    catalogues of its own plugins (an external one adds its folder), so each app keeps its own cache. Without it
    a second app in one process (the tests) read the first app's catalogue."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("is2in.translations", {})

    def get_translations(self):
        """The catalogue of the language in force, found once per request and language instead of once per text:
        flask_babel looks up the request's context three times and names the locale again for every text, and a
        lazy string (a field's label, a stage's title) is looked up each time it is shown, which cost a form's
        page about a millisecond. The catalogue is kept with the locale object it was found for: ``force_locale``
        and ``refresh`` set another one (``force_locale`` puts the first back), so a forced language is never
        answered from the request's catalogue; a catalogue depends on the language alone (and the app, whose
        request ``g`` this is)."""
        try:
            state = g._flask_babel
        except (AttributeError, RuntimeError):  # outside a request, or before flask_babel set its state up
            return super().get_translations()
        locale = getattr(state, "babel_locale", None)
        kept = getattr(state, "is2in_catalogue", None)
        if locale is not None and kept is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        state.is2in_catalogue = (getattr(state, "babel_locale", None), translations)
        return translations


babel = Babel()
babel.domain_instance = AppDomain()  # a cached property of the shared Babel: every app uses this domain


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
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals["gettext"] = _shown_once(app.jinja_env.globals["gettext"])
    if app.jinja_env.finalize is None:
        app.jinja_env.finalize = _lazy_shown


def _lazy_shown(value):
    """Jinja's ``finalize`` (what every ``{{ value }}`` passes through before it is escaped): a lazy text of
    ``lazy_gettext`` (a field's label, a stage's, a process's or an actor's title; seventy on a stage page) is
    translated from the request's catalogue directly, as flask_babel's ``gettext`` would, instead of through its
    four lookups of the request's context for each one. Anything else, another kind of lazy text included, is
    left as it is for Jinja to write."""
    if type(value) is LazyString and getattr(value, "_func", None) is flask_gettext and len(value._args) == 1:
        text = _catalogue().ugettext(value._args[0])
        return text % value._kwargs if value._kwargs else text
    return value


SHOWN_MEMO_SIZE = 20000  # texts kept per catalogue; the templates' texts are literals, a few thousand in all


def _shown_once(gettext):
    """A template's ``_("text")`` without values, kept per catalogue as Jinja writes it: Jinja's newstyle gettext
    makes Markup of the translation and formats it with the (empty) values on every call (``%%`` written as
    ``%``), which cost a page of thirty texts a quarter of a millisecond. What it writes depends only on the
    catalogue (one per app and language), the text and whether the template escapes; a text with values is
    Jinja's as before."""
    from jinja2 import pass_context

    @pass_context
    def shown(context, string, **variables):
        if variables:
            return gettext(context, string, **variables)
        catalogue = _catalogue()
        memo = getattr(catalogue, "is2in_shown", None)
        if memo is None or len(memo) >= SHOWN_MEMO_SIZE:
            memo = catalogue.is2in_shown = {}
        key = (string, context.eval_ctx.autoescape)
        text = memo.get(key)
        if text is None:
            text = memo[key] = gettext(context, string)
        return text

    return shown


def _catalogue():
    """The catalogue of the language in force for a template's ``_()``: ``AppDomain.get_translations`` keeps it
    per request and language."""
    return babel.domain_instance.get_translations()


# --- Issue 15: stored text in the reader's language ----------------------------------------------
# What the portal writes into a row (a document's title, a notification's procedure and message) is read
# later by someone else, in another language. Two ways, both rendered when read, not when written:
# - a catalogue key (the Russian source text of a _l() string) kept as is and translated on display;
# - a text with values in it (a notification) written once per language, as JSON.


def source_text(value) -> str:
    """The Russian source text (the catalogue key) of ``value``: a lazy string rendered in Russian,
    anything else as it is."""
    from flask_babel import force_locale

    if has_request_context() or _has_app():
        with force_locale("ru"):
            return str(value)
    return str(value)


def _has_app() -> bool:
    from flask import has_app_context

    return has_app_context()


def is_lazy(value) -> bool:
    from flask_babel.speaklater import LazyString

    return isinstance(value, LazyString)


def in_languages(value) -> str:
    """JSON of ``value`` in every language of the portal, for a lazy string (its values included);
    an empty string for plain text, which reads the same in any language."""
    import json

    from flask import current_app
    from flask_babel import force_locale

    if not is_lazy(value):
        return ""
    texts = {}
    for code in current_app.config["LANGUAGES"]:
        with force_locale(code):
            texts[code] = str(value)
    return json.dumps(texts, ensure_ascii=False)


def in_reader_language(stored: str, translations: str = "") -> str:
    """What a row says, in the reader's language: its JSON of languages if it has one, else the stored
    text looked up in the catalogues (a key translates, other text comes back unchanged)."""
    import json

    from flask_babel import get_locale, gettext

    if translations:
        try:
            texts = json.loads(translations)
        except ValueError:
            texts = {}
        text = texts.get(str(get_locale() or "ru"))
        if text:
            return text
    return gettext(stored) if stored and _has_app() else stored


class Key(str):
    """A stored catalogue key: equal to its Russian source text (so comparisons and queries use the key),
    shown by Jinja (``__html__``) in the reader's language."""

    __slots__ = ()

    def __html__(self):
        from markupsafe import escape

        return str(escape(in_reader_language(str(self))))

    @property
    def text(self) -> str:
        return in_reader_language(str(self))


def key_field(**kwargs):
    """A peewee CharField holding a catalogue key: a lazy string is stored as its Russian source text, and
    read back as a ``Key``."""
    import peewee as pw

    class KeyField(pw.CharField):
        def db_value(self, value):
            return super().db_value(source_text(value) if is_lazy(value) else value)

        def python_value(self, value):
            return Key(value) if value is not None else None

    return KeyField(**kwargs)
