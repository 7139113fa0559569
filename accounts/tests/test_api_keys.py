"""API keys: the native endpoints, the service's rules, what key authentication costs, the profile
page's section and the read-only admin list."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import MAX_LIVE_API_KEYS, api_key_authenticate, api_key_create, api_key_revoke
from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
KEY_ID = re.compile(r"^PK[A-Z2-7]{18}$")


def test_creating_a_key_shows_its_secret_once_and_stores_only_the_digest(auth_client, user):
    response = auth_client.post("/api/v1/api-keys", {"name": " my bot "}, format="json")

    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"id", "name", "key_id", "secret", "created_at"}
    assert body["name"] == "my bot" and KEY_ID.match(body["key_id"]) and len(body["secret"]) == 40
    key = ApiKey.objects.get(pk=body["id"])
    assert key.user == user and key.secret_hash == hashlib.sha256(body["secret"].encode()).hexdigest()
    listed = auth_client.get("/api/v1/api-keys").json()
    assert listed["count"] == 1 and set(listed["results"][0]) == {"id", "name", "key_id", "created_at", "last_used_at"}
    assert body["secret"] not in str(listed)


def test_a_revoked_key_leaves_the_list_and_stops_authenticating(auth_client, user):
    created = api_key_create(user=user, name="bot")
    assert api_key_authenticate(key_id=created.key.key_id, secret=created.secret) == user

    assert auth_client.delete(f"/api/v1/api-keys/{created.key.pk}").status_code == 204

    assert auth_client.get("/api/v1/api-keys").json()["count"] == 0
    assert api_key_authenticate(key_id=created.key.key_id, secret=created.secret) is None
    again = auth_client.delete(f"/api/v1/api-keys/{created.key.pk}")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


def test_another_users_key_is_not_found(auth_client):
    theirs = api_key_create(user=UserFactory(), name="theirs").key
    response = auth_client.delete(f"/api/v1/api-keys/{theirs.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert auth_client.get("/api/v1/api-keys").json()["count"] == 0


def test_an_eleventh_live_key_is_refused_until_one_is_revoked(auth_client, user):
    keys = [api_key_create(user=user, name=f"k{n}").key for n in range(MAX_LIVE_API_KEYS)]
    response = auth_client.post("/api/v1/api-keys", {"name": "one too many"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "api_key_limit")

    api_key_revoke(user=user, api_key_id=keys[0].pk)
    assert auth_client.post("/api/v1/api-keys", {"name": "now fits"}, format="json").status_code == 201


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 51}, {"name": None}])
def test_a_key_needs_a_name(auth_client, body):
    response = auth_client.post("/api/v1/api-keys", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_the_endpoints_need_a_login(api_client):
    assert api_client.get("/api/v1/api-keys").status_code == 401
    assert api_client.post("/api/v1/api-keys", {"name": "x"}, format="json").status_code == 401


def test_wrong_secrets_unknown_keys_and_inactive_users_do_not_authenticate(user):
    created = api_key_create(user=user, name="bot")
    assert api_key_authenticate(key_id=created.key.key_id, secret=created.secret + "x") is None
    assert api_key_authenticate(key_id="PK" + "A" * 18, secret=created.secret) is None
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_key_authenticate(key_id=created.key.key_id, secret=created.secret) is None


def test_key_authentication_costs_one_select_and_a_last_used_update_at_most_once_a_minute(user):
    created = api_key_create(user=user, name="bot")
    http = Client()
    headers = {"HTTP_APCA_API_KEY_ID": created.key.key_id, "HTTP_APCA_API_SECRET_KEY": created.secret}

    def clock_queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert http.get("/alpaca/v2/clock", **headers).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    first = clock_queries()  # never used: the SELECT, then the UPDATE
    assert len(first) == 2 and first[0].startswith("SELECT") and "JOIN" in first[0] and first[1].startswith("UPDATE")
    assert clock_queries() == first[:1]  # used a moment ago: the SELECT alone
    assert clock_queries() == first[:1]
    ApiKey.objects.filter(pk=created.key.pk).update(last_used_at=timezone.now() - timedelta(seconds=61))
    again = clock_queries()
    assert len(again) == 2 and again[1].startswith("UPDATE")
    assert ApiKey.objects.get(pk=created.key.pk).last_used_at > timezone.now() - timedelta(seconds=5)


def test_the_facade_also_takes_an_access_token_and_basic_auth(user):
    import base64

    created = api_key_create(user=user, name="bot")
    bearer = client_for(user)
    assert bearer.get("/alpaca/v2/account").json()["account_number"] == f"SK{user.pk:08d}"
    basic = base64.b64encode(f"{created.key.key_id}:{created.secret}".encode()).decode()
    response = Client().get("/alpaca/v2/account", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200
    for header in (f"Basic {basic[:-4]}", "Basic bm9jb2xvbg==", "Bearer not-a-token"):
        response = Client().get("/alpaca/v2/account", HTTP_AUTHORIZATION=header)
        assert (response.status_code, response.json()) == (
            401,
            {"code": 40110000, "message": "request is not authorized"},
        ), header


# --- the profile page


def test_the_profile_page_creates_a_key_and_shows_the_secret_once(client):
    user = UserFactory()
    client.force_login(user)
    assert "API" in client.get("/accounts/profile/").content.decode()

    response = client.post("/accounts/profile/api-keys/", {"name": "page bot"})

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(user=user)
    page = response.content.decode()
    secret = re.search(r'id="api-key-secret" value="([^"]+)"', page).group(1)
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.key_id in page and 'src="/static/js/apikeys.js"' in page and "<script>" not in page
    later = client.get("/accounts/profile/").content.decode()
    assert key.key_id in later and secret not in later and "page bot" in later


def test_the_profile_page_revokes_only_your_own_keys(client):
    user = UserFactory()
    client.force_login(user)
    mine = api_key_create(user=user, name="mine").key
    theirs = api_key_create(user=UserFactory(), name="theirs").key

    assert client.post(f"/accounts/profile/api-keys/{theirs.pk}/revoke/").status_code == 302
    assert client.post(f"/accounts/profile/api-keys/{mine.pk}/revoke/").status_code == 302

    assert ApiKey.objects.get(pk=mine.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert client.get(f"/accounts/profile/api-keys/{mine.pk}/revoke/").status_code == 405


def test_the_profile_page_refuses_a_blank_name_and_an_eleventh_key(client):
    user = UserFactory()
    client.force_login(user)
    assert client.post("/accounts/profile/api-keys/", {"name": " "}).status_code == 400
    for n in range(MAX_LIVE_API_KEYS):
        api_key_create(user=user, name=f"k{n}")
    page = client.get("/accounts/profile/").content.decode()
    assert 'action="/accounts/profile/api-keys/"' not in page
    assert client.post("/accounts/profile/api-keys/", {"name": "more"}).status_code == 409
    assert ApiKey.objects.filter(user=user).count() == MAX_LIVE_API_KEYS


def test_the_admin_lists_keys_read_only_and_never_the_digest():
    staff = UserFactory(username="staff")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    http = Client()
    http.force_login(staff)
    key = api_key_create(user=UserFactory(username="owner"), name="bot").key

    listing = http.get("/admin/accounts/apikey/", {"q": "owner"})
    assert listing.status_code == 200 and key.key_id in listing.content.decode()
    detail = http.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    assert key.secret_hash not in detail and key.secret_hash not in listing.content.decode()
    assert http.get("/admin/accounts/apikey/add/").status_code == 403
    assert http.post(f"/admin/accounts/apikey/{key.pk}/delete/").status_code == 403
