"""The fixed-window throttles: one counter per client and window in the shared cache."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIRequestFactory

from stocking.core.throttling import ScopedRateThrottle


class View:
    throttle_scope = "probe"


@pytest.fixture
def throttle(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"probe": "3/min"})
    clock = {"now": 120.0}
    monkeypatch.setattr(ScopedRateThrottle, "timer", lambda self: clock["now"])
    cache.clear()
    return clock


def allowed(ip: str = "10.0.0.1") -> bool:
    request = APIRequestFactory().get("/", REMOTE_ADDR=ip)
    request.user = None
    return ScopedRateThrottle().allow_request(request, View())


def test_the_window_admits_the_rate_then_refuses_with_the_time_left(throttle):
    assert [allowed() for _ in range(4)] == [True, True, True, False]
    throttle["now"] = 150.0
    probe = ScopedRateThrottle()
    request = APIRequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    request.user = None
    assert probe.allow_request(request, View()) is False
    assert probe.wait() == 30.0  # until the window (120–180 s) ends


def test_the_next_window_starts_again_and_clients_are_counted_apart(throttle):
    assert [allowed() for _ in range(3)] == [True, True, True]
    assert allowed("10.0.0.2") is True
    throttle["now"] = 181.0
    assert allowed() is True


def test_the_counter_is_a_single_small_entry_however_busy_the_client(throttle, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"probe": "1000/min"})
    for _ in range(500):
        allowed()
    [key] = [k for k in cache._cache if "probe" in k]  # the test settings' local-memory cache
    assert cache.get(key.split(":", 2)[2]) == 500
