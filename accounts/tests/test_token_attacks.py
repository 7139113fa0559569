"""Hostile tokens: every forged, tampered, expired or misused JWT answers 401, never 200 or 500."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.tests.factories import UserFactory
from stocking.tests.threads import mysql_only, run_concurrently

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/token/refresh"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def me(client, token: str):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def claims(user) -> dict:
    return dict(AccessToken.for_user(user).payload)


@pytest.mark.django_db
class TestForgedAccessTokens:
    def test_signed_with_another_key(self, api_client, user):
        token = jwt.encode(claims(user), "not-the-server-key-" * 3, algorithm="HS256")
        assert me(api_client, token).status_code == 401

    def test_payload_swapped_to_another_user_keeps_the_old_signature(self, api_client, user):
        victim = UserFactory()
        header, payload, signature = str(AccessToken.for_user(user)).split(".")
        forged = {**json.loads(base64.urlsafe_b64decode(payload + "==")), "user_id": str(victim.pk)}
        response = me(api_client, f"{header}.{b64(forged)}.{signature}")
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    def test_alg_none_is_refused(self, api_client, user):
        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(user))}."
        assert me(api_client, token).status_code == 401

    @pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
    def test_another_algorithm_with_the_right_key_is_refused(self, api_client, user):
        token = jwt.encode(claims(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS512")
        assert me(api_client, token).status_code == 401

    def test_expired(self, api_client, user):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=-timedelta(seconds=1))
        assert me(api_client, str(token)).status_code == 401

    def test_a_refresh_token_is_not_an_access_token(self, api_client, user):
        response = me(api_client, str(RefreshToken.for_user(user)))
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    def test_a_deleted_or_deactivated_user_loses_access(self, api_client, user):
        token = str(AccessToken.for_user(user))
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert me(api_client, token).status_code == 401


@pytest.mark.django_db
class TestRefreshRotation:
    def test_a_rotated_out_refresh_token_is_401(self, api_client, user):
        old = str(RefreshToken.for_user(user))
        assert api_client.post(REFRESH, {"refresh": old}, format="json").status_code == 200
        response = api_client.post(REFRESH, {"refresh": old}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    def test_the_new_refresh_token_works_once_too(self, api_client, user):
        first = api_client.post(REFRESH, {"refresh": str(RefreshToken.for_user(user))}, format="json").json()
        second = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
        assert second.status_code == 200
        assert me(api_client, second.json()["access"]).status_code == 200
        assert api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").status_code == 401

    def test_a_deactivated_user_cannot_refresh(self, api_client, user):
        refresh = str(RefreshToken.for_user(user))
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert api_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 401

    def test_a_forged_refresh_token_is_401(self, api_client, user):
        payload = dict(RefreshToken.for_user(user).payload)
        token = jwt.encode(payload, "wrong-key-" * 5, algorithm="HS256")
        assert api_client.post(REFRESH, {"refresh": token}, format="json").status_code == 401


@mysql_only
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_one_token_at_the_same_instant_yield_one_pair(settings):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}
    user = UserFactory()
    for _ in range(5):
        refresh = str(RefreshToken.for_user(user))
        results = run_concurrently([lambda r=refresh: APIClient().post(REFRESH, {"refresh": r}, format="json")] * 4)
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 401, 401, 401], codes
