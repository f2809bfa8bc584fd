"""Overdue on the Exchange's date (issue 13): an obligation due on 03.12.2026 is still open at 18:59 UTC
(23:59 in Almaty) and overdue from 19:01 UTC (00:01 on the 4th in Almaty), though UTC's date is the 3rd
until midnight."""

import datetime

from plugins.disclosure.models import Obligation
from plugins.disclosure.service import disclosure_reminders

DUE = datetime.date(2026, 12, 3)


def test_an_obligation_falls_overdue_at_almaty_midnight(app, obligation, frozen_at):
    owed = obligation(due_on=DUE)
    with app.test_request_context():
        disclosure_reminders()  # the daily job, with no date given: it takes the Exchange's
    status = Obligation.get_by_id(owed.id).status
    assert status == ("open" if frozen_at.exchange_date == DUE else "overdue"), frozen_at.utc
