"""The subscription clock: every minute, what is due happens once — the collateral check at its time
(S-5.2), activation at its time within or after the period (S-4.5), failure when the period closes with no
order (S-4.7) — and the deadlines of the later steps are
enforced by the modules that own them."""

from core import utcnow
from plugins.subscription import activation
from plugins.subscription.models import Subscription


def tick(at=None) -> dict:
    at = at or utcnow()
    done = {"collateral": 0, "activated": 0, "failed": 0}
    due_collateral = Subscription.select().where(
        (Subscription.state == "registered")
        & (Subscription.ccp == True)  # noqa: E712
        & (Subscription.collateral_mode == "at_time")
        & Subscription.collateral_checked_at.is_null()
        & (Subscription.collateral_at <= at)
    )
    for sub in due_collateral:
        activation.collateral_check(sub, at)
        done["collateral"] += 1
    for sub in Subscription.select().where((Subscription.state == "registered") & (Subscription.activation_at <= at)):
        activation.activate(sub, at)
        done["activated"] += 1
    for sub in Subscription.select().where((Subscription.state == "activated") & (Subscription.accept_to <= at)):
        if activation.close_period(sub, at):
            done["failed"] += 1
    return done
