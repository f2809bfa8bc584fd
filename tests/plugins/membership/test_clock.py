"""Membership since and until on the Exchange's date (issue 13): a decision recorded at 19:30 UTC on
03.12.2026 was taken at 00:30 on the 4th in Almaty, and the membership begins (or ends) on the 4th."""

import datetime

from core.workflow.models import Application, ApplicationMember, Transition
from plugins.membership.service import decision_date
from tests.conftest import almaty


def _decided(make, at: datetime.datetime) -> Application:
    org = make.org(roles=("candidate",))
    author = make.user(org)
    app = Application.create(
        number="M-2026-00001",
        organisation=org,
        procedure="membership.admission",
        status="archived",
        author=author,
        process="archived",
        submitted_at=at - datetime.timedelta(days=3),
    )
    ApplicationMember.create(application=app, user=author, role="author")
    Transition.create(
        application=app, action="decide", from_process="meeting", to_process="letter", actor=author, created_at=at
    )
    return app


def test_the_decision_day_is_the_almaty_date_of_the_decision(app, make):
    for at, day in (
        (datetime.datetime(2026, 12, 3, 18, 59), datetime.date(2026, 12, 3)),
        (datetime.datetime(2026, 12, 3, 19, 30), datetime.date(2026, 12, 4)),
        (datetime.datetime(2026, 12, 3, 23, 59), datetime.date(2026, 12, 4)),
    ):
        Transition.delete().execute()
        Application.delete().execute()
        assert decision_date(_decided(make, at)) == day == almaty(at).date()


def test_with_no_decision_found_it_is_the_exchanges_today(app, make, frozen_at):
    org = make.org(roles=("candidate",))
    author = make.user(org)
    undecided = Application.create(
        number="M-2026-00002", organisation=org, procedure="membership.admission", status="submitted", author=author
    )
    with app.app_context():
        assert decision_date(undecided) == frozen_at.exchange_date
