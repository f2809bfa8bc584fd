"""The scale demo writes the review clock as the engine keeps it (issue 19.2): every application of it that waits
for the client's documents has its clock stopped with the days it had left, and a review's events add up."""

from core.demo import load as load_demo
from core.demo import scale as demo_scale
from core.workdays import working_days_between
from core.workflow.models import Application, ClockEvent, Transition


def test_the_scale_demos_review_clocks_stop_and_add_up(app):
    with app.app_context():
        load_demo(echo=lambda *_: None)
        demo_scale.load(factor=0.02, echo=lambda *_: None)
        requested = Transition.select(Transition.application).where(Transition.action == "request_documents")
        waiting = list(
            Application.select().where(Application.id.in_(requested) & Application.process.in_(("additional",)))
        )
        assert waiting, "the demo has applications waiting for documents"
        for application in waiting:
            events = list(ClockEvent.select().where(ClockEvent.application == application).order_by(ClockEvent.id))
            assert events[-1].kind == "stopped" and application.clock_left == events[-1].left
        checked = 0
        for application in Application.select().where(Application.clock_left.is_null(False)):
            events = list(ClockEvent.select().where(ClockEvent.application == application).order_by(ClockEvent.id))
            for before, after in zip(events, events[1:], strict=False):
                if before.kind in ("started", "restarted"):
                    passed = working_days_between(before.day, after.day)
                    assert (after.used, after.left) == (before.used + passed, before.left - passed)
                    checked += 1
        assert checked
