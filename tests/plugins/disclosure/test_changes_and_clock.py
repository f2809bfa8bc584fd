"""Issue 19 in another category: the monitoring department's return for correction stops the review's clock of
five working days and, when the corrected submission is signed again, restarts it; the department then sees what
the issuer changed since its return, old beside new. The issuer's first head never sees the Exchange's comparison."""

import re

import pytest

from core.workflow.models import ClockEvent, Snapshot
from tests.plugins.disclosure.conftest import REPORTS


@pytest.mark.rule("G-24")
def test_a_return_for_correction_stops_the_clock_and_the_department_sees_the_corrections(
    client, auth, demo, journey, obligation, monitoring, trusted
):
    owed = obligation(kind="annual_statements")
    journey.submit(owed, "annual_statements", trusted, demo["ceo@demo.kz"])
    auth.login(monitoring.email)
    journey.act("return", {"note": "Неверная сумма активов."})
    assert journey.application.clock_left == 5  # returned the day it arrived: none of the five days used
    assert Snapshot.get().process == "review"
    auth.logout()

    auth.login("issuer@demo.kz")
    response = client.post(
        journey.url("/stages/report"),
        data={**REPORTS["annual_statements"], "annual_statements-total_assets": "126500000", "do": "done"},
    )
    assert response.status_code == 302
    journey.act("send_to_head")
    auth.logout()
    journey.auth.login(demo["ceo@demo.kz"].email)
    html = client.get(journey.url()).get_data(as_text=True)
    assert 'class="panel changes"' not in html  # the department's comparison is not the applicant's
    auth.logout()
    journey.approve_and_sign(trusted, demo["ceo@demo.kz"])
    assert [e.kind for e in ClockEvent.select().order_by(ClockEvent.id)] == ["started", "stopped", "restarted"]
    assert journey.application.clock_left is None

    auth.login(monitoring.email)
    html = client.get(journey.url()).get_data(as_text=True)
    panel = re.search(r'<section class="panel changes".*?</section>', html, re.S).group(0)
    assert re.search(r"<del>125000000</del>.*?<ins>126500000</ins>", panel, re.S)
    assert "Срок рассмотрения" in html and "Осталось раб. дней: 5" in html
