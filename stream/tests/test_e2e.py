"""The stream end to end: real uvicorn and gunicorn processes on a database of their own, the
`websockets` client, orders placed over HTTP. Covers the protocol's promises across processes:
auth failures, subscribe filtering, new-then-fill, isolation between users, since_seq after a
disconnect, a SIGKILLed stream process, and two stream processes woken through Redis."""

import asyncio
import json
import uuid

import pytest
import websockets

from stream.tests import stack
from stream.tests.test_wakeups import REDIS_URL, needs_redis

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def database(tmp_path_factory, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db = stack.Database(tmp_path_factory.mktemp("stream-e2e"))
        db.create()
        yield db
        db.drop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("stream-e2e-logs")


@pytest.fixture(scope="module")
def web(database, logs):
    process, base = stack.start_web(database.url, logs)
    yield base
    process.stop()


@pytest.fixture(scope="module")
def stream(database, logs):
    process, url = stack.start_stream(database.url, logs)
    yield url
    process.stop()


class Socket:
    def __init__(self, ws) -> None:
        self.ws = ws

    async def send(self, message) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 5) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def orders(self, count: int, timeout: float = 10) -> list[dict]:
        frames = []
        while len(frames) < count:
            frame = await self.recv(timeout)
            if frame["type"] == "order":
                frames.append(frame)
        return frames

    async def quiet(self, kind: str, seconds: float) -> bool:
        """No frame of `kind` for `seconds`."""
        try:
            while True:
                if (await self.recv(seconds))["type"] == kind:
                    return False
        except TimeoutError:
            return True

    async def close_code(self, timeout: float = 8) -> int:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        return closed.value.rcvd.code


async def open_socket(url: str, api=None, **subscribe) -> Socket:
    socket = Socket(await websockets.connect(url))
    if api is not None:
        await socket.send({"action": "auth", "token": api.access})
        assert await socket.recv() == {"type": "authorized", "user_id": api.user_id}
    if subscribe:
        await socket.send({"action": "subscribe", **subscribe})
        assert (await socket.recv())["type"] == "subscribed"
    return socket


async def test_auth_failures_close_with_4001(web, stream):
    api = await asyncio.to_thread(stack.Api, web)
    for message in ({"action": "auth", "token": "nope"}, {"action": "auth", "token": api.refresh}, "hello"):
        socket = await open_socket(stream)
        await socket.send(message)
        assert (await socket.recv())["code"] == "not_authenticated"
        assert await socket.close_code() == 4001
    silent = await open_socket(stream)  # no auth message at all: closed after 5 s
    assert (await silent.recv(timeout=8))["code"] == "not_authenticated"
    assert await silent.close_code() == 4001


async def test_a_market_order_over_http_arrives_as_new_then_fill_and_only_to_its_owner(web, stream):
    alice, bob = await asyncio.to_thread(stack.Api, web), await asyncio.to_thread(stack.Api, web)
    mine = await open_socket(stream, alice, orders=True)
    theirs = await open_socket(stream, bob, orders=True)
    order = await asyncio.to_thread(alice.market_buy)
    new, fill = await mine.orders(2)
    assert (new["event"], fill["event"], fill["seq"]) == ("new", "fill", new["seq"] + 1)
    assert new["order"]["id"] == fill["order"]["id"] == order["id"]
    assert fill["order"]["status"] == "filled" and fill["execution"]["order"] == order["id"]
    assert await theirs.quiet("order", 1.0)
    await mine.ws.close()
    await theirs.ws.close()


async def test_quotes_reach_only_the_subscribed_codes(database, logs, web, stream):
    api = await asyncio.to_thread(stack.Api, web)
    one_code = await open_socket(stream, api, quotes=["000660"])
    no_quotes = await open_socket(stream, api, orders=True)
    market = stack.start_market(database.url, logs, "--interval", "0.3", "--ticks", "15", "--seed", "7")
    try:
        codes = set()
        for _ in range(3):
            frame = await one_code.recv(timeout=10)
            assert frame["type"] == "quotes" and frame["at"]
            codes |= {quote["code"] for quote in frame["data"]}
        assert codes == {"000660"}
        assert await no_quotes.quiet("quotes", 1.0)
    finally:
        market.stop()
    await one_code.ws.close()
    await no_quotes.ws.close()


async def test_a_client_that_missed_three_orders_gets_exactly_those_with_since_seq(web, stream):
    api = await asyncio.to_thread(stack.Api, web)
    socket = await open_socket(stream, api, orders=True)
    await asyncio.to_thread(api.market_buy)
    last_seen = (await socket.orders(2))[-1]["seq"]
    await socket.ws.close()
    missed = [await asyncio.to_thread(api.market_buy) for _ in range(3)]
    socket = await open_socket(stream, api)
    await socket.send({"action": "subscribe", "orders": True, "since_seq": last_seen})
    assert (await socket.recv())["seq"] == last_seen + 6
    frames = await socket.orders(6)
    assert [f["seq"] for f in frames] == list(range(last_seen + 1, last_seen + 7))
    assert [f["order"]["id"] for f in frames] == [o["id"] for o in missed for _ in ("new", "fill")]
    assert await socket.quiet("order", 0.5)
    await socket.ws.close()


async def test_a_stream_process_killed_and_restarted_loses_nothing(database, logs, web):
    api = await asyncio.to_thread(stack.Api, web)
    port = stack.free_port()
    process, url = stack.start_stream(database.url, logs, port=port)
    try:
        socket = await open_socket(url, api, orders=True)
        received = []
        await asyncio.to_thread(api.market_buy)
        received += await socket.orders(2)
        process.kill()  # SIGKILL: no goodbye to anyone
        with pytest.raises(websockets.ConnectionClosed):
            await socket.recv()
        for _ in range(2):
            await asyncio.to_thread(api.market_buy)  # placed while no stream process runs
        process, url = stack.start_stream(database.url, logs, port=port)
        socket = await open_socket(url, api)
        await socket.send({"action": "subscribe", "orders": True, "since_seq": received[-1]["seq"]})
        assert (await socket.recv())["type"] == "subscribed"
        received += await socket.orders(4)
        await asyncio.to_thread(api.market_buy)  # and live again after the restart
        received += await socket.orders(2)
        assert [f["seq"] for f in received] == list(range(1, 9))
        await socket.ws.close()
    finally:
        process.kill()


@needs_redis
async def test_with_redis_two_stream_processes_both_see_a_fill_at_once(database, logs, web):
    # The safety poll is 30 s away: only a Redis wake-up can deliver within the test's seconds.
    env = {"REDIS_URL": REDIS_URL, "STREAM_WAKEUP_CHANNEL": f"stocking-test:{uuid.uuid4().hex}"}
    streams = [stack.start_stream(database.url, logs, STREAM_REDIS_POLL_INTERVAL="30", **env) for _ in range(2)]
    other_web, other_base = stack.start_web(database.url, logs, **env)  # "the other node"
    try:
        api = await asyncio.to_thread(stack.Api, other_base)
        sockets = [await open_socket(url, api, orders=True) for _, url in streams]
        await asyncio.sleep(1.0)  # both listeners subscribed; their start-up poll is done
        order = await asyncio.to_thread(api.market_buy)
        for socket in sockets:
            frames = await socket.orders(2, timeout=3)
            assert [f["event"] for f in frames] == ["new", "fill"]
            assert frames[1]["order"]["id"] == order["id"]
            await socket.ws.close()
    finally:
        other_web.stop()
        for process, _ in streams:
            process.stop()
