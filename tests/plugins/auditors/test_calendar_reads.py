"""The auditors department's list counts working days to each organisation's deadline with one calendar for
the page: no read of the calendar per listed organisation (issue #20)."""

import datetime

from core.workdays import working_days_between
from core.workflow import engine
from plugins.auditors.models import RecognisedAuditor
from tests.core.calendar_queries import calendar_reads


def test_the_staff_list_reads_the_calendar_once_whatever_its_length(client, auth, make, auditors_staff):
    today = engine.today()
    due = [today + datetime.timedelta(days=n * 9 - 40) for n in range(25)]
    first = make.org(code="AUD0", roles=("auditor",))
    RecognisedAuditor.create(organisation=first, recognised_on=datetime.date(2024, 5, 2), confirmed_until=due[0])
    auth.login(auditors_staff.email)
    calendar_reads(client, "/auditors/staff")  # the process's first request builds its calendar
    one, _html = calendar_reads(client, "/auditors/staff")
    for n, day in enumerate(due[1:], start=1):
        org = make.org(code=f"AUD{n}", roles=("auditor",))
        RecognisedAuditor.create(organisation=org, recognised_on=datetime.date(2024, 5, 2), confirmed_until=day)
    many, html = calendar_reads(client, "/auditors/staff")
    assert one == many == 1  # the calendar's signature, once per request
    text = " ".join(html.split())
    for entry in RecognisedAuditor.select():
        left = working_days_between(today, entry.deadline)
        note = f"осталось раб. дней: {left}" if left >= 0 else f"просрочено на {-left} раб. дн."
        assert f"<td>{entry.deadline:%d.%m.%Y} ({note}) </td>" in text
