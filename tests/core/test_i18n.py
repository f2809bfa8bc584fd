"""Languages: Russian by default, Kazakh and English complete; the switch; the guide's labels."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("core/translations/*/LC_MESSAGES/messages.po")) + sorted(
    ROOT.glob("plugins/*/translations/*/LC_MESSAGES/messages.po")
)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_kazakh_and_english_catalogues_are_complete(path):
    with path.open("rb") as fh:
        catalogue = read_po(fh)
    empty = [m.id for m in catalogue if m.id and not m.string]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not empty, f"{len(empty)} untranslated, e.g. {empty[:3]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:3]}"
    for message in catalogue:
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id


def test_both_languages_exist_for_the_core():
    assert {p.parts[-3] for p in CATALOGUES if "core" in p.parts} == {"kk", "en"}


def test_language_switch_changes_the_page_and_is_remembered(client, auth, make):
    from core.accounts.models import User

    user = make.user(email="a@example.kz")
    auth.login("a@example.kz")
    response = client.post("/language", data={"lang": "kk", "next": "/procedures"})
    assert response.headers["Location"] == "/procedures"
    html = client.get("/procedures").get_data(as_text=True)
    assert 'lang="kk"' in html and "Рәсімдер" in html
    assert User.get_by_id(user.id).locale == "kk"
    html = client.post("/language", data={"lang": "en", "next": "/procedures"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert 'lang="en"' in html and "Procedures" in html and "Sign out" in html


def test_the_switch_refuses_foreign_targets_and_unknown_languages(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_guide_labels_are_exact_in_russian(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/cabinet/profile").get_data(as_text=True)
    for label in ("Сохранить", "Редактировать профиль", "Уведомления", "Выйти", "Новый пароль еще раз"):
        assert label in html


def test_a_templates_texts_follow_a_forced_language_and_come_back_after_it(app):
    """Templates find the catalogue once per request and language (core.i18n, issue #20): a language forced in the
    middle of a request (mail to someone reading Kazakh) is still honoured, and the reader's comes back after it."""
    from flask import render_template_string, session
    from flask_babel import force_locale

    page = "{{ _('Архив') }}|{{ ngettext('%(num)s день', '%(num)s дня', 1) }}"
    with app.test_request_context("/"):
        session["lang"] = "en"
        before = render_template_string(page)
        with force_locale("kk"):
            forced = render_template_string(page)
            with force_locale("ru"):
                inner = render_template_string(page)
            again = render_template_string(page)
        after = render_template_string(page)
    assert before.startswith("Archive|") and after == before
    assert forced.startswith("Мұрағат|") and again == forced
    assert inner.startswith("Архив|")


def test_a_lazy_text_follows_a_forced_language_and_a_refresh_within_one_request(app):
    """A lazy text (a field's label, a stage's title) finds its catalogue once per request and language too
    (``AppDomain.get_translations``, issue #20): a forced language and a switch mid-request are each honoured."""
    from flask import session
    from flask_babel import force_locale, lazy_gettext, refresh

    label = lazy_gettext("Архив")
    with app.test_request_context("/"):
        session["lang"] = "en"
        before = str(label)
        with force_locale("kk"):
            forced = str(label)
        after = str(label)
        session["lang"] = "ru"
        refresh()
        switched = str(label)
    assert (before, forced, after, switched) == ("Archive", "Мұрағат", "Archive", "Архив")


def test_a_templates_text_without_values_is_written_as_jinja_writes_it(app):
    """core.i18n._shown_once keeps ``_("text")`` per catalogue: the same output as Jinja's own newstyle gettext,
    escaped or not as the template is, ``%%`` written once, twice in a row and in another language."""
    from flask import session
    from flask_babel import refresh
    from jinja2 import Environment

    jinja = Environment(extensions=["jinja2.ext.i18n"])
    jinja.install_gettext_callables(gettext=lambda s: s, ngettext=lambda s, p, n: s, newstyle=True)
    page = "{{ _('Архив') }}|{{ _('100%% <b>&') }}|{{ _('%(n)s <i>', n='<x>') }}"
    with app.test_request_context("/"):
        for autoescape in (True, False):
            env = app.jinja_env.overlay(autoescape=autoescape)
            jinja.autoescape = autoescape
            expected = jinja.from_string(page).render()
            assert env.from_string(page).render() == env.from_string(page).render() == expected
        session["lang"] = "en"
        refresh()
        assert app.jinja_env.from_string("{{ _('Архив') }}").render() == "Archive"


def test_a_lazy_text_in_a_template_is_written_as_flask_babel_writes_it(app):
    """core.i18n._lazy_shown (Jinja's finalize) translates lazy texts from the request's catalogue: the same text
    as str() of it, with its values and escaped, in each language and under a forced one; other values and other
    kinds of lazy text are left to Jinja as before."""
    from flask import render_template_string, session
    from flask_babel import force_locale, lazy_gettext, lazy_pgettext, refresh
    from markupsafe import Markup

    plain, valued = (
        lazy_gettext("Архив"),
        lazy_gettext("Файл слишком большой. Допустимый размер — не более %(mb)s МБ.", mb="<5>"),
    )
    other = lazy_pgettext("context", "Архив")
    page = "{{ plain }}|{{ valued }}|{{ other }}|{{ none }}|{{ 7 }}|{{ markup }}|{{ text }}"
    values = {"plain": plain, "valued": valued, "other": other, "none": None, "markup": Markup("<b>"), "text": "<i>"}

    def expected():
        return f"{plain}|{valued}|{other}|None|7|<b>|&lt;i&gt;".replace("<5>", "&lt;5&gt;")

    with app.test_request_context("/"):
        for lang in ("ru", "kk", "en"):
            session["lang"] = lang
            refresh()
            assert render_template_string(page, **values) == expected()
            with force_locale("kk"):
                assert render_template_string(page, **values) == expected()
        assert str(plain) == "Archive"
