"""The monitoring department's list and the public overdue list count working days per row with one calendar
for the page: no read of the calendar per listed obligation (issue #20)."""

import datetime

from core.workdays import working_days_between
from core.workflow import engine
from tests.core.calendar_queries import calendar_reads


def _due(today, n):
    return today - datetime.timedelta(days=3 + n * 5)


def test_the_overdue_list_reads_the_calendar_once_whatever_its_length(client, issuer, obligation):
    today = engine.today()
    obligation(kind="material_event", period="e0", event_on=_due(today, 0), due_on=_due(today, 0))
    calendar_reads(client, "/disclosure/overdue")  # the process's first request builds its calendar
    one, _html = calendar_reads(client, "/disclosure/overdue")
    for n in range(1, 25):
        obligation(kind="material_event", period=f"e{n}", event_on=_due(today, n), due_on=_due(today, n))
    many, html = calendar_reads(client, "/disclosure/overdue")
    assert one == many == 1  # the calendar's signature, once per request
    text = " ".join(html.split())
    for n in range(25):
        assert f"<td>{working_days_between(_due(today, n), today)}</td>" in text


def test_the_monitoring_list_reads_the_calendar_once_whatever_its_length(client, auth, issuer, obligation, monitoring):
    today = engine.today()
    days = [datetime.date(today.year, 1, 1) + datetime.timedelta(days=n * 14) for n in range(25)]
    obligation(kind="material_event", period="e0", event_on=days[0], due_on=days[0])
    auth.login(monitoring.email)
    url = f"/disclosure/staff?year={today.year}"
    calendar_reads(client, url)
    one, _html = calendar_reads(client, url)
    for n, day in enumerate(days[1:], start=1):
        obligation(kind="material_event", period=f"e{n}", event_on=day, due_on=day)
    many, html = calendar_reads(client, url)
    assert one == many == 1
    text = " ".join(html.split())
    for day in days:
        left = working_days_between(today, day)
        assert (f"осталось раб. дней: {left}" if left >= 0 else f"просрочено на {-left} раб. дн.") in text
