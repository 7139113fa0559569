"""A moving-average crossover bot written against alpaca-py alone, trading KRX stocks on StocKing.

Nothing here knows StocKing: the same code trades on Alpaca's paper API when --url is left out. It
only needs `pip install alpaca-py` (requirements-alpaca.txt) and a key:

    APCA_API_KEY_ID=PK... APCA_API_SECRET_KEY=... \\
        python examples/alpaca_sma_bot.py --url http://127.0.0.1:5100/alpaca --symbols 005930,000660,035420

Every --interval seconds, for each symbol: the closes of the last --slow daily bars with the latest
trade price as today's close; the fast and slow simple moving averages of them; while the fast one is
above the slow one, hold --qty shares (buy if flat), while it is below, hold none (sell what is not
already promised to open sell orders).
Each decision and each order is logged. Ctrl-C stops it; --duration stops it after that many seconds.

With --stream it polls nothing: alpaca-py's StockDataStream brings a minute bar per symbol as each
minute closes (its close is today's price, and each bar is a decision), and its TradingStream brings
the bot's trade updates (fills set the shares held; no second order while one is open). Against
StocKing, --stream-url is the stream process's Alpaca mount, e.g. ws://127.0.0.1:5101/alpaca; left out,
the SDK uses Alpaca's own stream URLs.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.live import StockDataStream
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest
from alpaca.trading.stream import TradingStream

log = logging.getLogger("sma-bot")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("APCA_API_BASE_URL"), help="e.g. http://127.0.0.1:5100/alpaca")
    parser.add_argument("--key", default=os.environ.get("APCA_API_KEY_ID"), help="default: $APCA_API_KEY_ID")
    parser.add_argument("--secret", default=os.environ.get("APCA_API_SECRET_KEY"), help="default: $APCA_API_SECRET_KEY")
    parser.add_argument("--symbols", default="005930,000660,035420", help="comma list")
    parser.add_argument("--fast", type=int, default=5, help="bars in the fast average")
    parser.add_argument("--slow", type=int, default=20, help="bars in the slow average")
    parser.add_argument("--qty", type=int, default=1, help="shares to hold while the trend is up")
    parser.add_argument("--interval", type=float, default=15, help="seconds between decisions")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    parser.add_argument("--stream", action="store_true", help="minute bars and trade updates over the streams")
    parser.add_argument(
        "--stream-url", default=os.environ.get("APCA_API_STREAM_URL"), help="e.g. ws://127.0.0.1:5101/alpaca"
    )
    args = parser.parse_args()
    if not args.key or not args.secret:
        parser.error("give --key and --secret (or set APCA_API_KEY_ID and APCA_API_SECRET_KEY)")
    if args.stream and args.url and not args.stream_url:
        parser.error("with --url, --stream needs --stream-url (StocKing: ws://127.0.0.1:5101/alpaca)")
    if not 0 < args.fast < args.slow:
        parser.error("need 0 < --fast < --slow")
    return args


def sma(values: list[float], length: int) -> float:
    window = values[-length:]
    return sum(window) / len(window)


class Bot:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
        self.trading = TradingClient(args.key, args.secret, paper=True, url_override=args.url)
        self.data = StockHistoricalDataClient(args.key, args.secret, url_override=args.url)

    def closes(self) -> dict[str, list[float]]:
        """Daily closes, oldest first, with the latest trade as today's close."""
        start = datetime.now(UTC) - timedelta(days=self.args.slow * 2 + 14)
        bars = self.data.get_stock_bars(
            StockBarsRequest(symbol_or_symbols=self.symbols, timeframe=TimeFrame.Day, start=start)
        )
        latest = self.data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=self.symbols))
        closes = {}
        for symbol in self.symbols:
            series = [bar.close for bar in bars.data.get(symbol, [])]
            if symbol in latest:
                series.append(latest[symbol].price)
            closes[symbol] = series
        return closes

    def held(self) -> dict[str, tuple[int, int]]:
        """Shares held and, of those, not already promised to open sell orders, by symbol."""
        return {
            p.symbol: (int(float(p.qty)), int(float(p.qty_available or p.qty)))
            for p in self.trading.get_all_positions()
        }

    def step(self) -> None:
        held = self.held()
        for symbol, series in self.closes().items():
            if len(series) < self.args.slow:
                log.info("%s: %d closes, need %d: waiting", symbol, len(series), self.args.slow)
                continue
            fast, slow = sma(series, self.args.fast), sma(series, self.args.slow)
            trend = "up" if fast > slow else "down"
            quantity, available = held.get(symbol, (0, 0))
            log.info(
                "%s: price %.0f, SMA%d %.1f, SMA%d %.1f: trend %s, holding %d",
                symbol,
                series[-1],
                self.args.fast,
                fast,
                self.args.slow,
                slow,
                trend,
                quantity,
            )
            if trend == "up" and quantity == 0:
                self.order(symbol, OrderSide.BUY, self.args.qty)
            elif trend == "down" and available > 0:
                self.order(symbol, OrderSide.SELL, available)

    def order(self, symbol: str, side: OrderSide, qty: int):
        request = MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.DAY)
        try:
            order = self.trading.submit_order(request)
        except APIError as error:
            log.warning("%s: %s %d refused: %s %s", symbol, side.value, qty, error.status_code, error.message)
            return None
        log.info(
            "%s: ORDER %s %s qty %s: %s, filled %s at %s",
            symbol,
            order.id,
            side.value,
            order.qty,
            order.status.value,
            order.filled_qty,
            order.filled_avg_price,
        )
        return order


class StreamingBot(Bot):
    """The same decisions, driven by the streams: one per closed minute bar (its close as today's),
    and the shares held kept from the trade updates' position_qty."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        url = args.stream_url.rstrip("/") if args.stream_url else None
        self.trade_stream = TradingStream(
            args.key, args.secret, paper=True, url_override=f"{url}/stream" if url else None
        )
        self.data_stream = StockDataStream(args.key, args.secret, url_override=f"{url}/v2/iex" if url else None)
        self.lock = threading.Lock()  # the two streams' handlers run on two threads
        self.history: dict[str, list[tuple[datetime, float]]] = {}
        self.history_read: float | None = None
        self.holding = {symbol: quantity for symbol, (quantity, _available) in self.held().items()}
        self.open_orders: dict[str, str] = {}  # symbol -> id of the bot's order not final yet

    def daily_closes(self, symbol: str, now: datetime) -> list[float]:
        """Closes of the days completed by `now` (the bar's close is today's), read at most hourly."""
        if self.history_read is None or time.monotonic() - self.history_read > 3600:
            start = datetime.now(UTC) - timedelta(days=self.args.slow * 2 + 14)
            bars = self.data.get_stock_bars(
                StockBarsRequest(symbol_or_symbols=self.symbols, timeframe=TimeFrame.Day, start=start)
            )
            self.history = {s: [(b.timestamp, b.close) for b in bars.data.get(s, [])] for s in self.symbols}
            self.history_read = time.monotonic()
        return [close for start, close in self.history.get(symbol, []) if start + timedelta(days=1) <= now]

    async def on_bar(self, bar) -> None:
        await asyncio.to_thread(self.decide, bar)

    def decide(self, bar) -> None:
        symbol = bar.symbol
        series = self.daily_closes(symbol, bar.timestamp) + [bar.close]
        if len(series) < self.args.slow:
            log.info(
                "%s: bar %s close %.0f; %d closes, need %d: waiting",
                symbol,
                bar.timestamp.astimezone().strftime("%H:%M"),
                bar.close,
                len(series),
                self.args.slow,
            )
            return
        fast, slow = sma(series, self.args.fast), sma(series, self.args.slow)
        trend = "up" if fast > slow else "down"
        with self.lock:
            quantity, busy = self.holding.get(symbol, 0), self.open_orders.get(symbol)
        log.info(
            "%s: bar %s close %.0f, SMA%d %.1f, SMA%d %.1f: trend %s, holding %d%s",
            symbol,
            bar.timestamp.astimezone().strftime("%H:%M"),
            bar.close,
            self.args.fast,
            fast,
            self.args.slow,
            slow,
            trend,
            quantity,
            f", order {busy} open" if busy else "",
        )
        if busy:
            return
        side, qty = None, 0
        if trend == "up" and quantity == 0:
            side, qty = OrderSide.BUY, self.args.qty
        elif trend == "down" and quantity > 0:
            side, qty = OrderSide.SELL, self.available(symbol)
        if side is not None and qty > 0:
            order = self.order(symbol, side, qty)
            if order is not None and order.status.value not in ("filled", "canceled", "expired", "rejected"):
                with self.lock:
                    self.open_orders[symbol] = str(order.id)

    def available(self, symbol: str) -> int:
        """Shares not already promised to open sell orders (the bot's own are never open here)."""
        try:
            position = self.trading.get_open_position(symbol)
        except APIError:
            return 0
        return int(float(position.qty_available or position.qty))

    async def on_update(self, update) -> None:
        order = update.order
        event = getattr(update.event, "value", update.event)  # the model types it TradeEvent | str
        with self.lock:
            if update.position_qty is not None:
                self.holding[order.symbol] = int(update.position_qty)
            if event in ("fill", "canceled", "expired", "rejected"):
                self.open_orders.pop(order.symbol, None)
        log.info(
            "%s: %s %s %s qty %s: filled %s at %s%s",
            order.symbol,
            event.upper(),
            order.id,
            order.side.value,
            order.qty,
            order.filled_qty,
            order.filled_avg_price,
            f", now holding {int(update.position_qty)}" if update.position_qty is not None else "",
        )

    def run(self, stopping: list, deadline: float | None) -> None:
        """Each stream on a thread of its own (their run() blocks); this thread waits for the end."""
        self.trade_stream.subscribe_trade_updates(self.on_update)
        self.data_stream.subscribe_bars(self.on_bar, *self.symbols)
        threads = [
            threading.Thread(target=client.run, name=name, daemon=True)
            for name, client in (("trade-updates", self.trade_stream), ("bars", self.data_stream))
        ]
        for thread in threads:
            thread.start()
        log.info("streaming: minute bars of %s and trade updates", ", ".join(self.symbols))
        try:
            while not stopping and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        for client in (self.data_stream, self.trade_stream):
            with contextlib.suppress(AttributeError):  # its loop never started
                client.stop()  # it leaves its loop within its 5 s receive timeout
        for thread in threads:
            thread.join(timeout=10)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args()
    bot = StreamingBot(args) if args.stream else Bot(args)
    account = bot.trading.get_account()
    clock = bot.trading.get_clock()
    log.info(
        "account %s: cash %s %s, buying power %s; market %s",
        account.account_number,
        account.cash,
        account.currency,
        account.buying_power,
        "open" if clock.is_open else f"closed until {clock.next_open}",
    )
    deadline = time.monotonic() + args.duration if args.duration else None
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    if args.stream:
        bot.run(stopping, deadline)
        log.info("stopped; positions (held, available): %s", bot.held() or "none")
        return 0
    try:
        while not stopping and (deadline is None or time.monotonic() < deadline):
            if bot.trading.get_clock().is_open:
                bot.step()
            else:
                log.info("market closed; waiting")
            time.sleep(args.interval if deadline is None else max(0, min(args.interval, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    log.info("stopped; positions (held, available): %s", bot.held() or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
