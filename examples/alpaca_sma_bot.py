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
"""

import argparse
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

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
    args = parser.parse_args()
    if not args.key or not args.secret:
        parser.error("give --key and --secret (or set APCA_API_KEY_ID and APCA_API_SECRET_KEY)")
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

    def order(self, symbol: str, side: OrderSide, qty: int) -> None:
        request = MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.DAY)
        try:
            order = self.trading.submit_order(request)
        except APIError as error:
            log.warning("%s: %s %d refused: %s %s", symbol, side.value, qty, error.status_code, error.message)
            return
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


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args()
    bot = Bot(args)
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
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    deadline = time.monotonic() + args.duration if args.duration else None
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
