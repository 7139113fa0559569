from datetime import timedelta

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from portfolio.models import CashLedgerEntry, LedgerKind

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def register(client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": "a-Strong-pass-99"}
    body.update(overrides)
    return client.post(REGISTER, body, format="json")


def login(client, username, password=DEFAULT_PASSWORD):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


@pytest.mark.django_db
class TestRegister:
    def test_register_creates_user_and_grants_initial_cash_in_the_ledger(self, api_client):
        response = register(api_client)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["username"] == "alice"
        assert "password" not in body
        user = User.objects.get(username="alice")
        assert user.check_password("a-Strong-pass-99")
        assert user.balance.cash == settings.INITIAL_VIRTUAL_CASH
        grant = CashLedgerEntry.objects.get(user=user)
        assert grant.kind == LedgerKind.INITIAL_GRANT
        assert grant.amount == settings.INITIAL_VIRTUAL_CASH

    def test_duplicate_username_is_rejected_case_insensitively(self, api_client):
        UserFactory(username="alice")
        response = register(api_client, username="ALICE", email="other@example.com")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert "username" in body["errors"]

    def test_duplicate_email_is_rejected(self, api_client):
        UserFactory(username="bob", email="alice@example.com")
        response = register(api_client)
        assert response.status_code == 400
        assert "email" in response.json()["errors"]

    @pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "alice-example"])
    def test_weak_password_is_rejected_by_django_validators(self, api_client, password):
        response = register(api_client, password=password)
        assert response.status_code == 400
        assert "password" in response.json()["errors"]
        assert not User.objects.filter(username="alice").exists()

    @pytest.mark.parametrize("missing", ["username", "email", "password"])
    def test_missing_field_is_a_field_error(self, api_client, missing):
        body = {"username": "alice", "email": "alice@example.com", "password": "a-Strong-pass-99"}
        del body[missing]
        response = api_client.post(REGISTER, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][missing]

    def test_malformed_json_is_a_400_not_a_500(self, api_client):
        response = api_client.post(REGISTER, "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_bad_email_and_username_shapes_are_rejected(self, api_client):
        response = register(api_client, username="has space", email="not-an-email")
        assert response.status_code == 400
        assert set(response.json()["errors"]) >= {"username", "email"}


@pytest.mark.django_db
class TestTokens:
    def test_login_returns_access_and_refresh_that_authenticate(self, api_client, user):
        response = login(api_client, user.username)
        assert response.status_code == 200
        tokens = response.json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        me = api_client.get(ME)
        assert me.status_code == 200
        assert me.json()["username"] == user.username

    def test_wrong_password_is_401(self, api_client, user):
        response = login(api_client, user.username, "wrong-password-1")
        assert response.status_code == 401
        assert set(response.json()) == {"detail", "code"}

    def test_unknown_user_is_401(self, api_client, db):
        assert login(api_client, "nobody").status_code == 401

    def test_me_without_token_is_401_not_authenticated(self, api_client, db):
        response = api_client.get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    @pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Token abc", "Bearer "])
    def test_malformed_token_is_401(self, api_client, user, header):
        api_client.credentials(HTTP_AUTHORIZATION=header)
        response = api_client.get(ME)
        assert response.status_code == 401
        assert response.json()["code"] in {"token_not_valid", "not_authenticated", "bad_authorization_header"}

    def test_expired_access_token_is_401(self, api_client, user):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=-timedelta(seconds=1))
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = api_client.get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    def test_tampered_token_is_401(self, api_client, user):
        access = str(AccessToken.for_user(user))
        header, payload, signature = access.split(".")
        forged = f"{header}.{payload}.{signature[:-4]}AAAA"
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert api_client.get(ME).status_code == 401

    def test_refresh_rotates_and_the_old_refresh_is_blacklisted(self, api_client, user):
        tokens = login(api_client, user.username).json()
        response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
        assert response.status_code == 200
        rotated = response.json()
        assert rotated["refresh"] != tokens["refresh"]
        assert rotated["access"]
        again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
        assert again.status_code == 401
        assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 200

    def test_refresh_with_an_access_token_is_401(self, api_client, user):
        access = str(AccessToken.for_user(user))
        assert api_client.post(REFRESH, {"refresh": access}, format="json").status_code == 401

    def test_refresh_missing_field_is_400(self, api_client, db):
        response = api_client.post(REFRESH, {}, format="json")
        assert response.status_code == 400
        assert "refresh" in response.json()["errors"]


@pytest.mark.django_db
class TestLogout:
    def test_logout_blacklists_the_refresh_token(self, api_client, user):
        tokens = login(api_client, user.username).json()
        response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
        assert response.status_code == 204
        after = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
        assert after.status_code == 401
        assert after.json()["code"] == "token_not_valid"

    def test_logout_twice_is_401(self, api_client, user):
        refresh = str(RefreshToken.for_user(user))
        assert api_client.post(LOGOUT, {"refresh": refresh}, format="json").status_code == 204
        assert api_client.post(LOGOUT, {"refresh": refresh}, format="json").status_code == 401

    def test_logout_with_garbage_is_401_and_missing_is_400(self, api_client, db):
        assert api_client.post(LOGOUT, {"refresh": "garbage"}, format="json").status_code == 401
        assert api_client.post(LOGOUT, {}, format="json").status_code == 400


@pytest.mark.django_db
def test_session_login_also_authenticates_the_api(client, user):
    client.force_login(user)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == user.id


@pytest.mark.django_db
def test_auth_endpoints_are_throttled_with_the_error_shape(api_client, user, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "3/min"}
    try:
        responses = [login(api_client, user.username, "wrong-password-1") for _ in range(4)]
        # The right password does not get through either: the limit counts attempts, not failures.
        blocked = login(api_client, user.username)
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled" and blocked.json()["wait"] > 0
    assert 0 < int(blocked["Retry-After"]) <= 60
