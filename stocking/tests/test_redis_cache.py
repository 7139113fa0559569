"""CACHE_URL=redis://... works: Django's Redis cache backend with the client library installed,
against the machine's Redis (CI has one; elsewhere the test skips unless REQUIRE_REDIS is set)."""

import os
import socket

import environ
import pytest
import redis
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not redis_is_up() and not os.environ.get("REQUIRE_REDIS"), reason="no Redis on 127.0.0.1:6379"
)


def test_the_cache_url_selects_djangos_redis_backend():
    config = environ.Env().cache_url_config(REDIS_URL)
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.django_db
def test_throttle_counters_live_in_redis_and_are_shared(user, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    with override_settings(CACHES={"default": environ.Env().cache_url_config(REDIS_URL)}):
        cache = caches["default"]
        cache.clear()
        cache.set("stocking-probe", 41)
        assert cache.incr("stocking-probe") == 42
        original = ScopedRateThrottle.THROTTLE_RATES
        ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "2/min"}
        try:
            # Two clients stand for two gunicorn workers: they share nothing but Redis.
            body = {"username": user.username, "password": "wrong-password-1"}
            codes = [APIClient().post("/api/v1/auth/token", body, format="json").status_code for _ in range(3)]
            stored = redis.Redis.from_url(REDIS_URL).keys("*throttle_auth_*")
        finally:
            ScopedRateThrottle.THROTTLE_RATES = original
            cache.clear()
        assert codes == [401, 401, 429]
        assert stored, "the throttle counter is not in Redis"
