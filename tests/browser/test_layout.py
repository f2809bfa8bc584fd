"""Issue 15: every main page of every kind of user fits a laptop and a phone, in three languages, with no
serious accessibility fault.

One browser, one context per role: the pages of the role's menu (both copies: the sections' row and the
phone's disclosure), its home, profile and notifications are opened once per language, then measured at
1366×768, 1280×800 and 390×844 by resizing the same page (media queries re-apply; no reload). Checked:

- no horizontal overflow: ``scrollWidth <= clientWidth`` of the document;
- no clipped header control: each visible link, button and summary of the header lies inside the viewport
  and shows its whole text;
- axe-core (vendored, tests/browser/vendor, ``make vendor``): zero violations of impact critical or serious,
  in Russian at the laptop and phone sizes and in Kazakh and English at the laptop size;
- in English no Cyrillic word of the portal's own (words of the data — names, organisations, catalogues —
  are collected from the database and excepted); in Kazakh no word of the Russian page that is not Kazakh
  too (again data excepted).
"""

import datetime
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-4.11.0.min.js"
SIZES = {"1366": (1366, 768), "1280": (1280, 800), "390": (390, 844)}
ROLES = {
    "client": "issuer@demo.kz",
    "first_head": "ceo@demo.kz",
    "partner": "broker@demo.kz",
    "office": "office@exchange.demo",
    "listing": "listing@exchange.demo",
    "admin": "admin@exchange.demo",
    "seller": "seller@demo.kz",
    "buyer": "buyer1@demo.kz",
    "cd": "csd@demo.kz",
}
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+(?:-[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+)*")
# Words a Kazakh page rightly shares with the Russian one (international words, abbreviations).
SHARED_KK_RU = {"is2in", "ЭЦП", "БИН", "ИИН", "АО", "ТОО", "НАО", "РГП", "ISIN", "ЦД", "API", "PDF", "ID"}

OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > doc.clientWidth + 1 && getComputedStyle(e).position !== 'fixed'
      && !e.closest('.visually-hidden, .skip-link') && e.closest('[style*=overflow], .table, pre') === null;
  }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
      + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
}"""

CLIPPED = """() => {
  const out = [];
  const controls = '.topbar a, .topbar button, .usermenu summary, .usermenu .menu-wide a, .company';
  for (const e of document.querySelectorAll(controls)) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    const cut = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible';
    if (r.left < -1 || r.right > window.innerWidth + 1 || cut)
      out.push(e.textContent.trim().slice(0, 40) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return out;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  // critical and serious ones, and the empty header cells the issue named (minor in axe)
  return result.violations.filter(v => ['critical', 'serious'].includes(v.impact) || v.id === 'empty-table-header')
    .map(v =>
    v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def _data_words() -> set[str]:
    """Every Cyrillic word stored in a text column: the data a page may show in any language."""
    from core.db import db

    words = set()
    for table in db.get_tables():
        columns = [c.name for c in db.get_columns(table) if c.data_type.lower().startswith(("varchar", "text", "char"))]
        if not columns or table == "migration_history":
            continue
        select = ", ".join(f'"{c}"' for c in columns)
        for row in db.execute_sql(f'SELECT {select} FROM "{table}"').fetchall():  # noqa: S608 - our own table names
            for value in row:
                if isinstance(value, str):
                    words.update(CYRILLIC_WORD.findall(value))
    return words


@pytest.fixture
def inbox_rows(returning):
    """Applications waiting at the Exchange (registration and expertise), one overdue, so the inbox and the
    lists have full rows: the widest the tables get."""
    from core.accounts.models import Organisation
    from core.db import utcnow
    from core.workflow.models import Application

    issuer = Organisation.get(Organisation.code == "DEMO")
    author, office = returning["issuer@demo.kz"], returning["office@exchange.demo"]
    today = datetime.date.today()
    for n, (process, left) in enumerate((("registration", 3), ("registration", -2), ("expertise", 10))):
        Application.create(
            number=f"L-2026-{n + 1:04d}",
            organisation=issuer,
            procedure="listing.shares",
            process=process,
            status="submitted",
            author=author,
            executor=office,
            submitted_at=utcnow(),
            deadline=today + datetime.timedelta(days=left),
        )
    return returning


def _pages(page) -> list[str]:
    links = page.eval_on_selector_all(".usermenu a[href]", "els => els.map(e => e.getAttribute('href'))")
    seen = ["/", "/cabinet/profile", "/cabinet/notifications"]
    for href in links:
        if href.startswith("/") and href not in seen:
            seen.append(href)
    return seen


def _measure(page, label, problems, axe=False):
    size = page.evaluate(OVERFLOW)
    if size["scroll"] > size["client"]:
        problems.append(f"{label}: page {size['scroll']} px wide in {size['client']} px ({', '.join(size['wide'])})")
    clipped = page.evaluate(CLIPPED)
    if clipped:
        problems.append(f"{label}: header controls cut: {clipped}")
    if axe:
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8"))
        for violation in page.evaluate(AXE_RUN):
            problems.append(f"{label}: axe {violation}")


def _segments(page) -> set[str]:
    """The page's own text, one string per text node; other languages' labels ([lang]), the user's name
    and organisation, and what is typed in controls are left out."""
    return set(
        page.evaluate(
            """() => { const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
              const node = walker.currentNode, text = node.textContent.replace(/\\s+/g, ' ').trim();
              if (!text || node.parentElement.closest('[lang]:not(html), script, .company, .whoami, select, textarea'))
                continue;
              if (node.parentElement.getClientRects().length === 0 && !node.parentElement.closest('details')) continue;
              out.push(text);
            }
            return out; }"""
        )
    )


def _kazakh_vocabulary() -> set[str]:
    """Every word of the Kazakh catalogues' translations: what a Kazakh page may say."""
    import holidays

    root = Path(__file__).resolve().parents[2]
    words = set()
    for po in [
        *root.glob("core/translations/kk/LC_MESSAGES/messages.po"),
        *root.glob("plugins/*/translations/kk/LC_MESSAGES/messages.po"),
    ]:
        in_msgstr = False
        for line in po.read_text(encoding="utf-8").splitlines():
            in_msgstr = line.startswith("msgstr") or (in_msgstr and line.startswith('"'))
            if in_msgstr:
                words.update(CYRILLIC_WORD.findall(line))
    for year in range(2024, 2029):
        for name in holidays.country_holidays("KZ", years=year, language="kk").values():
            words.update(CYRILLIC_WORD.findall(name))
    return words


def _untranslated(code, segments, russian, data, vocabulary) -> list[str]:
    """English: any Cyrillic word not of the data. Kazakh: a text the Russian page shows identically whose
    words are neither Kazakh (the catalogues' own) nor data — a Russian phrase left over."""
    found = []
    for text in sorted(segments):
        words = [w for w in CYRILLIC_WORD.findall(text) if w not in data and w not in SHARED_KK_RU]
        if code == "en" and words:
            found.append(text)
        elif code == "kk" and text in russian and [w for w in words if w not in vocabulary]:
            found.append(text)
    return found


def _set_language(page, code):
    page.locator(f".lang-switch button[value={code}]").click()
    page.locator(f"html[lang={code}]").wait_for(state="attached")
    page.wait_for_load_state()


def test_every_main_page_fits_and_passes_axe_in_three_languages(browser, live_server, inbox_rows, login):
    """Each role's pages at three sizes in Russian and at 1366 and 390 px in Kazakh and English; axe-core on
    each distinct page once per language (laptop) and once on the phone in Russian, to keep the run short."""
    assert AXE.exists(), "axe-core is vendored by `make vendor`"
    data, vocabulary = _data_words(), _kazakh_vocabulary()
    problems, scanned = [], set()
    for role, email in ROLES.items():
        context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 768})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            login(page, email)
            pages = _pages(page)
            russian = {}
            for path in pages:
                page.goto(path)
                russian[path] = _segments(page)
                for name, (width, height) in SIZES.items():
                    page.set_viewport_size({"width": width, "height": height})
                    axe = name in ("1366", "390") and (path, name) not in scanned
                    scanned.add((path, name))
                    _measure(page, f"{role} ru {name} {path}", problems, axe=axe)
                page.set_viewport_size({"width": 1366, "height": 768})
            for code in ("kk", "en"):
                _set_language(page, code)
                for path in pages:
                    page.goto(path)
                    _measure(page, f"{role} {code} 1366 {path}", problems, axe=(path, code) not in scanned)
                    scanned.add((path, code))
                    page.set_viewport_size({"width": 390, "height": 844})
                    _measure(page, f"{role} {code} 390 {path}", problems)
                    page.set_viewport_size({"width": 1366, "height": 768})
                    left = _untranslated(code, _segments(page), russian[path], data, vocabulary)
                    if left:
                        problems.append(f"{role} {code} {path}: Russian left untranslated: {left[:8]}")
            _set_language(page, "ru")
        finally:
            context.close()
    assert not problems, f"{len(problems)} problems\n" + "\n".join(problems)


def test_the_phone_menu_is_a_disclosure_that_opens_by_keyboard_without_javascript(browser, live_server, returning):
    """At 390 px the staff menu is one "Меню" button; with JavaScript off it opens from the keyboard and
    lists every section's pages; "Выйти" is whole and inside the screen."""
    from tests.browser.conftest import PASSWORD

    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Адрес электронной почты").fill("admin@exchange.demo")
        page.get_by_label("Пароль", exact=False).first.fill(PASSWORD)
        page.get_by_label("С пользовательским соглашением ознакомлен(а)").check()
        page.get_by_role("button", name="Войти").click()
        page.wait_for_url(lambda url: "/login" not in url)
        menu = page.get_by_role("navigation", name="Меню пользователя")
        mail = menu.get_by_role("link", name="Почта", exact=True)
        assert not mail.is_visible()
        summary = menu.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert mail.is_visible()
        for section in ("Заявления", "Организации и пользователи", "Справочники", "Система"):
            assert menu.locator(".menu-group", has_text=section).is_visible(), section
        logout = page.get_by_role("button", name="Выйти")
        box = logout.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert logout.evaluate("b => b.scrollWidth <= b.clientWidth")
        mail.click()
        assert page.get_by_role("heading", level=1).first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_inbox_shows_its_deadline_and_actions_on_a_laptop(browser, live_server, inbox_rows, login, width):
    """Issue 15, item 1: at 1280 and 1366 px the whole inbox row is on screen, "Срок" second; the sorted
    column says so on its header cell (aria-sort on a link is invalid ARIA)."""
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        login(page, "office@exchange.demo")
        page.goto("/staff/inbox?sort=deadline&dir=asc")
        table = page.locator("table.applications")
        headers = [t.strip() for t in table.locator("thead th").all_inner_texts()]
        assert headers[1].startswith("Срок"), headers
        for name in ("Срок", "Действия"):
            box = table.get_by_role("columnheader", name=re.compile(f"^{name}")).bounding_box()
            assert box["x"] + box["width"] <= width, (name, box)
        assert table.locator('th[aria-sort="ascending"]').inner_text().startswith("Срок")
        assert page.locator("a[aria-sort]").count() == 0
        first = table.locator("tbody tr").first
        assert first.get_by_role("link", name=re.compile("^Подробнее")).is_visible()
        # overdue first in ascending order of the deadline, and marked
        assert "просрочено" in first.inner_text()
    finally:
        context.close()


def test_the_language_check_catches_russian_and_spares_kazakh_and_data():
    """The check itself: a Russian phrase on a Kazakh or English page is caught; Kazakh words, loanwords
    of the catalogues and the data's own words are not."""
    vocabulary = _kazakh_vocabulary()
    assert _untranslated("kk", {"Нормативная база"}, {"Нормативная база"}, set(), vocabulary) == ["Нормативная база"]
    assert _untranslated("kk", {"Нормативтік база"}, {"Нормативная база"}, set(), vocabulary) == []
    assert _untranslated("kk", {"Наурыз мейрамы"}, {"Наурыз мейрамы"}, set(), vocabulary) == []
    assert _untranslated("en", {"Regulations", "Ахметова Айгерим"}, set(), {"Ахметова", "Айгерим"}, vocabulary) == []
    assert _untranslated("en", {"Подробнее"}, set(), set(), vocabulary) == ["Подробнее"]


def test_the_checks_see_a_page_wider_than_the_phone_and_a_cut_header(browser, live_server):
    """The measures themselves: a 600 px block on a 390 px page is overflow; a header link pushed off the
    screen is cut."""
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/login")
        problems = []
        _measure(page, "clean", problems)
        assert problems == []
        page.evaluate("document.querySelector('main').appendChild(document.createElement('div')).style.width = '600px'")
        page.evaluate("document.querySelector('.topbar a').style.marginLeft = '500px'")
        _measure(page, "broken", problems)
        assert any("px wide in 390 px" in p for p in problems), problems
        assert any("header controls cut" in p for p in problems), problems
    finally:
        context.close()


def test_an_empty_form_lands_on_the_error_summary_and_its_links_reach_the_fields(
    browser, live_server, returning, login
):
    """Issue 15, item 4, as a keyboard user meets it: after an empty "Сохранить" (an htmx swap) focus is on
    the summary, which lists every empty field at once; its link takes focus to the field."""
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, "issuer@demo.kz")
        page.goto("/cabinet/profile")
        for name in ("first_name", "last_name", "position", "phone"):
            page.locator(f"#{name}").fill("")
        page.locator("main form button[type=submit]").first.click()
        summary = page.locator(".error-summary")
        summary.wait_for()
        page.wait_for_function("document.activeElement && document.activeElement.matches('.error-summary')")
        links = summary.get_by_role("link")
        assert links.count() >= 4, links.all_inner_texts()
        assert page.get_by_text("Проверьте выделенные поля: данные не сохранены.").count() == 1
        links.first.click()
        page.wait_for_function("document.activeElement && document.activeElement.id === 'first_name'")
    finally:
        context.close()
