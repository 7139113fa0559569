"""`/alpaca/stream` (ALPACA.md §8) through Channels' WebsocketCommunicator: the authenticate reply
first, listen, and the user's order events as Alpaca's trade updates, which alpaca-py's TradeUpdate
model must accept; `cancelled` spelled Alpaca's way and `triggered` never forwarded."""

import json
import uuid
from decimal import Decimal

import pytest
from alpaca.trading.models import TradeUpdate
from channels.testing import WebsocketCommunicator

from accounts.services import api_key_create, api_key_revoke
from stream import alpaca_trading
from stream.tests.conftest import adb, aplace, application, refresh_for, token_for
from trading.models import Execution, Order

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

PATH = "/alpaca/stream"
AUTHORIZED = {"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}


class Trading:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, message, *, binary: bool = False) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        if binary:
            await self.ws.send_to(bytes_data=text.encode())
        else:
            await self.ws.send_to(text_data=text)

    async def recv(self, timeout: float = 3) -> dict:
        output = await self.ws.receive_output(timeout=timeout)
        assert output["type"] == "websocket.send", output
        self.last_binary = output.get("bytes") is not None
        return json.loads(output["bytes"] if self.last_binary else output["text"])

    async def updates(self, count: int) -> list[dict]:
        return [(await self.recv())["data"] for _ in range(count)]

    async def closed_with(self, timeout: float = 3) -> int:
        output = await self.ws.receive_output(timeout=timeout)
        while output["type"] != "websocket.close":
            output = await self.ws.receive_output(timeout=timeout)
        return output.get("code", 1000)

    async def authenticate(self, key_id: str, secret: str) -> dict:
        await self.send({"action": "authenticate", "data": {"key_id": key_id, "secret_key": secret}})
        return await self.recv()

    async def listen(self, streams=("trade_updates",)) -> dict:
        await self.send({"action": "listen", "data": {"streams": list(streams)}})
        return await self.recv()


async def connect() -> Trading:
    communicator = WebsocketCommunicator(application(), PATH)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return Trading(communicator)


@pytest.fixture
def trader(make_user):
    def create():
        user = make_user()
        created = api_key_create(user=user, name="stream test")
        return user, created.key.key_id, created.secret

    return create


async def listening(key_id: str, secret: str) -> Trading:
    client = await connect()
    assert await client.authenticate(key_id, secret) == AUTHORIZED
    assert await client.listen() == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    return client


async def test_a_market_order_arrives_as_new_then_fill_in_alpacas_shape(runtime, trader, stock):
    user, key_id, secret = await adb(trader)
    client = await listening(key_id, secret)
    order = await aplace(user, quantity=3)
    new, fill = await client.updates(2)
    public_id = str(await adb(lambda: Order.objects.get(pk=order.pk).public_id))
    execution = await adb(lambda: Execution.objects.get(order_id=order.pk))

    assert (new["event"], new["order"]["id"], new["order"]["status"]) == ("new", public_id, "new")
    assert "execution_id" not in new and new["timestamp"] == new["order"]["created_at"]
    assert (fill["event"], fill["order"]["id"], fill["order"]["status"]) == ("fill", public_id, "filled")
    assert fill["execution_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"stocking:execution:{execution.pk}"))
    assert (fill["price"], fill["qty"], fill["position_qty"]) == ("70000", "3", "3")
    assert fill["order"]["filled_qty"] == "3" and fill["order"]["symbol"] == "005930"
    parsed = [TradeUpdate(**update) for update in (new, fill)]  # alpaca-py's own model
    assert [u.event for u in parsed] == ["new", "fill"]
    assert parsed[1].order.id == uuid.UUID(public_id) and parsed[1].price == 70000.0 and parsed[1].position_qty == 3
    assert parsed[1].timestamp == execution.executed_at
    await client.ws.disconnect()


async def test_position_qty_is_the_holding_right_after_each_fill(runtime, trader, stock):
    user, key_id, secret = await adb(trader)
    client = await listening(key_id, secret)
    await aplace(user, quantity=5)
    await aplace(user, side="sell", quantity=2)
    updates = await client.updates(4)
    assert [(u["event"], u.get("position_qty")) for u in updates] == [
        ("new", None),
        ("fill", "5"),
        ("new", None),
        ("fill", "3"),
    ]
    await client.ws.disconnect()


async def test_a_cancelled_order_is_canceled_and_a_triggered_stop_is_not_forwarded(runtime, trader, stock):
    from trading.models import Stock
    from trading.services import order_cancel
    from trading.services.triggers import stops_trigger

    user, key_id, secret = await adb(trader)
    client = await listening(key_id, secret)
    limit = await aplace(user, order_type="limit", limit_price=Decimal("69000"))
    await adb(lambda: order_cancel(user=user, order_id=limit.pk))
    stop = await aplace(user, order_type="stop", stop_price=Decimal("70500"))

    def rise():
        Stock.objects.filter(code="005930").update(current_price=Decimal("70500"))
        stops_trigger()

    await adb(rise)  # native events: triggered, then fill
    updates = await client.updates(4)
    assert [u["event"] for u in updates] == ["new", "canceled", "new", "fill"]
    assert updates[1]["order"]["status"] == "canceled" and updates[1]["order"]["canceled_at"]
    assert updates[3]["order"]["type"] == "stop" and updates[3]["price"] == "70500"
    assert [TradeUpdate(**u).event for u in updates] == ["new", "canceled", "new", "fill"]
    events = await adb(lambda: list(stop.events.order_by("seq").values_list("event", flat=True)))
    assert events == ["new", "triggered", "fill"]
    assert await client.ws.receive_nothing(timeout=0.3)
    await client.ws.disconnect()


async def test_a_modified_order_is_replaced_in_place_and_both_sockets_of_a_user_get_it(runtime, trader, stock):
    from trading.services import order_modify

    user, key_id, secret = await adb(trader)
    first, second = await listening(key_id, secret), await listening(key_id, secret)
    limit = await aplace(user, order_type="limit", limit_price=Decimal("69000"), quantity=2)
    await adb(lambda: order_modify(user=user, order_id=limit.pk, limit_price=Decimal("68500"), quantity=3))
    updates = await first.updates(2)
    assert updates == await second.updates(2)
    assert [u["event"] for u in updates] == ["new", "replaced"]
    assert updates[0]["order"]["id"] == updates[1]["order"]["id"]
    assert (updates[1]["order"]["limit_price"], updates[1]["order"]["qty"]) == ("68500", "3")
    assert (updates[0]["order"]["limit_price"], updates[0]["order"]["qty"]) == ("69000", "2")  # as it was then
    assert TradeUpdate(**updates[1]).event == "replaced"
    await first.ws.disconnect()
    await second.ws.disconnect()


async def test_nothing_arrives_before_listen_or_from_another_user(runtime, trader, stock):
    alice, key_id, secret = await adb(trader)
    bob, *_ = await adb(trader)
    quiet = await connect()
    assert await quiet.authenticate(key_id, secret) == AUTHORIZED
    client = await listening(key_id, secret)
    await aplace(bob)
    await aplace(alice)
    assert [u["event"] for u in await client.updates(2)] == ["new", "fill"]
    assert await client.ws.receive_nothing(timeout=0.3)
    assert await quiet.ws.receive_nothing(timeout=0.1)
    assert await client.listen(streams=[]) == {"stream": "listening", "data": {"streams": []}}
    await aplace(alice)
    assert await client.ws.receive_nothing(timeout=0.3)
    await client.ws.disconnect()
    await quiet.ws.disconnect()


@pytest.mark.parametrize("credentials", ["wrong secret", "unknown key", "revoked", "refresh token", "no data"])
async def test_bad_credentials_answer_unauthorized_first_and_close(runtime, trader, credentials):
    user, key_id, secret = await adb(trader)
    data = {"key_id": key_id, "secret_key": secret}
    if credentials == "wrong secret":
        data["secret_key"] = secret + "x"
    elif credentials == "unknown key":
        data["key_id"] = "PK" + "A" * 18
    elif credentials == "revoked":
        await adb(lambda: api_key_revoke(user=user, api_key_id=user.api_keys.get().pk))
    elif credentials == "refresh token":
        data = {"oauth_token": await adb(lambda: refresh_for(user))}
    else:
        data = {}
    client = await connect()
    await client.send({"action": "authenticate", "data": data})
    reply = await client.recv()
    assert (reply["stream"], reply["data"]["action"], reply["data"]["status"]) == (
        "authorization",
        "authenticate",
        "unauthorized",
    )
    assert await client.closed_with() == 4001


@pytest.mark.parametrize("first", [{"action": "listen", "data": {"streams": ["trade_updates"]}}, "not json"])
async def test_anything_but_authenticate_first_is_unauthorized(runtime, first):
    client = await connect()
    await client.send(first)
    assert (await client.recv())["data"]["status"] == "unauthorized"
    assert await client.closed_with() == 4001


async def test_no_authenticate_within_the_timeout_closes(runtime, monkeypatch):
    monkeypatch.setattr(alpaca_trading, "AUTH_TIMEOUT", 0.2)
    client = await connect()
    assert (await client.recv())["data"]["status"] == "unauthorized"
    assert await client.closed_with() == 4001


async def test_an_access_token_authenticates_too(runtime, trader, stock):
    user, *_ = await adb(trader)
    client = await connect()
    await client.send({"action": "authenticate", "data": {"oauth_token": await adb(lambda: token_for(user))}})
    assert await client.recv() == AUTHORIZED
    await client.listen()
    await aplace(user)
    assert [u["event"] for u in await client.updates(2)] == ["new", "fill"]
    await client.ws.disconnect()


async def test_binary_frames_are_answered_in_binary(runtime, trader):
    _user, key_id, secret = await adb(trader)
    client = await connect()
    await client.send({"action": "authenticate", "data": {"key_id": key_id, "secret_key": secret}}, binary=True)
    assert await client.recv() == AUTHORIZED and client.last_binary
    await client.send({"action": "listen", "data": {"streams": ["trade_updates", "nope"]}}, binary=True)
    assert await client.recv() == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    assert client.last_binary
    await client.ws.disconnect()


async def test_a_bad_message_after_authenticate_is_an_error_and_keeps_the_socket(runtime, trader):
    _user, key_id, secret = await adb(trader)
    client = await connect()
    await client.authenticate(key_id, secret)
    await client.send("{not json")
    assert (await client.recv())["stream"] == "error"
    await client.send({"action": "dance"})
    assert (await client.recv())["stream"] == "error"
    assert await client.listen() == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    await client.ws.disconnect()


async def test_connections_over_the_per_user_limit_are_refused(runtime, trader, settings):
    settings.STREAM_MAX_CONNECTIONS_PER_USER = 1
    _user, key_id, secret = await adb(trader)
    first = await connect()
    assert await first.authenticate(key_id, secret) == AUTHORIZED
    second = await connect()
    reply = await second.authenticate(key_id, secret)
    assert reply["data"]["status"] == "unauthorized" and "limit" in reply["data"]["message"]
    assert await second.closed_with() == 4008
    await first.ws.disconnect()
