"""The market data of the Alpaca data stream, for the whole stream process: one feed per runtime that
turns each tick the hub hands over into trades and quotes, and each closed minute into bars, and
gives every data connection the messages of the symbols it subscribed to.

Ticks: the feed is the hub's "all codes" sink while any data connection is open. Each quote of a
tick becomes a trade (`s`: the day's volume since the previous trade of that symbol) and a quote.
Messages are built once per tick; a connection subscribed to every symbol gets the shared list and
its msgpack bytes, encoded once.

Bars: the price mover writes a stock's 1-minute bar in the transactions of that minute's ticks, and
exactly one process moves prices, in order. So the first tick of a later minute means the earlier
minutes are complete: the feed then reads their bars (one query per closed minute per process, only
while someone wants bars) and sends them; with daily-bar subscribers, also the day so far of the
stocks that traded in it, from their quotes.
"""

import asyncio
import logging
import weakref
from collections import defaultdict, deque
from datetime import datetime
from decimal import Decimal

import msgpack
from channels.db import database_sync_to_async

from alpaca import stream_messages as wire
from stream.alpaca_selectors import day_bars, day_volumes, minute_bars
from stream.hub import Hub, TickFrame
from stream.protocol import ALL_CODES

logger = logging.getLogger(__name__)

ALL = wire.ALL_SYMBOLS
FED = ("trades", "quotes", "bars", "dailyBars")  # the channels that carry anything here

read_volumes = database_sync_to_async(day_volumes)
read_minute_bars = database_sync_to_async(minute_bars)
read_day_bars = database_sync_to_async(day_bars)


class _Shared:
    """Messages every "all symbols" connection of one kind gets, encoded at most once."""

    def __init__(self, messages: list[dict]) -> None:
        self.messages = messages
        self._bytes: bytes | None = None

    def packed(self) -> bytes:
        if self._bytes is None:
            self._bytes = msgpack.packb(self.messages)
        return self._bytes


class Feed:
    user_id = None  # a hub sink of quotes only, registered for no user

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sinks: set = set()
        self.attached = False
        self._attaching = asyncio.Lock()
        self.every: dict[str, set] = {channel: set() for channel in FED}
        self.by_code: dict[str, dict[str, set]] = {channel: defaultdict(set) for channel in FED}
        self.wanted: dict = {}  # sink -> {channel: tuple of symbols}
        self.volumes: dict[str, int] = {}
        self.bar_minute: datetime | None = None
        self._closed: deque = deque()  # (start, end) ranges of closed minutes to send
        self._bar_task: asyncio.Task | None = None

    # --- connections

    async def join(self, sink) -> None:
        async with self._attaching:
            if not self.attached:
                self.volumes = await read_volumes()
                self.hub.set_codes(self, (ALL_CODES,))
                self.attached = True
        self.sinks.add(sink)

    def leave(self, sink) -> None:
        self.subscribe(sink, {})
        self.sinks.discard(sink)
        if not self.sinks and self.attached and not self._attaching.locked():
            self.hub.set_codes(self, ())
            self.attached = False
            self.bar_minute = None
            self._closed.clear()
            if self._bar_task is not None:
                self._bar_task.cancel()
                self._bar_task = None

    def subscribe(self, sink, lists: dict[str, tuple[str, ...]]) -> None:
        """`lists`: the connection's symbols per channel, as its subscription reply names them."""
        for channel, symbols in self.wanted.pop(sink, {}).items():
            self.every[channel].discard(sink)
            for code in symbols:
                subscribers = self.by_code[channel].get(code)
                if subscribers is not None:
                    subscribers.discard(sink)
                    if not subscribers:
                        del self.by_code[channel][code]
        kept = {channel: tuple(lists.get(channel, ())) for channel in FED if lists.get(channel)}
        for channel, symbols in kept.items():
            if ALL in symbols:
                self.every[channel].add(sink)
                kept[channel] = ()
            else:
                for code in symbols:
                    self.by_code[channel][code].add(sink)
        if kept:
            self.wanted[sink] = kept

    # --- ticks (the hub's call: only queue, never wait)

    def deliver_orders(self, frames) -> None:
        """Never called: the feed is registered for no user."""

    def deliver_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        try:
            self._tick(tick)
        except Exception:  # noqa: BLE001 - the hub's caller is the process's one tailer: never break it
            logger.exception("alpaca data stream: tick %s not sent", tick.tick.id)

    def _tick(self, tick: TickFrame) -> None:
        self._trades_and_quotes(tick)
        minute = tick.tick.at.replace(second=0, microsecond=0)
        if self.bar_minute is None:
            self.bar_minute = minute
        elif minute > self.bar_minute:
            if self.every["bars"] or self.by_code["bars"] or self.every["dailyBars"] or self.by_code["dailyBars"]:
                self._closed.append((self.bar_minute, minute))
                if self._bar_task is None or self._bar_task.done():
                    self._bar_task = asyncio.ensure_future(self._send_bars())
            self.bar_minute = minute

    def _trades_and_quotes(self, tick: TickFrame) -> None:
        every_t, every_q = self.every["trades"], self.every["quotes"]
        by_t, by_q = self.by_code["trades"], self.by_code["quotes"]
        anyone = every_t or every_q or by_t or by_q
        at = wire.timestamp(tick.tick.at) if anyone else None
        both: list[dict] = []
        trades: list[dict] = []
        quotes: list[dict] = []
        picked: dict = defaultdict(list)
        # Connections with "*" for one channel and symbols for the other take the per-symbol path.
        mixed_t = {s for s in every_t if s in self.wanted and "quotes" in self.wanted[s] and s not in every_q}
        mixed_q = {s for s in every_q if s in self.wanted and "trades" in self.wanted[s] and s not in every_t}
        for quote in tick.quotes:
            code, volume = quote["code"], quote["volume"]
            last = self.volumes.get(code)
            self.volumes[code] = volume
            if not anyone:
                continue
            t_subs, q_subs = by_t.get(code), by_q.get(code)
            if not (every_t or every_q or t_subs or q_subs):
                continue
            price = Decimal(quote["price"])
            # A day roll resets the volume: the first trade of the day is all of it.
            size = 0 if last is None else volume - last if volume >= last else volume
            trade = wire.trade_message(code=code, price=price, size=size, at=at, trade_id=tick.tick.id)
            quote_message = wire.quote_message(code=code, price=price, at=at)
            both += (trade, quote_message)
            trades.append(trade)
            quotes.append(quote_message)
            for sink in (*(t_subs or ()), *mixed_t):
                picked[sink].append(trade)
            for sink in (*(q_subs or ()), *mixed_q):
                picked[sink].append(quote_message)
        if not anyone:
            return
        shared = {}
        for sink in every_t | every_q:
            if sink in mixed_t or sink in mixed_q:
                continue
            kind = (sink in every_t, sink in every_q)
            if kind not in shared:
                shared[kind] = _Shared(both if kind == (True, True) else trades if kind[0] else quotes)
            sink.deliver_data(shared[kind].messages, shared[kind].packed)
        for sink, messages in picked.items():
            sink.deliver_data(messages)

    # --- bars

    async def _send_bars(self) -> None:
        while self._closed:
            start, end = self._closed.popleft()
            try:
                rows = await read_minute_bars(start, end)
                self._deliver_each("bars", [self._minute_bar(row) for row in rows])
                if self.every["dailyBars"] or self.by_code["dailyBars"]:
                    codes = sorted({row[0] for row in rows})
                    wanted = codes if self.every["dailyBars"] else [c for c in codes if c in self.by_code["dailyBars"]]
                    if wanted:
                        self._deliver_each("dailyBars", [self._day_bar(row) for row in await read_day_bars(wanted)])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - those minutes' bars are lost; later minutes still come
                logger.exception("alpaca data stream: cannot read the bars of %s-%s", start, end)

    @staticmethod
    def _minute_bar(row: tuple) -> dict:
        code, start, open_, high, low, close, volume = row
        return wire.bar_message(
            "b", code=code, start=start, open_=open_, high=high, low=low, close=close, volume=volume
        )

    @staticmethod
    def _day_bar(row: tuple) -> dict:
        code, trading_date, open_, high, low, close, volume = row
        return wire.daily_bar_message(
            code=code,
            trading_date=trading_date,
            open_=open_ or close,
            high=high or close,
            low=low or close,
            close=close,
            volume=volume,
        )

    def _deliver_each(self, channel: str, messages: list[dict]) -> None:
        if not messages:
            return
        every, by_code = self.every[channel], self.by_code[channel]
        if every:
            shared = _Shared(messages)
            for sink in every:
                sink.deliver_data(messages, shared.packed)
        picked: dict = defaultdict(list)
        for message in messages:
            for sink in by_code.get(message["S"], ()):
                if sink not in every:
                    picked[sink].append(message)
        for sink, chosen in picked.items():
            sink.deliver_data(chosen)


_feeds: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def feed_for(runtime) -> Feed:
    """One feed per runtime (tests make a fresh runtime each)."""
    feed = _feeds.get(runtime)
    if feed is None:
        feed = _feeds[runtime] = Feed(runtime.hub)
    return feed
