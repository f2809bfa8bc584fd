"""Who may use the plugin's routes, where ``core.access``'s rules need the subscription itself."""

from functools import wraps

from flask import abort
from flask_login import current_user

from core import client_required


def seller_required(find):
    """Routes only the seller of the route's subscription may use. The declared rule is
    ``client_required()``: staff are refused before the view runs, and that is the rule the access-matrix
    test reads. Then ``find(sub_id)`` fetches the subscription (refusing with 404 whoever may not see it)
    and a client of another organisation is refused with 403. The view is given the subscription."""

    def decorator(view):
        @wraps(view)
        def seller_only(sub_id, **kwargs):
            sub = find(sub_id)
            if current_user.organisation_id != sub.seller_id:
                abort(403)
            return view(sub, **kwargs)

        return client_required()(seller_only)

    return decorator
