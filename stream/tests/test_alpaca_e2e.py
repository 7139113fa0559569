"""The Alpaca streams end to end with alpaca-py itself: its TradingStream and StockDataStream (their
`url_override` pointing at a real uvicorn stream process on a free port) against gunicorn and
run_market on a database of their own. The SDK's handlers must receive parsed TradeUpdate, Trade,
Quote and Bar objects.

Bars need a closed minute. Rather than wait for the clock, the test writes what the price mover
writes when the next minute begins, its first tick of that minute, after run_market has stopped; the
bar the stream then sends is the one run_market itself recorded.
"""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime

import pytest
from alpaca.data.live.stock import StockDataStream
from alpaca.data.models import Bar, Quote, Trade
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.models import TradeUpdate
from alpaca.trading.requests import MarketOrderRequest
from alpaca.trading.stream import TradingStream

from stream.tests import stack

# django_db: so the suite's test database exists (and stack.Database can reach its server) when this
# module runs alone; the tests themselves use only the processes' own database.
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


class Database(stack.Database):
    """The stream e2e database under a name of its own (the native e2e module uses `_e2e`)."""

    def __init__(self, tmp) -> None:
        super().__init__(tmp)
        if self.mysql:
            self.name = self.name.removesuffix("_e2e")[:54] + "_alpaca_e2e"
            self.url = self.url.rsplit("/", 1)[0] + "/" + self.name


@pytest.fixture(scope="module")
def database(tmp_path_factory, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db = Database(tmp_path_factory.mktemp("alpaca-stream-e2e"))
        db.create()
        yield db
        db.drop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("alpaca-stream-e2e-logs")


@pytest.fixture(scope="module")
def web(database, logs):
    process, base = stack.start_web(database.url, logs)
    yield base
    process.stop()


@pytest.fixture(scope="module")
def stream_base(database, logs):
    process, url = stack.start_stream(database.url, logs)
    yield url.removesuffix("/ws/v1/stream")
    process.stop()


def shell(database_url: str, code: str) -> str:
    """Run Django code in the test's own database (another process); its last line of output."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=stack.ROOT,
        env=stack.child_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]  # after the shell's own banner


def new_key(api: stack.Api) -> tuple[str, str]:
    created = api.call("POST", "/api/v1/api-keys", {"name": "alpaca streams e2e"})
    return created["key_id"], created["secret"]


async def run(client) -> asyncio.Task:
    """The SDK client's own loop (what its blocking run() runs), here on the test's event loop."""
    task = asyncio.ensure_future(client._run_forever())
    for _ in range(100):  # until it has authenticated and sent its listen/subscribe
        if client._running:
            break
        await asyncio.sleep(0.05)
    assert client._running, "the SDK client did not connect"
    await asyncio.sleep(0.3)  # the server has handled the listen/subscribe
    return task


async def stop(client, task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.close()


async def next_of(queue: asyncio.Queue, kind: type, timeout: float = 15, where=lambda item: True):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        item = await asyncio.wait_for(queue.get(), max(0.01, deadline - loop.time()))
        if isinstance(item, kind) and where(item):
            return item


async def test_trading_stream_receives_new_then_fill_as_trade_updates(web, stream_base):
    api = await asyncio.to_thread(stack.Api, web)
    key_id, secret = await asyncio.to_thread(new_key, api)
    updates: asyncio.Queue = asyncio.Queue()
    stream = TradingStream(key_id, secret, paper=True, url_override=f"{stream_base}/alpaca/stream")

    async def on_update(update):
        await updates.put(update)

    stream.subscribe_trade_updates(on_update)
    task = await run(stream)
    rest = TradingClient(key_id, secret, paper=True, url_override=f"{web}/alpaca")
    try:
        request = MarketOrderRequest(symbol="005930", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
        placed = await asyncio.to_thread(rest.submit_order, request)  # over the facade
        new, fill = [await asyncio.wait_for(updates.get(), 10) for _ in range(2)]
        assert isinstance(new, TradeUpdate) and isinstance(fill, TradeUpdate)
        assert (new.event, fill.event) == ("new", "fill")
        assert new.order.id == fill.order.id == placed.id
        assert (fill.order.status, fill.qty, fill.position_qty, fill.execution_id is not None) == ("filled", 2, 2, True)
        assert fill.price == float(placed.filled_avg_price)

        native = await asyncio.to_thread(api.market_buy, "005930", 1)  # over the native API
        new, fill = [await asyncio.wait_for(updates.get(), 10) for _ in range(2)]
        assert (new.event, fill.event, fill.position_qty) == ("new", "fill", 3)
        fetched = await asyncio.to_thread(rest.get_order_by_id, fill.order.id)
        assert fetched.client_order_id == str(fetched.id) and fill.order.filled_qty == "1"
        assert fetched.model_dump() == fill.order.model_dump() | {"updated_at": fetched.updated_at}
        assert native["status"] == "filled"
        assert updates.empty()
    finally:
        rest._session.close()
        await stop(stream, task)


async def test_stock_data_stream_receives_trades_quotes_and_the_minute_bar(database, logs, web, stream_base):
    received: asyncio.Queue = asyncio.Queue()
    key_id, secret = await asyncio.to_thread(new_key, await asyncio.to_thread(stack.Api, web))
    stream = StockDataStream(key_id, secret, url_override=f"{stream_base}/alpaca/v2/iex")

    async def on_data(item):
        await received.put(item)

    stream.subscribe_trades(on_data, "005930")
    stream.subscribe_quotes(on_data, "005930")
    stream.subscribe_bars(on_data, "005930")
    task = await run(stream)
    market = stack.start_market(database.url, logs, "--interval", "0.2", "--ticks", "15", "--seed", "7")
    try:
        trade = await next_of(received, Trade)
        quote = await next_of(received, Quote)
        assert trade.symbol == quote.symbol == "005930" and trade.price > 0 and quote.ask_price > quote.bid_price
        assert isinstance(trade.timestamp, datetime) and trade.timestamp.tzinfo is not None
        await asyncio.to_thread(market.popen.wait, 30)
        # The price mover's first tick of the next minute: the minute of its last tick is now closed.
        last = json.loads(await asyncio.to_thread(shell, database.url, NEXT_MINUTE_TICK))
        start = datetime.fromisoformat(last["start"])
        bar = await next_of(received, Bar, where=lambda b: b.timestamp == start)
        assert bar.symbol == "005930"
        assert [bar.open, bar.high, bar.low, bar.close, bar.volume] == last["ohlcv"]
    finally:
        market.stop()
        await stop(stream, task)


NEXT_MINUTE_TICK = (
    "import json; from datetime import timedelta; from trading.models import MarketTick, PriceBar\n"
    "tick = MarketTick.objects.order_by('-id').first()\n"
    "minute = tick.at.replace(second=0, microsecond=0)\n"
    "bar = PriceBar.objects.get(stock__code='005930', interval='1m', start=minute)\n"
    "MarketTick.objects.create(at=minute + timedelta(minutes=1), quotes=[dict(tick.quotes[0])])\n"
    "print(json.dumps({'start': minute.isoformat(), 'ohlcv': [float(bar.open), float(bar.high),"
    " float(bar.low), float(bar.close), bar.volume]}))"
)

RISING_DAYS = (
    "from datetime import timedelta; from decimal import Decimal; from django.utils import timezone\n"
    "from trading.models import PriceBar, Stock\n"
    "stock = Stock.objects.get(code='005930')\n"
    "today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)\n"
    "for back in range(1, 6):\n"
    "    close = Decimal(60000 - back * 2000)\n"
    "    PriceBar.objects.update_or_create(stock=stock, interval='1d', start=today - timedelta(days=back),"
    " defaults=dict(open=close, high=close, low=close, close=close, volume=1000))\n"
    "print('ok')"
)


def wait_for_line(process: stack.Process, text: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = process.log.read_text(errors="replace") if process.log.exists() else ""
        if text in log:
            return log
        if process.popen.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in the bot's log:\n{process.tail()}")


async def test_the_example_bots_streaming_mode_trades_on_a_closed_minute(database, logs, web, stream_base):
    key_id, secret = await asyncio.to_thread(new_key, await asyncio.to_thread(stack.Api, web))
    await asyncio.to_thread(shell, database.url, RISING_DAYS)  # five closes below today's: the trend is up
    argv = [sys.executable, "examples/alpaca_sma_bot.py", "--url", f"{web}/alpaca", "--stream"]
    argv += ["--stream-url", f"{stream_base}/alpaca", "--symbols", "005930", "--fast", "2", "--slow", "3"]
    env = {**os.environ, "APCA_API_KEY_ID": key_id, "APCA_API_SECRET_KEY": secret, "PYTHONUNBUFFERED": "1"}
    bot = stack.Process("bot", argv, env, logs).start()
    market = None
    try:
        await asyncio.to_thread(wait_for_line, bot, "subscribed to bars: ['005930']")
        await asyncio.to_thread(wait_for_line, bot, "connected to: ")  # the trading stream
        market = stack.start_market(database.url, logs, "--interval", "0.2", "--ticks", "5", "--seed", "3")
        await asyncio.to_thread(market.popen.wait, 30)
        await asyncio.to_thread(shell, database.url, NEXT_MINUTE_TICK)
        log = await asyncio.to_thread(wait_for_line, bot, "FILL")
        assert "005930: bar " in log and "trend up, holding 0" in log and "ORDER" in log
        assert "005930: NEW " in log and "now holding 1" in log
        bot.stop()  # SIGTERM: the bot stops its streams and says what it holds
        assert bot.popen.returncode == 0
        assert "stopped; positions (held, available): {'005930': (1, 1)}" in bot.tail()
    finally:
        bot.kill()
        if market is not None:
            market.stop()
