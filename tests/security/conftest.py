"""The security tests reuse the listing journey and the subscription fixtures."""

from tests.plugins.listing.conftest import journey  # noqa: F401
from tests.plugins.subscription.conftest import ctx, make_subscription, members  # noqa: F401
