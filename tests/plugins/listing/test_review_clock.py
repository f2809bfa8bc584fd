"""Issue 19.2: G-24's review deadline is a clock that stops while the client owes documents and restarts, with the
working days that were left, when the answer arrives; the application shows its history, the inbox sorts by days
left, and only the Exchange's time is overdue. Figures are counted by hand on the Kazakh calendar of December 2026
(Saturdays and Sundays off, Wednesday 16 December Independence Day) from G-24's ten working days."""

import datetime
import io
import re

import pytest
import time_machine

from core.workflow import engine
from core.workflow.models import Application, ClockEvent
from tests.journeys import PDF
from tests.plugins.listing.test_rules import _sign_as_ceo, _to_first_head


def almaty(day: int, hour: int = 10):
    """A December 2026 moment of the Exchange's clock (Almaty is UTC+5)."""
    return datetime.datetime(2026, 12, day, hour - 5, 0, tzinfo=datetime.UTC)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def as_user(auth, email):
    auth.logout()
    auth.login(email)


def _registered_on_10_december(client, auth, journey, trusted, demo, number="ВХ-10"):
    _to_first_head(client, auth, journey)
    _sign_as_ceo(client, auth, journey, trusted, demo)  # on the real clock: openssl keeps its own
    with time_machine.travel(almaty(10), tick=False):
        as_user(auth, "office@exchange.demo")
        journey.act("register", {"registration_number": number, "registered_on": "2026-12-10"})


def _answer_and_sign(flask_app, auth, journey, demo, day):
    """The client answers through its page; its first head's signature of the answer is the engine's move (the
    CMS itself is checked in test_rules: openssl signs on the real clock, whose revocation lists a moved clock
    would find stale)."""
    with time_machine.travel(almaty(day), tick=False):
        as_user(auth, "issuer@demo.kz")
        journey.act(
            "answer",
            {"note": "Протокол приложен", "files": (io.BytesIO(PDF), "protocol.pdf")},
            content_type="multipart/form-data",
        )
        with flask_app.test_request_context():
            application = Application.get_by_id(journey.app_id)
            assert application.process == "resigning"
            engine.transition(application, "sign", demo["ceo@demo.kz"], application.version)


@pytest.mark.rule("G-24")
def test_the_clock_stops_on_the_request_and_restarts_with_the_days_left(app, client, auth, journey, trusted, demo):
    _registered_on_10_december(client, auth, journey, trusted, demo)
    application = Application.get_by_id(journey.app_id)
    # Thursday 10th: 11, 14, 15, (16 off), 17, 18, 21, 22, 23, 24, 25 — ten working days end on Friday 25th
    assert (application.process, application.clock_left) == ("review", None)
    assert application.deadline == datetime.date(2026, 12, 25)

    with time_machine.travel(almaty(14), tick=False):  # Monday 14th: the 11th and the 14th are used
        as_user(auth, "listing@exchange.demo")
        journey.act("request_documents", {"note": "Представьте протокол", "deadline": "2026-12-24"})
        application = Application.get_by_id(journey.app_id)
        assert application.process == "additional" and application.clock_left == 8
        assert application.deadline == datetime.date(2026, 12, 24)  # the client's date, not the review's
        html = page(client, journey.url())
        assert "Срок остановлен" in html and "Использовано раб. дней: 2. Осталось раб. дней: 8" in html

    with time_machine.travel(almaty(18), tick=False):  # still stopped on Friday 18th: nothing more is used
        as_user(auth, "issuer@demo.kz")
        html = page(client, journey.url())
        assert "Использовано раб. дней: 2. Осталось раб. дней: 8" in html

    _answer_and_sign(app, auth, journey, demo, 19)  # the answer arrives on Saturday 19th
    application = Application.get_by_id(journey.app_id)
    # eight days from Saturday 19th: 21, 22, 23, 24, 25, 28, 29, 30 — five days later than without the stop
    assert (application.process, application.clock_left) == ("review", None)
    assert application.deadline == datetime.date(2026, 12, 30)
    kinds = [(e.kind, e.day.day, e.used, e.left) for e in ClockEvent.select().order_by(ClockEvent.id)]
    assert kinds == [("started", 10, 0, 10), ("stopped", 14, 2, 8), ("restarted", 19, 2, 8)]

    with time_machine.travel(almaty(24), tick=False):  # Thursday 24th: 21, 22, 23, 24 more are used
        as_user(auth, "listing@exchange.demo")
        html = page(client, journey.url())
        assert "Использовано раб. дней: 6." in html and "Осталось раб. дней: 4 (до 30.12.2026)" in html
        history = re.search(r'<table class="table clock-history">.*?</table>', html, re.S).group(0)
        assert re.findall(r'<tr class="clock-(\w+)"><td>(\d\d\.\d\d\.\d{4})</td>', history) == [
            ("started", "10.12.2026"),
            ("stopped", "14.12.2026"),
            ("restarted", "19.12.2026"),
        ]
        trail = page(client, journey.url("/history"))  # every event of the clock is in the audited history
        assert "Срок остановлен: запрошены документы" in trail and "использовано раб. дней: 2, осталось: 8" in trail
        assert "Срок возобновлён: получен ответ" in trail
        journey.act("schedule", {"meeting_date": "2026-12-28", "meeting_time": "15:00"})
    finished = ClockEvent.select().order_by(ClockEvent.id.desc()).first()
    assert (finished.kind, finished.used, finished.left) == ("finished", 6, 4)
    assert Application.get_by_id(journey.app_id).clock_left is None


def test_a_procedure_without_the_stopping_clock_counts_afresh(app):
    from core.workflow.definitions import Process, standard_processes

    with app.app_context():
        review = {p.code: p for p in standard_processes((), clock_stops=False)}["review"]
        assert not review.stopping_clock
        assert {p.code: p for p in standard_processes(())}["review"].stopping_clock
        # no request for documents, no clock (registration's one day, the letter's three)
        assert not Process("registration", "", "office", "submitted", deadline_days=1).stopping_clock


def _waiting(demo, number, process, status, **fields):
    from core.db import utcnow

    return Application.create(
        number=number,
        organisation=demo["issuer@demo.kz"].organisation,
        procedure="listing.shares",
        author=demo["issuer@demo.kz"],
        process=process,
        status=status,
        submitted_at=utcnow(),
        **fields,
    )


@pytest.mark.rule("G-24")
def test_the_inbox_sorts_by_days_left_and_counts_overdue_on_the_exchanges_time_only(client, auth, demo):
    with time_machine.travel(almaty(24), tick=False):  # Thursday 24 December
        # running: due Monday 28th (2 days left), due Wednesday 23rd (1 day over), due 8 January 2027
        soon = _waiting(demo, "L-2026-90001", "review", "submitted", deadline=datetime.date(2026, 12, 28))
        late = _waiting(demo, "L-2026-90002", "review", "submitted", deadline=datetime.date(2026, 12, 23))
        later = _waiting(demo, "L-2026-90003", "review", "submitted", deadline=datetime.date(2027, 1, 8))
        # stopped with 3 days left; its date (the client's, already past) is no overdue of the Exchange's
        owed = _waiting(
            demo, "L-2026-90004", "additional", "revision", deadline=datetime.date(2026, 12, 21), clock_left=3
        )
        # stopped two days after its deadline: still two days over, and stays so while stopped
        over = _waiting(
            demo, "L-2026-90006", "additional", "revision", deadline=datetime.date(2027, 1, 20), clock_left=-2
        )
        auth.login("listing@exchange.demo")
        html = page(client, "/staff/inbox?department=listing")
        order = [n for n in re.findall(r"<td[^>]*>(L-2026-900\d\d)</td>", html)]
        assert order == [over.number, late.number, soon.number, owed.number, later.number]
        assert "срок остановлен, осталось раб. дней: 3" in html and "просрочено на 1 раб. дн." in html
        assert "срок остановлен, просрочено на 2 раб. дн." in html
        html = page(client, "/staff/inbox?department=listing&sort=left&dir=desc")
        assert re.findall(r"<td[^>]*>(L-2026-900\d\d)</td>", html) == [
            later.number,
            owed.number,
            soon.number,
            late.number,
            over.number,
        ]
        overdue = page(client, "/staff/inbox?department=listing&overdue=1")
        assert late.number in overdue and soon.number not in overdue
        # stopped: the client's date (already past) is not the Exchange's; the days it was over before it stopped are
        assert owed.number not in overdue and over.number in overdue


@pytest.mark.parametrize(
    "lang, words",
    [
        ("ru", ("Срок остановлен", "Срок остановлен: запрошены документы", "срок остановлен, осталось раб. дней: 7")),
        ("kk", ("Мерзім тоқтатылды", "Мерзім тоқтатылды: құжаттар сұралды", "қалған жұмыс күндері: 7")),
        ("en", ("Clock stopped", "Clock stopped: documents requested", "clock stopped, working days left: 7")),
    ],
)
def test_the_clock_reads_in_russian_kazakh_and_english(client, auth, demo, lang, words):
    with time_machine.travel(almaty(15), tick=False):
        owed = _waiting(
            demo, "L-2026-90005", "additional", "revision", deadline=datetime.date(2026, 12, 30), clock_left=7
        )
        for kind, day, used, left in (("started", 10, 0, 10), ("stopped", 15, 3, 7)):
            ClockEvent.create(
                application=owed, kind=kind, process="review", day=datetime.date(2026, 12, day), used=used, left=left
            )
        auth.login("listing@exchange.demo")
        client.post("/language", data={"lang": lang, "next": "/"})
        html = page(client, f"/applications/{owed.id}")
        assert words[0] in html and words[1] in html
        assert words[2] in page(client, "/staff/inbox?department=listing")


def test_a_withdrawal_while_documents_are_owed_ends_the_clock(client, auth, journey, trusted, demo):
    _registered_on_10_december(client, auth, journey, trusted, demo)
    with time_machine.travel(almaty(14), tick=False):
        as_user(auth, "listing@exchange.demo")
        journey.act("request_documents", {"note": "Представьте протокол", "deadline": "2026-12-24"})
    with time_machine.travel(almaty(15), tick=False):
        as_user(auth, "issuer@demo.kz")
        journey.act("withdraw")
    events = [(e.kind, e.used, e.left) for e in ClockEvent.select().order_by(ClockEvent.id)]
    assert events == [("started", 0, 10), ("stopped", 2, 8), ("finished", 2, 8)]
    application = Application.get_by_id(journey.app_id)
    assert (application.process, application.clock_left) == ("withdrawn", None)
