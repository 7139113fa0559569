import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache (and slots reserved from it in the process); one test's
    # requests must not throttle the next test.
    from stocking.core.throttling import reserved_slots

    cache.clear()
    reserved_slots.clear()
    yield
    cache.clear()
    reserved_slots.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    """An API client logged in (JWT) as `user`."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def client_for(user) -> APIClient:
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def stock(db):
    """Samsung Electronics at 70,000 won (limits 49,000–91,000, tick 100)."""
    from trading.tests.factories import StockFactory

    return StockFactory(code="005930", name="삼성전자", current_price="70000", previous_close="70000")
