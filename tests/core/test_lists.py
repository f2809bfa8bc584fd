"""The tabs "Процедуры", "На рассмотрении", "Архив", "Анкеты" (G-9.1, G-9.4..G-9.6, G-12)."""

import pytest

from core.db import utcnow
from core.workflow.models import Application, ApplicationMember, Questionnaire


@pytest.mark.rule("G-9.1")
@pytest.mark.rule("G-12")
def test_procedures_are_listed_by_the_five_categories(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    html = client.get("/procedures").get_data(as_text=True)
    categories = [
        "Листинговые процедуры",
        "Сектор «Нелистинговые ценные бумаги» и KASE Private Market",
        "Перечень аудиторских организаций, признаваемых Биржей",
        "Членство на Бирже",
        "Мониторинг раскрытия информации инициаторами допуска",
    ]
    positions = [html.index(c) for c in categories]
    assert positions == sorted(positions)
    assert "Включение акций в официальный список" in html
    assert "Допуск финансовых инструментов на площадку KASE Private Market" in html
    assert "Прием в члены Биржи" in html


def _application(org, author, number, status="submitted", **fields):
    app = Application.create(
        number=number,
        organisation=org,
        procedure="listing.shares",
        status=status,
        author=author,
        process=fields.pop("process", "review"),
        submitted_at=fields.pop("submitted_at", utcnow()),
        **fields,
    )
    ApplicationMember.create(application=app, user=author, role="author")
    return app


@pytest.mark.rule("G-9.4")
def test_active_applications_show_the_guide_columns(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    _application(org, author, "L-2026-0001", process="registration")
    auth.login("a@example.kz")
    html = client.get("/applications").get_data(as_text=True)
    for column in (
        "Номер",
        "Компания",
        "Процедура / текущий процесс",
        "Автор",
        "Текущий исполнитель",
        "Статус",
        "Дата создания",
        "Дата предоставления на Биржу",
    ):
        assert column in html
    assert "L-2026-0001" in html and "Регистрация канцелярией Биржи" in html
    assert "Включение акций в официальный список" in html and author.full_name in html


@pytest.mark.rule("G-9.4")
def test_colleagues_and_partners_see_an_application_only_once_assigned(client, auth, make):
    org = make.org()
    author = make.user(org)
    colleague = make.user(org, email="c@example.kz")
    app = _application(org, author, "L-2026-0002")
    auth.login("c@example.kz")
    assert "L-2026-0002" not in client.get("/applications").get_data(as_text=True)
    ApplicationMember.create(application=app, user=colleague, role="executor")
    assert "L-2026-0002" in client.get("/applications").get_data(as_text=True)


@pytest.mark.rule("G-9.5")
def test_archive_lists_archived_applications_only(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    _application(org, author, "L-ACTIVE")
    _application(org, author, "L-DONE", status="archived", process="archived", archived_at=utcnow())
    auth.login("a@example.kz")
    archive = client.get("/archive").get_data(as_text=True)
    active = client.get("/applications").get_data(as_text=True)
    assert "L-DONE" in archive and "Архив" in archive and "L-ACTIVE" not in archive
    assert "L-ACTIVE" in active and "L-DONE" not in active


def test_lists_search_sort_and_page(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    for n in range(30):
        _application(org, author, f"L-{n:04d}")
    auth.login("a@example.kz")
    first = client.get("/applications?sort=number&dir=asc").get_data(as_text=True)
    assert "L-0000" in first and "L-0029" not in first and "Страница 1 из 2" in first
    found = client.get("/applications?q=0017", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "L-0017" in found and "L-0016" not in found and "<html" not in found


@pytest.mark.rule("G-9.6")
def test_questionnaires_of_archived_applications_are_listed(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    app = _application(org, author, "L-DONE", status="archived")
    Questionnaire.create(organisation=org, form_code="aml", title="Анкета по ПОД/ФТ", data="{}", application=app)
    other = make.org()
    Questionnaire.create(
        organisation=other,
        form_code="aml",
        title="Чужая анкета",
        data="{}",
        application=_application(other, make.user(other), "X-1", status="archived"),
    )
    auth.login("a@example.kz")
    html = client.get("/questionnaires").get_data(as_text=True)
    assert "Анкета по ПОД/ФТ" in html and "L-DONE" in html and "Чужая анкета" not in html


def test_empty_lists_say_so(client, auth, make):
    make.user(email="a@example.kz")
    auth.login("a@example.kz")
    assert "Активных заявлений нет." in client.get("/applications").get_data(as_text=True)
    assert "В архиве пока нет заявлений." in client.get("/archive").get_data(as_text=True)
    assert "Анкет пока нет" in client.get("/questionnaires").get_data(as_text=True)


@pytest.mark.rule("G-9.6")
def test_the_stage_page_offers_the_companys_questionnaires_of_the_form_as_before(make):
    """engine.questionnaires_for reads only what the stage page shows (issue #20): the same questionnaires, in
    the same order, as the full query it replaced, none of another company or another form."""
    import datetime

    from core.workflow import engine

    org, other = make.org(), make.org()
    author = make.user(org, email="a@example.kz")
    mine = _application(org, author, "L-NEW")
    moment = datetime.datetime(2026, 3, 1, 10, 0)
    for n, (company, code) in enumerate([(org, "aml"), (org, "aml"), (org, "general"), (other, "aml"), (org, "aml")]):
        source = _application(company, make.user(company), f"L-{n}", status="archived")
        Questionnaire.create(
            organisation=company,
            form_code=code,
            title=f"Анкета {n}",
            data='{"x": 1}',
            application=source,
            created_at=moment + datetime.timedelta(days=n),
        )
    shown = [(q.id, q.title, q.application.number, q.created_at) for q in engine.questionnaires_for(mine, "aml")]
    full = Questionnaire.of(org).where(Questionnaire.form_code == "aml")
    assert shown == [(q.id, q.title, q.application.number, q.created_at) for q in full]
    assert [title for _id, title, _number, _at in shown] == ["Анкета 4", "Анкета 1", "Анкета 0"]


def test_the_clients_active_list_counts_and_pages_in_prepared_sql_as_its_query_did(make):
    """lists.CLIENT_ACTIVE (issue #20) is ``Application.active_for`` a client with the user a slot: the same count
    and the same ids on every page, in every order, for each user; none of another's or of the archive."""
    import datetime

    from core.workflow import lists

    org = make.org()
    one, two = make.user(org, email="one@example.kz"), make.user(org, email="two@example.kz")
    start = datetime.datetime(2026, 1, 1, 9, 0)
    statuses = ("draft", "submitted", "archived", "withdrawn", "review")
    for n in range(31):
        _application(
            org,
            one if n % 3 else two,
            f"L-{n:03}",
            status=statuses[n % len(statuses)],
            created_at=start + datetime.timedelta(hours=n % 7),
            submitted_at=start + datetime.timedelta(days=n % 4),
            deadline=datetime.date(2026, 2, 1 + n % 5),
        )
    for user in (one, two):
        query = Application.active_for(user)
        assert lists.CLIENT_ACTIVE.count(user=user.id) == query.count() > 0
        for sort, column in lists.SORTS.items():
            for desc in (True, False):
                ordering = (column.desc() if desc else column.asc(), Application.id.desc())
                for number in (1, 2):
                    expected = [
                        i for (i,) in query.select(Application.id).order_by(*ordering).paginate(number, 5).tuples()
                    ]
                    assert lists.CLIENT_ACTIVE.ids((sort, desc), ordering, number, 5, user=user.id) == expected
