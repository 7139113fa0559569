"""Who may use the stream: the auth message, the session cookie (from our own origins only), the
token's expiry grace and the per-user connection limit (DESIGN.md "Live stream")."""

import time
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from rest_framework_simplejwt.tokens import AccessToken

from stream import consumers
from stream.tests.conftest import adb, authorized, connect, refresh_for, token_for

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NOT_AUTHENTICATED = {"type": "error", "code": "not_authenticated"}


async def expect_rejected(client) -> None:
    frame = await client.recv()
    assert {k: frame[k] for k in ("type", "code")} == NOT_AUTHENTICATED
    assert await client.closed_with() == 4001


@pytest.mark.parametrize(
    "first_message",
    [
        {"action": "auth", "token": "not-a-jwt"},
        {"action": "auth"},
        {"action": "subscribe", "quotes": ["*"]},
        "this is not json",
        '["auth"]',
    ],
)
async def test_a_first_message_that_is_not_a_valid_auth_closes_with_4001(runtime, make_user, first_message):
    client = await connect()
    await client.send(first_message)
    await expect_rejected(client)


async def test_a_refresh_token_is_not_accepted(runtime, make_user):
    client = await connect()
    refresh = await adb(lambda: refresh_for(make_user()))
    await client.send({"action": "auth", "token": refresh})
    await expect_rejected(client)


async def test_an_expired_token_is_not_accepted(runtime, make_user):
    token = AccessToken.for_user(await adb(make_user))
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = await connect()
    await client.send({"action": "auth", "token": str(token)})
    await expect_rejected(client)


async def test_no_auth_within_the_timeout_closes_with_4001(runtime, make_user, monkeypatch):
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT", 0.2)
    client = await connect()
    await expect_rejected(client)


async def test_a_valid_token_is_authorized_with_the_user_id(runtime, make_user):
    user = await adb(make_user)
    client = await authorized(user)
    await client.close()


def session_cookie(user) -> bytes:
    http = HttpClient()
    http.force_login(user)
    return f"sessionid={http.cookies['sessionid'].value}".encode()


async def test_a_page_session_cookie_authorizes_from_our_own_origin(runtime, make_user):
    user = await adb(make_user)
    cookie = await adb(session_cookie, user)
    headers = [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:5100"), (b"host", b"127.0.0.1:5101")]
    client = await connect(headers=headers)
    assert await client.recv() == {"type": "authorized", "user_id": user.pk}
    await client.close()


@pytest.mark.parametrize("origin", [b"https://evil.example", None])
async def test_a_session_cookie_from_another_origin_is_ignored(runtime, make_user, monkeypatch, origin):
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT", 0.3)
    user = await adb(make_user)
    headers = [(b"cookie", await adb(session_cookie, user)), (b"host", b"127.0.0.1:5101")]
    if origin:
        headers.append((b"origin", origin))
    client = await connect(headers=headers)
    await expect_rejected(client)


async def test_trusted_origins_may_use_the_cookie(runtime, make_user, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.stocking.example"]
    user = await adb(make_user)
    headers = [
        (b"cookie", await adb(session_cookie, user)),
        (b"origin", b"https://app.stocking.example"),
        (b"host", b"stream.stocking.example"),
    ]
    client = await connect(headers=headers)
    assert (await client.recv())["type"] == "authorized"
    await client.close()


async def test_an_expired_token_closes_with_4001_after_the_grace(runtime, make_user, settings):
    settings.STREAM_TOKEN_GRACE = 0.5
    user = await adb(make_user)
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=2))
    client = await connect()
    await client.send({"action": "auth", "token": str(token)})
    assert (await client.recv())["type"] == "authorized"
    closes_in = token["exp"] + 0.5 - time.time()
    started = time.monotonic()
    await expect_rejected(client)
    assert time.monotonic() - started >= closes_in - 0.1


async def test_a_new_auth_before_the_grace_ends_keeps_the_socket(runtime, make_user, settings):
    settings.STREAM_TOKEN_GRACE = 0.3
    user = await adb(make_user)
    short = AccessToken.for_user(user)
    short.set_exp(lifetime=timedelta(seconds=2))
    client = await connect()
    await client.send({"action": "auth", "token": str(short)})
    assert (await client.recv())["type"] == "authorized"
    await client.send({"action": "auth", "token": token_for(user)})
    assert (await client.recv())["type"] == "authorized"
    assert await client.nothing(timeout=max(0.1, short["exp"] + 0.3 - time.time()) + 0.5)
    await client.close()


async def test_re_auth_as_another_user_closes_with_4001(runtime, make_user):
    user, other = await adb(make_user), await adb(make_user)
    client = await authorized(user)
    await client.send({"action": "auth", "token": token_for(other)})
    await expect_rejected(client)


async def test_connections_over_the_per_user_limit_are_closed_with_4008(runtime, make_user, settings):
    settings.STREAM_MAX_CONNECTIONS_PER_USER = 2
    user, other = await adb(make_user), await adb(make_user)
    first, second = await authorized(user), await authorized(user)
    third = await connect()
    await third.send({"action": "auth", "token": token_for(user)})
    frame = await third.recv()
    assert (frame["type"], frame["code"]) == ("error", "too_many_connections")
    assert await third.closed_with() == 4008
    await (await authorized(other)).close()  # per user: someone else still connects
    await first.close()
    replacement = await authorized(user)  # a closed connection frees its place
    for client in (second, replacement):
        await client.close()


async def test_after_auth_bad_frames_get_errors_and_the_socket_stays_open(runtime, make_user):
    client = await authorized(await adb(make_user))
    await client.send("{not json")
    assert (await client.recv())["code"] == "bad_request"
    await client.send({"action": "dance"})
    assert (await client.recv())["code"] == "unknown_action"
    await client.send({"action": "subscribe", "quotes": "005930"})
    assert (await client.recv())["code"] == "bad_request"
    assert (await client.subscribe(quotes=["005930"]))["quotes"] == ["005930"]
    await client.close()
