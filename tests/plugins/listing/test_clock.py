"""The office registers on the Exchange's date (issue 13): an application signed and brought to the office
at 00:44 on 04.12.2026 in Almaty (03.12, 19:44 UTC: Almaty keeps UTC+5 since March 2024, so the issue's
"18:44 UTC" is the old UTC+6 reckoning) is registered "от 04.12.2026", and the review's deadline (G-24) is
counted from that day, not from the UTC date that is still the 3rd."""

import datetime
import re

import pytest
import time_machine

from core.workdays import add_working_days
from core.workflow.models import Application
from tests.plugins.listing.test_rules import _sign_as_ceo, _to_first_head

AT_0044_ALMATY = datetime.datetime(2026, 12, 3, 19, 44, tzinfo=datetime.UTC)


@pytest.mark.rule("G-22")
@pytest.mark.rule("G-24")
def test_an_application_registered_at_0044_almaty_is_registered_on_the_almaty_date(
    app, client, auth, journey, trusted, demo
):
    _to_first_head(client, auth, journey)
    _sign_as_ceo(client, auth, journey, trusted, demo)  # signed on the real clock (openssl keeps its own)
    auth.logout()
    with time_machine.travel(AT_0044_ALMATY, tick=False):
        auth.login("office@exchange.demo")
        page = client.get(journey.url()).get_data(as_text=True)
        field = re.search(r'<input[^>]*name="register-registered_on"[^>]*>', page)
        assert field is not None, page[-3000:]
        assert 'value="2026-12-04"' in field.group(0)  # "Дата регистрации" defaults to Almaty's date

        journey.act("register", {"registration_number": "ВХ-44", "registered_on": "2026-12-04"})
        application = Application.get_by_id(journey.app_id)
        with app.app_context():
            review_days = app.extensions["is2in.procedures"]["listing.shares"].process("review").deadline_days
        # Friday 04.12 is the first day counted, not Thursday 03.12 (the UTC date).
        assert application.deadline == add_working_days(datetime.date(2026, 12, 4), review_days)
        assert application.deadline != add_working_days(datetime.date(2026, 12, 3), review_days)
        shown = client.get(journey.url()).get_data(as_text=True)
        assert "ВХ-44 от 04.12.2026" in " ".join(re.sub(r"<[^>]+>", " ", shown).split())
