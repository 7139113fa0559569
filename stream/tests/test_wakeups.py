"""Redis wake-ups: published only after a commit, and a stream process that receives one polls at
once (here the regular poll is 30 s away). Needs the machine's Redis (CI has one)."""

import asyncio
import os
import socket
import time
import uuid

import pytest
import redis
from django.db import transaction

from stocking.core import wakeup
from stream.tests.conftest import adb, aplace, authorized, place

REDIS_URL = os.environ.get("TEST_STREAM_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(
    not redis_is_up() and not os.environ.get("REQUIRE_REDIS"), reason="no Redis on 127.0.0.1:6379"
)


@pytest.fixture
def channel(settings):
    settings.REDIS_URL = REDIS_URL
    settings.STREAM_WAKEUP_CHANNEL = f"stocking-test:{uuid.uuid4().hex}"
    wakeup._down_until = 0.0
    return settings.STREAM_WAKEUP_CHANNEL


def test_without_redis_nothing_is_published(settings, django_capture_on_commit_callbacks):
    settings.REDIS_URL = ""
    with django_capture_on_commit_callbacks() as callbacks:
        wakeup.wakeup_after_commit("orders")
    assert callbacks == []


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_wakeup_is_published_after_the_commit_and_never_for_a_rollback(channel, make_user, stock):
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    listener.get_message(timeout=1)  # the subscribe confirmation
    user = make_user()
    with transaction.atomic():
        place(user)
        assert listener.get_message(timeout=0.2) is None  # not before the commit
    assert listener.get_message(timeout=2)["data"] == b"orders"
    with pytest.raises(RuntimeError), transaction.atomic():
        place(user)
        raise RuntimeError("rolled back")
    assert listener.get_message(timeout=0.3) is None
    listener.close()


@needs_redis
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_wakeup_makes_the_stream_poll_at_once(channel, settings, runtime, make_user, stock):
    settings.STREAM_REDIS_POLL_INTERVAL = 30.0
    user = await adb(make_user)
    client = await authorized(user)
    await client.subscribe(orders=True)
    for _ in range(50):  # the listener is subscribed: from now on the safety poll is 30 s away
        if runtime.listener.connected:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # the tailer is now in its 30 s wait
    started = time.monotonic()
    await aplace(user)
    assert (await client.recv(timeout=5))["event"] == "new"
    assert time.monotonic() - started < 2
    assert runtime.listener.received >= 1
    await client.close()
