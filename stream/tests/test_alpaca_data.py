"""`/alpaca/v2/iex` and `/alpaca/v2/sip` (ALPACA.md §8) through Channels' WebsocketCommunicator:
msgpack arrays both ways, auth, subscription lists, trades and quotes from the tick records, minute
bars once their minute has closed, each checked with alpaca-py's own parsing (`t` a msgpack
Timestamp)."""

from datetime import timedelta
from decimal import Decimal

import msgpack
import pytest
from alpaca.data.live.stock import StockDataStream
from alpaca.data.models import Bar, Quote, Trade
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.services import api_key_create
from stream import alpaca_data
from stream.tests.conftest import adb, application, quote
from trading.models import MarketTick, PriceBar, Stock

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

EMPTY = {"trades": [], "quotes": [], "bars": [], "updatedBars": [], "dailyBars": [], "statuses": [], "lulds": []}


class Data:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, message) -> None:
        await self.ws.send_to(bytes_data=msgpack.packb(message))

    async def recv(self, timeout: float = 3) -> list[dict]:
        output = await self.ws.receive_output(timeout=timeout)
        assert output["type"] == "websocket.send" and output.get("bytes") is not None, output
        messages = msgpack.unpackb(output["bytes"])  # as alpaca-py unpacks: Timestamps stay Timestamps
        assert isinstance(messages, list)
        return messages

    async def data(self, count: int, timeout: float = 3) -> list[dict]:
        got = []
        while len(got) < count:
            got += await self.recv(timeout)
        return got

    async def closed_with(self, timeout: float = 3) -> int:
        output = await self.ws.receive_output(timeout=timeout)
        while output["type"] != "websocket.close":
            output = await self.ws.receive_output(timeout=timeout)
        return output.get("code", 1000)

    async def subscribe(self, **lists) -> dict:
        await self.send({"action": "subscribe", **lists})
        (reply,) = await self.recv()
        assert reply["T"] == "subscription"
        return reply


async def connect(path: str = "/alpaca/v2/iex") -> Data:
    communicator = WebsocketCommunicator(application(), path)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    client = Data(communicator)
    assert await client.recv() == [{"T": "success", "msg": "connected"}]
    return client


@pytest.fixture
def key(make_user):
    def create():
        created = api_key_create(user=make_user(), name="data stream test")
        return created.key.key_id, created.secret

    return create


async def authenticated(key_id: str, secret: str, path: str = "/alpaca/v2/iex") -> Data:
    client = await connect(path)
    await client.send({"action": "auth", "key": key_id, "secret": secret})
    assert await client.recv() == [{"T": "success", "msg": "authenticated"}]
    return client


def parsed(message: dict):
    """What StockDataStream hands a handler."""
    return StockDataStream("k", "s", url_override="ws://unused")._cast(dict(message))


@database_sync_to_async
def tick_at(at, quotes: list[dict]) -> MarketTick:
    return MarketTick.objects.create(at=at, quotes=quotes)


def priced(code: str, price: str, volume: int) -> dict:
    return {**quote(code, price), "volume": volume}


@pytest.mark.parametrize("path", ["/alpaca/v2/iex", "/alpaca/v2/sip"])
async def test_auth_then_subscribe_answers_the_lists_held(runtime, key, path):
    client = await authenticated(*await adb(key), path=path)
    reply = await client.subscribe(trades=["005930"], quotes=["005930", "000660"], bars=["*"])
    assert reply == {
        "T": "subscription",
        **EMPTY,
        "trades": ["005930"],
        "quotes": ["005930", "000660"],
        "bars": ["*"],
        "corrections": ["005930"],
        "cancelErrors": ["005930"],
    }
    reply = await client.subscribe(dailyBars=["005930"], statuses=["*"])
    assert (reply["trades"], reply["dailyBars"], reply["statuses"]) == (["005930"], ["005930"], ["*"])
    await client.send({"action": "unsubscribe", "quotes": ["000660"], "bars": ["*"]})
    (reply,) = await client.recv()
    assert (reply["quotes"], reply["bars"]) == (["005930"], [])
    await client.ws.disconnect()


async def test_a_subscribe_split_over_two_frames_is_one_message(runtime, key):
    client = await authenticated(*await adb(key))
    packed = msgpack.packb({"action": "subscribe", "trades": ["005930"], "quotes": ["*"]})
    await client.ws.send_to(bytes_data=packed[:7])
    assert await client.ws.receive_nothing(timeout=0.1)
    await client.ws.send_to(bytes_data=packed[7:])
    (reply,) = await client.recv()
    assert (reply["trades"], reply["quotes"]) == (["005930"], ["*"])
    await client.ws.disconnect()


async def test_bad_keys_get_402_and_the_socket_closes(runtime, key):
    key_id, secret = await adb(key)
    for message in (
        {"action": "auth", "key": key_id, "secret": secret + "x"},
        {"action": "auth", "key": "PK" + "B" * 18, "secret": secret},
        {"action": "auth"},
    ):
        client = await connect()
        await client.send(message)
        assert await client.recv() == [{"T": "error", "code": 402, "msg": "auth failed"}]
        assert await client.closed_with() == 4001


async def test_errors_before_and_after_auth(runtime, key, monkeypatch):
    client = await connect()
    await client.send({"action": "subscribe", "trades": ["005930"]})
    assert await client.recv() == [{"T": "error", "code": 401, "msg": "not authenticated"}]
    await client.ws.send_to(text_data='{"action": "auth"}')
    assert (await client.recv())[0]["code"] == 400
    await client.ws.send_to(bytes_data=b"\xc1")  # never valid msgpack
    assert (await client.recv())[0] == {"T": "error", "code": 400, "msg": "invalid syntax"}
    key_id, secret = await adb(key)
    await client.send({"action": "auth", "key": key_id, "secret": secret})
    assert (await client.recv())[0]["msg"] == "authenticated"
    await client.send({"action": "auth", "key": key_id, "secret": secret})
    assert (await client.recv())[0]["code"] == 403
    await client.send({"action": "subscribe", "trades": "005930"})
    assert (await client.recv())[0]["code"] == 400
    await client.send(["subscribe"])
    assert (await client.recv())[0]["code"] == 400
    await client.ws.disconnect()

    monkeypatch.setattr(alpaca_data, "AUTH_TIMEOUT", 0.2)
    silent = await connect()
    assert await silent.recv() == [{"T": "error", "code": 404, "msg": "auth timeout"}]
    assert await silent.closed_with() == 4001


async def test_symbol_and_connection_limits(runtime, key, settings):
    settings.STREAM_MAX_CODES = 2
    settings.STREAM_MAX_CONNECTIONS_PER_USER = 1
    key_id, secret = await adb(key)
    client = await authenticated(key_id, secret)
    await client.subscribe(trades=["005930", "*"], quotes=["005930"])
    await client.send({"action": "subscribe", "bars": ["000660"]})
    assert await client.recv() == [{"T": "error", "code": 405, "msg": "symbol limit exceeded"}]
    second = await connect()
    await second.send({"action": "auth", "key": key_id, "secret": secret})
    assert await second.recv() == [{"T": "error", "code": 406, "msg": "connection limit exceeded"}]
    assert await second.closed_with() == 4008
    await client.ws.disconnect()


async def test_trades_and_quotes_of_the_subscribed_symbols_per_tick(runtime, key, stock):
    client = await authenticated(*await adb(key))
    await client.subscribe(trades=["005930"], quotes=["005930", "000660"])
    base = await adb(lambda: Stock.objects.get(code="005930").volume)
    tick = await tick_at(timezone.now(), [priced("005930", "70100", base + 40), priced("035720", "50000", 9)])
    trade, quote_ = await client.data(2)
    assert trade["T"] == "t" and quote_["T"] == "q"
    assert isinstance(trade["t"], msgpack.Timestamp)  # the extension type alpaca-py requires
    sdk_trade, sdk_quote = parsed(trade), parsed(quote_)
    assert isinstance(sdk_trade, Trade) and isinstance(sdk_quote, Quote)
    assert (sdk_trade.symbol, sdk_trade.price, sdk_trade.size, sdk_trade.id) == ("005930", 70100, 40, tick.id)
    assert sdk_trade.timestamp == tick.at
    assert (sdk_quote.bid_price, sdk_quote.ask_price) == (70100, 70200)  # one tick (100 won) apart
    await tick_at(timezone.now(), [priced("000660", "120500", 5)])
    (only_quote,) = await client.data(1)
    assert (only_quote["T"], only_quote["S"], only_quote["ap"]) == ("q", "000660", 120600)
    await tick_at(timezone.now(), [priced("005930", "70000", base + 45)])
    trade, _quote = await client.data(2)
    assert trade["s"] == 5  # the volume since the previous trade
    await client.ws.disconnect()


async def test_every_symbol_gets_every_moved_quote(runtime, key):
    everything = await authenticated(*await adb(key))
    await everything.subscribe(trades=["*"], quotes=["*"])
    trades_only = await authenticated(*await adb(key))
    await trades_only.subscribe(trades=["*"])
    await tick_at(timezone.now(), [priced("005930", "70100", 10), priced("000660", "120500", 20)])
    assert [(m["T"], m["S"]) for m in await everything.data(4)] == [
        ("t", "005930"),
        ("q", "005930"),
        ("t", "000660"),
        ("q", "000660"),
    ]
    assert [(m["T"], m["S"]) for m in await trades_only.data(2)] == [("t", "005930"), ("t", "000660")]
    await everything.ws.disconnect()
    await trades_only.ws.disconnect()


async def test_a_minute_bar_is_sent_once_its_minute_has_closed(runtime, key, stock):
    client = await authenticated(*await adb(key))
    await client.subscribe(bars=["005930"], dailyBars=["*"])
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=3)
    await tick_at(minute + timedelta(seconds=10), [priced("005930", "70100", 10)])

    def engine_bars():  # as the price mover writes them, in the ticks of that minute
        for code, close in (("005930", "70100"), ("000660", "120500")):
            PriceBar.objects.create(
                stock=Stock.objects.get_or_create(code=code, defaults={"name": code, "market": "KOSPI"})[0],
                interval=PriceBar.Interval.MINUTE,
                start=minute,
                open=Decimal("70000"),
                high=Decimal("70200"),
                low=Decimal("69900"),
                close=Decimal(close),
                volume=123,
            )
        Stock.objects.filter(code="005930").update(trading_date=timezone.localdate(), volume=1000)

    await adb(engine_bars)
    assert await client.ws.receive_nothing(timeout=0.3)  # the minute is not over yet
    await tick_at(minute + timedelta(seconds=61), [priced("005930", "70000", 20)])
    bar, daily = await client.data(2)
    assert (bar["T"], bar["S"], bar["o"], bar["h"], bar["l"], bar["c"], bar["v"]) == (
        "b",
        "005930",
        70000,
        70200,
        69900,
        70100,
        123,
    )
    sdk_bar = parsed(bar)
    assert isinstance(sdk_bar, Bar) and sdk_bar.timestamp == minute and sdk_bar.close == 70100
    assert (daily["T"], daily["S"], daily["c"], daily["v"]) == ("d", "005930", 70000, 1000)
    assert isinstance(parsed(daily), Bar)
    await tick_at(minute + timedelta(seconds=70), [priced("005930", "70100", 30)])
    assert await client.ws.receive_nothing(timeout=0.3)  # same minute: no bar again
    await client.ws.disconnect()


async def test_all_trades_with_some_quotes_and_the_feed_leaves_the_hub_with_the_last_client(runtime, key):
    client = await authenticated(*await adb(key))
    assert alpaca_data.feed_for(runtime) in runtime.hub.all_codes
    await client.subscribe(trades=["*"], quotes=["000660"])
    await tick_at(timezone.now(), [priced("005930", "70100", 10), priced("000660", "120500", 20)])
    assert [(m["T"], m["S"]) for m in await client.data(3)] == [("t", "005930"), ("t", "000660"), ("q", "000660")]
    await client.ws.disconnect()
    assert alpaca_data.feed_for(runtime) not in runtime.hub.all_codes
