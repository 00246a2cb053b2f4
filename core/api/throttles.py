"""Per-user rate limit for the API: 429 with Retry-After, in the common error shape.

Counted atomically: DRF's SimpleRateThrottle reads a list of timestamps from the cache,
appends one and writes the list back, so concurrent requests of one user overwrote each
other's entries (16 clients got ~1,600 requests through a limit of 1,200 a minute). Here
each request is one Lua script on Redis that checks and increments in one step, so no
more than the limit passes however many processes and threads serve the user.

The window slides: the count of the current fixed window plus the previous window's count
weighted by how much of it still lies within the last `duration` seconds (the "sliding
window counter"). A refused request is not counted, so a client that keeps retrying is let
in again as soon as its earlier requests slide out of the window.

Without Redis (the demo's local-memory cache, which lives in one process) the same
arithmetic runs under a process-wide lock.

DRF's throttles read their rates once, at import; this one reads them per request, so a
settings change (a test's override, an environment value) takes effect.
"""

from __future__ import annotations

import math
import threading

from rest_framework import throttling
from rest_framework.settings import api_settings

# KEYS: the current window's counter, the previous window's.
# ARGV: the limit, the previous window's weight (0..1), the counter's lifetime in seconds.
# Returns {allowed (0/1), current count, previous count}.
_SLIDING_WINDOW = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if current + previous * tonumber(ARGV[2]) >= tonumber(ARGV[1]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, current, previous}
"""

_local_lock = threading.Lock()


def _redis_client(cache):
    """The raw Redis client behind a django-redis cache, or None for any other backend."""
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


class UserRateThrottle(throttling.UserRateThrottle):
    """Authenticated users are counted by user id, anonymous requests by address."""

    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        super().__init__()

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window, elapsed = divmod(self.now, self.duration)
        self.elapsed = elapsed
        weight = 1 - elapsed / self.duration
        keys = [f"{key}:{int(window)}", f"{key}:{int(window) - 1}"]
        allowed, self.current, self.previous = self._count(keys, weight)
        return bool(allowed)

    def _count(self, keys: list[str], weight: float) -> tuple[int, int, int]:
        # A counter lives for two windows: one as the current, one as the previous.
        lifetime = 2 * self.duration
        redis = _redis_client(self.cache)
        if redis is not None:
            script = redis.register_script(_SLIDING_WINDOW)
            raw_keys = [self.cache.make_key(k) for k in keys]
            allowed, current, previous = script(
                keys=raw_keys, args=[self.num_requests, weight, lifetime]
            )
            return int(allowed), int(current), int(previous)
        with _local_lock:
            current = self.cache.get(keys[0], 0)
            previous = self.cache.get(keys[1], 0)
            if current + previous * weight >= self.num_requests:
                return 0, current, previous
            current += 1
            self.cache.set(keys[0], current, lifetime)
            return 1, current, previous

    def wait(self):
        """Seconds until a request would be let in again (Retry-After)."""
        remaining = self.duration - self.elapsed
        if self.current >= self.num_requests or not self.previous:
            # Past the end of this window, and until enough of it slides out of the next.
            wait = remaining + self.duration * max(
                0.0, 1 - self.num_requests / max(self.current, 1)
            )
        else:
            # Within this window, once enough of the previous one has slid out.
            slid_out = self.duration * (1 - (self.num_requests - self.current) / self.previous)
            wait = slid_out - self.elapsed
        return max(1, math.ceil(wait))
