"""One short browser journey per procedure category beyond listing (G-12): KASE Private Market filed by
the financial consultant with the instrument cascade (G-16), an admission to membership with its
categories, an audit organisation's inclusion in the Exchange's list, and an issuer's disclosure
calendar; with the public pages of each (no sign-in)."""

import datetime
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from core.accounts.models import Organisation
from core.workflow import engine
from core.workflow.models import CascadeNode
from plugins.disclosure.models import Obligation
from tests.browser.listing_steps import (
    ARTIFACTS,
    PDF,
    app_status,
    button,
    menu,
    open_from_list,
    open_tab,
    settled,
    status,
    tab,
)

pytestmark = pytest.mark.browser

NO = "Нет"


@dataclass(frozen=True)
class Pick:
    """An option of a <select>, by its visible text."""

    label: str


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"plugins_{name}.png"), full_page=True, caret="initial")


def file_procedure(page, field, category, title, company=None):
    """G-13: "Процедуры", the category (G-12), the procedure, "Подать", the company, "Создать"."""
    menu(page, "Процедуры")
    section = page.locator("details.category").filter(has=page.get_by_role("heading", name=category, level=2))
    expect(section).to_have_count(1)
    if section.get_attribute("open") is None:
        section.locator("summary").first.click()
    procedure = section.get_by_role("listitem").filter(has=page.get_by_role("heading", name=title, exact=True))
    procedure.get_by_role("link", name="Подать").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    if company:
        field(page, "Компания").select_option(label=company)
    button(page, "Создать").click()
    status(page, "создано. Заполните этапы по порядку.")
    return page.locator("dl.facts dt:text-is('Номер заявления') + dd").inner_text()


def fill(scope, field, values: dict):
    """Type, pick and tick as a person does: str → typed, Pick → chosen, True → ticked."""
    for label, value in values.items():
        if value is True:
            scope.get_by_label(label, exact=True).check()
        elif isinstance(value, Pick):
            field(scope, label).select_option(label=value.label)
        else:
            field(scope, label).fill(value)


def stage(page, field, title, values):
    """Fill the open stage and press "Готово"."""
    expect(tab(page, title)).to_have_attribute("aria-current", "page")
    fill(page.locator("#stage-panel"), field, values)
    button(page.locator("#stage-panel"), "Готово").click()
    status(page, f"Этап «{title}» заполнен.")


def documents(page, field, titles):
    expect(tab(page, "Документы")).to_have_attribute("aria-current", "page")
    for title in titles:
        field(page, "Документ").select_option(label=title)
        field(page, "Файл").set_input_files(PDF)
        button(page, "Приложить").click()
        status(page, f"Документ «{title}» приложен: doc.pdf.")
    expect(page.locator("#stage-panel table").get_by_text("Не приложен")).to_have_count(0)
    button(page.locator("#stage-panel"), "Готово").click()
    status(page, "Этап «Документы» заполнен.")


def send_to_head(page):
    """The last tab: "Направить на согласование"; the application goes to the first head."""
    expect(tab(page, "Направить на согласование")).to_have_attribute("aria-current", "page")
    button(page, "Направить на согласование").click()
    status(page, "Заявление направлено первому руководителю на согласование.")
    expect(app_status(page)).to_have_text("На согласовании")


def kpm_node(*labels):
    """The ids of a path in the KASE Private Market catalogue, by Russian labels."""
    ids, parent = [], None
    for label in labels:
        where = (CascadeNode.catalogue == "kpm") & (CascadeNode.label_ru == label)
        where &= CascadeNode.parent.is_null() if parent is None else (CascadeNode.parent == parent)
        parent = CascadeNode.get(where).id
        ids.append(parent)
    return ids


def footer_link(page, name):
    page.get_by_role("contentinfo").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    settled(page)


# --- KASE Private Market (G-12 category 2) ----------------------------------------------------------


KPM = "Допуск финансовых инструментов на площадку KASE Private Market"
KPM_DOCUMENTS = (
    "Устав эмитента",
    "Решение уполномоченного органа эмитента о выпуске финансовых инструментов",
    "Документ, определяющий условия выпуска (проспект выпуска, правила паевого инвестиционного фонда)",
    "Инвестиционный меморандум",
    "Финансовая отчетность за последний завершенный год",
)
KPM_ISIN = "KZ2P00000425"


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-16")
def test_kase_private_market_filed_by_the_consultant(page, other_browser, returning, login, field):
    broker = page
    login(broker, "broker@demo.kz")
    # A full page load after signing in: the CSRF token htmx sends from <body hx-headers> is refused until
    # then (test_htmx_csrf_header_is_valid_right_after_signing_in), and the instrument's requirements form
    # relies on it alone (test_kpm_requirements_save_without_javascript).
    broker.reload()
    number = file_procedure(
        broker, field, "Сектор «Нелистинговые ценные бумаги» и KASE Private Market", KPM, "DEMO — АО «Demo Issuer»"
    )
    assert number.startswith("KPM-"), number
    stage(
        broker,
        field,
        "Сведения об эмитенте",
        {
            "Полное наименование эмитента": "АО «Demo Issuer»",
            "Сокращенное наименование": "Demo Issuer",
            "Резидентство": Pick("Резидент Республики Казахстан"),
            "БИН": Organisation.get(Organisation.code == "DEMO").bin,
            "Дата государственной регистрации": "2005-01-14",
            "Юридический адрес": "Алматы, пр. Абая, 1",
            "Телефон": "+7 727 000 00 00",
            "Адрес электронной почты": "info@demo.kz",
            "Основные виды деятельности": "Производство строительных материалов",
        },
    )
    # The consultant files for its partner: it needs no consultant of its own.
    expect(tab(broker, "Сведения о финансовом консультанте")).to_have_attribute("aria-current", "page")
    button(broker.locator("#stage-panel"), "Пропустить этап").click()
    status(broker, "Этап «Сведения о финансовом консультанте» пропущен.")
    stage(
        broker,
        field,
        "Заявление",
        {
            "Цель допуска": Pick("Размещение и последующее обращение"),
            "Круг инвесторов": Pick("Только квалифицированные инвесторы"),
            "Планируемый объем привлечения, тенге": "500000000",
            "Член Биржи, сопровождающий размещение (андеррайтер)": "АО «Demo Broker»",
            "Подтверждаем достоверность сведений и обязуемся соблюдать внутренние документы Биржи": True,
        },
    )

    # The instruments: ISIN and the cascade "Тип инструмента" › "Вид инструмента" (G-16), by htmx.
    expect(tab(broker, "Сведения о финансовых инструментах")).to_have_attribute("aria-current", "page")
    field(broker, "ISIN").fill(KPM_ISIN)
    expect(field(broker, "Вид инструмента")).to_have_count(0)
    with broker.expect_response(lambda r: "cascade=1" in r.url):
        field(broker, "Тип инструмента").select_option(label="Акции")
    kinds = field(broker, "Вид инструмента")
    expect(kinds).to_be_visible()  # swapped in by htmx
    settled(broker)
    expect(kinds.locator("option")).to_have_text(["— выберите —", "Простые акции", "Привилегированные акции"])
    with broker.expect_response(lambda r: "cascade=1" in r.url):
        field(broker, "Тип инструмента").select_option(label="Облигации")
    expect(field(broker, "Вид инструмента").locator("option")).to_have_text(
        ["— выберите —", "Купонные облигации", "Дисконтные облигации"]
    )  # the list follows the type chosen above it
    settled(broker)
    expect(button(broker, "Добавить")).to_have_count(0)  # nothing to add until the last level
    with broker.expect_response(lambda r: "cascade=1" in r.url):
        field(broker, "Вид инструмента").select_option(label="Купонные облигации")
    expect(button(broker, "Добавить")).to_be_visible()
    settled(broker)
    expect(field(broker, "ISIN")).to_have_value(KPM_ISIN)  # typed before the swaps, still there
    expect(field(broker, "Тип инструмента").locator("option:checked")).to_have_text("Облигации")
    shot(broker, "kpm_cascade")
    button(broker, "Добавить").click()
    expect(broker.get_by_role("heading", name=f"Требования к облигациям: {KPM_ISIN}", level=1)).to_be_visible()
    expect(broker.get_by_text("Облигации › Купонные облигации")).to_be_visible()
    settled(broker)  # the form has no CSRF field of its own: it posts through htmx, with the header
    maturity = datetime.date.today().replace(day=1) + datetime.timedelta(days=5 * 366)
    fill(
        broker,
        field,
        {
            "Объем выпуска по номинальной стоимости, тенге": "500000000",
            "Номинальная стоимость одной облигации, тенге": "1000",
            "Дата погашения": maturity.isoformat(),
            "Ставка вознаграждения, % годовых": "14.5",
            "Периодичность выплаты вознаграждения": Pick("Два раза в год"),
            "Обеспечение": Pick("Необеспеченные"),
        },
    )
    button(broker, "Сохранить").click()
    status(broker, f"Требования по {KPM_ISIN} сохранены.")
    row = broker.get_by_role("row").filter(has=broker.get_by_role("cell", name=KPM_ISIN, exact=True))
    expect(row).to_contain_text("Облигации › Купонные облигации")
    expect(row).to_contain_text("Заполнено")
    button(broker.locator("#stage-panel"), "Готово").click()
    status(broker, "Этап «Сведения о финансовых инструментах» заполнен.")

    documents(broker, field, KPM_DOCUMENTS)
    stage(
        broker,
        field,
        "Анкета по ПОД/ФТ",
        {
            "Бенефициарные собственники (ФИО, доля владения)": "Иванов И.И., 60%",
            "Являются ли бенефициарные собственники публичными должностными лицами": Pick(NO),
            "Включены ли организация или ее бенефициарные собственники в санкционные списки": Pick(NO),
            "Утверждены правила внутреннего контроля по ПОД/ФТ": True,
            "Ответственный работник по ПОД/ФТ (ФИО, должность)": "Петров П.П., комплаенс-контролер",
        },
    )
    expect(tab(broker, "Направить на согласование")).to_have_attribute("aria-current", "page")
    expect(button(broker, "Направить на согласование")).to_have_count(0)  # the applicant sends, not the consultant

    # The issuer sends it to its first head; the journey stops there.
    issuer = other_browser()
    login(issuer, "issuer@demo.kz")
    open_from_list(issuer, "На рассмотрении", number)
    open_tab(issuer, "Направить на согласование")
    send_to_head(issuer)
    shot(issuer, "kpm_sent")


@pytest.mark.rule("G-16")
def test_kpm_requirements_save_without_javascript(browser, live_server, client, auth, returning, field):
    auth.login("broker@demo.kz")
    demo_id = Organisation.get(Organisation.code == "DEMO").id
    created = client.post("/procedures/nonlisting.private_market/file", data={"company": str(demo_id)})
    app_url = created.headers["Location"]
    levels = kpm_node("Облигации", "Купонные облигации")
    added = client.post(
        f"{app_url}/stages/instruments/securities",
        data={"isin": KPM_ISIN, **{f"level{i}": str(n) for i, n in enumerate(levels)}},
    )
    security_url = added.headers["Location"]
    assert "/securities/" in security_url, added.status_code

    context = browser.new_context(base_url=live_server, locale="ru-RU", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/login")
        field(page, "Адрес электронной почты").fill("broker@demo.kz")
        field(page, "Пароль").fill("Demo!2345")
        page.get_by_label("С пользовательским соглашением ознакомлен(а)").check()
        button(page, "Войти").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(security_url)
        expect(page.get_by_role("heading", name=f"Требования к облигациям: {KPM_ISIN}", level=1)).to_be_visible()
        fill(
            page,
            field,
            {
                "Объем выпуска по номинальной стоимости, тенге": "500000000",
                "Номинальная стоимость одной облигации, тенге": "1000",
                "Дата погашения": "2031-06-30",
                "Периодичность выплаты вознаграждения": Pick("Два раза в год"),
                "Обеспечение": Pick("Необеспеченные"),
            },
        )
        button(page, "Сохранить").click()
        expect(page.get_by_role("status").filter(has_text=f"Требования по {KPM_ISIN} сохранены.")).to_be_visible(
            timeout=3000
        )
    finally:
        context.close()


def test_htmx_csrf_header_is_valid_right_after_signing_in(page, returning, login):
    import json

    login(page, "broker@demo.kz")
    token = json.loads(page.locator("[hx-headers]").first.get_attribute("hx-headers"))["X-CSRFToken"]
    status = page.evaluate(
        """async (token) => (await fetch('/logout', {method: 'POST', headers: {'X-CSRFToken': token},
                                                     redirect: 'manual'})).status""",
        token,
    )
    assert status != 400, "the X-CSRFToken header htmx sends is refused"


# --- Membership (G-12 category 4) -------------------------------------------------------------------


ADMISSION_DOCUMENTS = (
    "Устав организации",
    "Лицензия на осуществление деятельности на рынке ценных бумаг",
    "Решение уполномоченного органа организации о вступлении в члены Биржи",
    "Годовая финансовая отчетность за последний завершенный год с аудиторским отчетом",
    "Квалификационные свидетельства работников",
)


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-16")
def test_membership_admission_and_the_public_members_page(page, other_browser, returning, login, field):
    candidate = page
    login(candidate, "candidate@demo.kz")
    number = file_procedure(candidate, field, "Членство на Бирже", "Прием в члены Биржи")
    assert number.startswith("M-"), number
    stage(
        candidate,
        field,
        "Сведения об организации",
        {
            "Полное наименование организации": "АО «Demo Candidate»",
            "Сокращенное наименование": "Demo Candidate",
            "БИН": Organisation.get(Organisation.code == "CAND").bin,
            "Вид организации": Pick("Брокер и (или) дилер"),
            "Дата государственной регистрации": "2011-03-04",
            "Юридический адрес": "Алматы, ул. Байзакова, 280",
            "Первый руководитель (ФИО, должность)": "Сейтов Бауыржан, Председатель Правления",
            "Телефон": "+7 727 000 00 01",
            "Адрес электронной почты": "office@candidate.kz",
        },
    )
    stage(
        candidate,
        field,
        "Лицензии",
        {
            "Номер лицензии": "3.2.238/15",
            "Дата выдачи лицензии": "2019-06-11",
            "Брокерская деятельность с правом ведения счетов клиентов": True,
            "Дилерская деятельность": True,
        },
    )
    # The categories are a group of checkboxes; at least one is required (G-16, simple forms).
    expect(tab(candidate, "Заявление")).to_have_attribute("aria-current", "page")
    categories = candidate.get_by_role("group", name=re.compile(r"^Категории членства"))
    expect(categories.get_by_role("checkbox")).to_have_count(3)
    candidate.get_by_label("Обязуемся соблюдать внутренние документы Биржи и уплачивать членские взносы").check()
    candidate.get_by_label("Подтверждаем достоверность сведений").check()
    button(candidate.locator("#stage-panel"), "Готово").click()
    # named twice, as GOV.UK does: at the field and, as a link to it, in the error summary
    expect(candidate.locator("p.error", has_text="Выберите хотя бы одну категорию.")).to_be_visible()
    expect(
        candidate.locator(".error-summary").get_by_role(
            "link", name=re.compile(re.escape("Выберите хотя бы одну категорию."))
        )
    ).to_be_visible()
    stage(
        candidate,
        field,
        "Заявление",
        {
            "Фондовая": True,
            "Валютная": True,
            "Обязуемся соблюдать внутренние документы Биржи и уплачивать членские взносы": True,
            "Подтверждаем достоверность сведений": True,
        },
    )
    stage(
        candidate,
        field,
        "Квалифицированный персонал",
        {
            "Количество работников, имеющих квалификационные свидетельства": "4",
            "Трейдеры (ФИО, должность, номер квалификационного свидетельства)": "Иванов И.И., трейдер, № 123",
            "Руководитель бэк-офиса (ФИО)": "Ахметова А.А.",
            "Риск-менеджер (ФИО)": "Ли В.В.",
            "Комплаенс-контролер (ФИО)": "Петров П.П.",
        },
    )
    stage(
        candidate,
        field,
        "Техническая готовность",
        {
            "Способ доступа к торговой системе": Pick("Торговый терминал Биржи"),
            "Количество рабочих мест трейдеров": "2",
            "Есть резервный канал связи": True,
            "Пройдено тестовое подключение к торговой системе Биржи": True,
            "Ответственный за техническое взаимодействие (ФИО, телефон)": "Ким О., +7 701 000 00 02",
        },
    )
    documents(candidate, field, ADMISSION_DOCUMENTS)
    stage(
        candidate,
        field,
        "Анкета по ПОД/ФТ",
        {
            "Бенефициарные собственники (ФИО, доля владения)": "Сейтов Б., 70%",
            "Являются ли бенефициарные собственники публичными должностными лицами": Pick(NO),
            "Включены ли организация или ее бенефициарные собственники в санкционные списки": Pick(NO),
            "Ответственный работник по ПОД/ФТ (ФИО, должность)": "Петров П.П., комплаенс-контролер",
        },
    )
    send_to_head(candidate)
    shot(candidate, "membership_sent")

    # "Члены Биржи" for anyone, without signing in; a category narrows the list by htmx.
    public = other_browser()
    public.goto("/login")
    footer_link(public, "Члены Биржи")
    members = public.locator("#member-list")
    for name in ("Demo Seller", "Demo Buyer One", "Demo Buyer Two", "Demo Broker"):
        expect(members.get_by_role("row").filter(has_text=name)).to_have_count(1)
    expect(members).not_to_contain_text("Demo Candidate")  # not a member before the Board decides
    expect(members.get_by_role("row").filter(has_text="Demo Buyer One")).to_contain_text("Деривативы")
    filters = public.get_by_role("navigation", name="Категория членства")
    filters.get_by_role("link", name="Деривативы").click()
    expect(public.locator("#member-list").get_by_role("row").filter(has_text="Demo Seller")).to_have_count(0)
    expect(public.locator("#member-list")).to_contain_text("Demo Buyer One")
    expect(public).to_have_url(re.compile(r"/membership/members\?category=derivatives$"))
    shot(public, "members_public")


def test_members_filter_marks_the_chosen_category(other_browser, demo):
    public = other_browser()
    public.goto("/membership/members")
    filters = public.get_by_role("navigation", name="Категория членства")
    expect(filters.get_by_role("link", name="Все категории")).to_have_attribute("aria-current", "page")
    settled(public)
    filters.get_by_role("link", name="Деривативы").click()
    expect(public).to_have_url(re.compile(r"category=derivatives$"))
    expect(public.locator("#member-list")).not_to_contain_text("Demo Seller")
    settled(public)
    expect(filters.get_by_role("link", name="Деривативы")).to_have_attribute("aria-current", "page", timeout=2000)


# --- Audit organisations (G-12 category 3) ----------------------------------------------------------


AUDITORS = "Перечень аудиторских организаций, признаваемых Биржей"
INCLUSION_DOCUMENTS = (
    "Лицензия на занятие аудиторской деятельностью",
    "Квалификационные свидетельства аудиторов",
    "Документ о членстве в профессиональной аудиторской организации",
    "Договор страхования ответственности аудиторской организации",
    "Отчет о результатах внешней проверки контроля качества",
)


@pytest.mark.rule("G-12")
@pytest.mark.rule("G-13")
@pytest.mark.rule("G-16")
def test_auditors_public_list_and_an_inclusion_filed(page, other_browser, returning, login, field):
    public = other_browser()
    public.goto("/login")
    footer_link(public, AUDITORS)
    expect(public.get_by_role("table").get_by_role("columnheader")).to_have_text(
        [
            "Аудиторская организация",
            "БИН",
            "Статус",
            "Включена в перечень",
            "Соответствие подтверждено до",
            "Исключена",
        ]
    )
    shot(public, "auditors_public")

    auditor = page
    login(auditor, "auditor@demo.kz")
    number = file_procedure(
        auditor, field, AUDITORS, "Включение в перечень аудиторских организаций, признаваемых Биржей"
    )
    assert number.startswith("AU-"), number
    today = datetime.date.today()
    stage(
        auditor,
        field,
        "Сведения об аудиторской организации",
        {
            "Полное наименование аудиторской организации": "ТОО «Demo Audit»",
            "Сокращенное наименование": "Demo Audit",
            "Дата государственной регистрации": "2006-12-14",
            "Юридический адрес": "Алматы, ул. Фурманова, 100",
            "Телефон": "+7 727 000 00 01",
            "Адрес электронной почты": "office@audit.demo",
            "Интернет-ресурс": "https://audit.demo",
            "Руководитель (ФИО, должность)": "Жаксылыков С., директор",
            "Численность работников": "85",
        },
    )
    stage(
        auditor,
        field,
        "Лицензия и членство",
        {
            "Номер лицензии на занятие аудиторской деятельностью": "МФЮ-000123",
            "Дата выдачи лицензии": "2007-02-01",
            "Профессиональная аудиторская организация, членом которой является организация": (
                "Палата аудиторов Республики Казахстан"
            ),
        },
    )
    # A simple form's own check (G-16): the auditors listed must match the number on staff.
    expect(tab(auditor, "Партнеры и квалифицированные аудиторы")).to_have_attribute("aria-current", "page")
    people = {
        "Количество партнеров, являющихся аудиторами": "2",
        "Партнеры (ФИО, доля участия)": "Нурланова Д., 50%\nЖаксылыков С., 50%",
        "Количество квалифицированных аудиторов в штате": "3",
        "Квалифицированные аудиторы и их квалификационные свидетельства": (
            "Нурланова Дана; 0000123; 15.03.2012\nЖаксылыков Серик; 0000456; 01.07.2010"
        ),
    }
    fill(auditor.locator("#stage-panel"), field, people)
    button(auditor.locator("#stage-panel"), "Готово").click()
    # named twice, as GOV.UK does: at the field and, as a link to it, in the error summary
    expect(auditor.locator("p.error", has_text="Перечислено аудиторов: 2, а указано в штате: 3.")).to_be_visible()
    expect(
        auditor.locator(".error-summary").get_by_role(
            "link", name=re.compile(re.escape("Перечислено аудиторов: 2, а указано в штате: 3."))
        )
    ).to_be_visible()
    stage(
        auditor,
        field,
        "Партнеры и квалифицированные аудиторы",
        {**people, "Количество квалифицированных аудиторов в штате": "2"},
    )
    stage(
        auditor,
        field,
        "Контроль качества",
        {
            "Система управления качеством": Pick("Соответствует МСУК 1 (ISQM 1)"),
            "Партнер, ответственный за систему управления качеством (ФИО)": "Нурланова Д.",
            "Дата последней внешней проверки контроля качества": (today - datetime.timedelta(days=60)).isoformat(),
            "Кем проведена проверка": "Палата аудиторов Республики Казахстан",
            "Результат проверки": Pick("Без замечаний"),
            "Меры воздействия уполномоченного органа за последние три года": Pick(NO),
        },
    )
    stage(
        auditor,
        field,
        "Клиенты среди эмитентов",
        {
            "Аудированные эмитенты, ценные бумаги которых допущены на Биржу, за последние три года": "2",
            "Перечень таких эмитентов (по одному в строке)": "АО «Demo Issuer»\nАО «Demo Seller»",
            "Аудированные организации, представляющие общественный интерес, за последний год": "5",
            "Доход от аудиторских услуг за последний год, тыс. тенге": "350000",
        },
    )
    stage(
        auditor,
        field,
        "Страхование и членство в сети",
        {
            "Страховая организация": "АО «СК Demo»",
            "Номер договора страхования": "ОС-2026-17",
            "Страховая сумма, тыс. тенге": "500000",
            "Договор страхования действует до": today.replace(year=today.year + 2).isoformat(),
            "Членство в международной сети аудиторских организаций": Pick("Не состоит"),
        },
    )
    stage(
        auditor,
        field,
        "Заявление",
        {
            "Подтверждаем достоверность сведений и соответствие организации требованиям Биржи "
            "к аудиторским организациям": True
        },
    )
    documents(auditor, field, INCLUSION_DOCUMENTS)
    send_to_head(auditor)
    shot(auditor, "auditors_sent")


# --- Disclosure monitoring (G-12 category 5) --------------------------------------------------------


@pytest.mark.rule("G-12")
def test_disclosure_calendar_and_the_public_overdue_list(page, other_browser, returning, login):
    # The demo issuer has been registered in is2in since the start of the year, so the calendar holds
    # this year's obligations, the missed ones among them (nothing is owed from before registration).
    today = engine.today()
    demo = Organisation.get(Organisation.code == "DEMO")
    demo.created_at = datetime.datetime(today.year, 1, 1)
    demo.save()

    issuer = page
    login(issuer, "issuer@demo.kz")
    menu_link = issuer.get_by_role("navigation", name="Меню пользователя").get_by_role(
        "link", name="Раскрытие информации", exact=True
    )
    menu_link.click()
    expect(issuer.get_by_role("heading", name="Календарь раскрытия информации", level=1)).to_be_visible()
    calendar = issuer.locator("#obligations")
    expect(calendar.locator("caption")).to_have_text(f"Обязанности со сроком в {today.year} году")
    obligations = list(Obligation.of(demo, today.year))
    assert obligations, "the calendar of the year was not generated"
    expect(calendar.locator("tbody tr")).to_have_count(len(obligations))
    late = [o for o in obligations if o.owed and o.due_on < today]
    expect(calendar.locator(".status-overdue")).to_have_count(len(late))
    expect(calendar.get_by_role("button", name="Подать")).to_have_count(len([o for o in obligations if o.owed]))
    shot(issuer, "disclosure_calendar")

    public = other_browser()
    public.goto("/login")
    footer_link(public, "Нарушения сроков раскрытия информации")
    rows = public.get_by_role("table").locator("tbody tr")
    if late:
        expect(rows.filter(has_text="Demo Issuer")).to_have_count(len(late))
        expect(rows.filter(has_text="Demo Issuer").first.locator("td").first).to_have_text("DEMO")
    else:
        expect(rows).to_have_text(["Нарушений сроков нет."])
    shot(public, "disclosure_overdue")
