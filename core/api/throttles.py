"""Per-user rate limit for the API: 429 with Retry-After, in the common error shape.

DRF's throttles read their rates once, at import; this one reads them per request, so a
settings change (a test's override, an environment value) takes effect.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class UserRateThrottle(throttling.UserRateThrottle):
    """Authenticated users are counted by user id, anonymous requests by address."""

    def __init__(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        super().__init__()
