"""The per-user rate limit under real concurrency: no more than the limit gets through.

Regression: DRF's throttle read the user's request history from the cache, appended one
timestamp and wrote it back, so concurrent requests overwrote each other's entries (16
clients got ~1,600 requests through a limit of 1,200 a minute). core/api/throttles.py now
checks and counts in one Lua script on Redis.
"""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient, APIRequestFactory

from access.services import token_issue
from core.api.throttles import UserRateThrottle
from tests.factories import make_user

CLIENTS = 16
REQUESTS_EACH = 20
LIMIT = 100


def _rate(value):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": value}}
    )


def _together(n, target):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_of_one_user_get_no_more_than_the_limit_through():
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    user = make_user("rate_limited", None)
    _token, key = token_issue(user=user)

    def client(i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        statuses = Counter()
        for _ in range(REQUESTS_EACH):
            response = api.get("/api/v1/me/")
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert response.json()["code"] == "throttled"
                assert int(response["Retry-After"]) >= 1
        return statuses

    with _rate(f"{LIMIT}/hour"):  # one window for the whole test
        results = _together(CLIENTS, client)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    total = sum(results, Counter())
    assert set(total) == {200, 429}, total
    assert total[200] == LIMIT, total
    assert total[429] == CLIENTS * REQUESTS_EACH - LIMIT


def _throttle_calls(n_threads, calls_each, rate):
    """allow_request from many threads at once; how many were allowed."""
    request = APIRequestFactory().get("/api/v1/me/")
    request.user = type("U", (), {"is_authenticated": True, "pk": 4242})()

    def worker(i):
        allowed = 0
        for _ in range(calls_each):
            throttle = UserRateThrottle()
            allowed += bool(throttle.allow_request(request, None))
        return allowed

    with _rate(rate):
        return _together(n_threads, worker)


def test_the_script_counts_atomically_on_redis():
    results = _throttle_calls(16, 50, "300/hour")
    assert sum(results) == 300


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_without_redis_the_local_memory_cache_counts_atomically_too():
    from django.core.cache import cache

    cache.clear()
    results = _throttle_calls(16, 50, "300/hour")
    assert sum(results) == 300


def test_a_refused_request_is_not_counted_and_the_window_slides(monkeypatch):
    """Past the limit, retrying costs nothing; as the previous window slides out of view,
    requests are let in again in proportion."""
    request = APIRequestFactory().get("/")
    request.user = type("U", (), {"is_authenticated": True, "pk": 4343})()
    now = [3600.0 * 1000]  # the start of a window

    def allow():
        throttle = UserRateThrottle()
        monkeypatch.setattr(throttle, "timer", lambda: now[0])
        allowed = throttle.allow_request(request, None)
        return allowed, (None if allowed else throttle.wait())

    with _rate("10/hour"):
        assert all(allow()[0] for _ in range(10))
        refused, wait = allow()
        assert not refused and wait == 3600  # until this window ends
        for _ in range(50):
            assert not allow()[0]  # retries are not counted
        now[0] += 3600 + 1800  # half of the full window has slid out of view
        assert [allow()[0] for _ in range(6)] == [True] * 5 + [False]
        refused, wait = allow()
        assert 0 < wait <= 360  # once the previous window's next tenth has slid out
