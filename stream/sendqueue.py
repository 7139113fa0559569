"""What waits to be written to one client, and the task that writes it.

Quotes never pile up: while a quotes frame is still waiting, the next tick is merged into it (the
latest price of every code that moved since the client's last frame). Order events are never
dropped or merged: past `max_order_frames` waiting, the client is too slow and is closed with 4009
(it resumes with since_seq on its next connection).
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

from stream import protocol
from stream.hub import TickFrame


class _Quotes:
    """A quotes frame not written yet: one tick's (shared text) until a second one merges in."""

    def __init__(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        self.tick = tick
        self.quotes = quotes
        self.merged: dict[str, dict] | None = None

    def merge(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        if self.merged is None:
            self.merged = {q["code"]: q for q in (self.tick.quotes if self.quotes is None else self.quotes)}
        for quote in tick.quotes if quotes is None else quotes:
            self.merged.pop(quote["code"], None)  # re-inserted last: the frame lists codes by last move
            self.merged[quote["code"]] = quote
        self.tick = tick

    def text(self) -> str:
        if self.merged is not None:
            return protocol.quotes_frame(self.tick.at, list(self.merged.values()))
        if self.quotes is None:
            return self.tick.all_text
        return protocol.quotes_frame(self.tick.at, self.quotes)


class _Overview:
    """The overview frame waiting to be written: a newer one replaces its text in place."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Order(str):
    """An order frame's text, marked so the writer can count them."""


class _Close:
    def __init__(self, code: int) -> None:
        self.code = code


class SendQueue:
    def __init__(
        self,
        *,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        max_order_frames: int,
    ) -> None:
        self._send = send
        self._close = close
        self.max_order_frames = max_order_frames
        self._items: deque = deque()
        self._quotes: _Quotes | None = None  # the quotes frame waiting in _items, if any
        self._overview: _Overview | None = None  # likewise the overview frame
        self._ready = asyncio.Event()
        self.order_frames = 0
        self.closing = False
        self._drained = asyncio.Event()
        self._drained.set()

    def put(self, text: str) -> None:
        if not self.closing:
            self._append(text)

    def put_order(self, text: str) -> bool:
        """Queue an order frame; False (and the 4009 close queued) when the client is too slow."""
        if self.closing:
            return True
        if self.order_frames >= self.max_order_frames:
            self.close(protocol.CLOSE_TOO_SLOW, protocol.error_frame("too_slow", "Too slow for order events."))
            return False
        self.order_frames += 1
        self._drained.clear()
        self._append(_Order(text))
        return True

    def put_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        if self.closing:
            return
        if self._quotes is not None:
            self._quotes.merge(tick, quotes)
            return
        self._quotes = _Quotes(tick, quotes)
        self._append(self._quotes)

    def put_overview(self, text: str) -> None:
        if self.closing:
            return
        if self._overview is not None:
            self._overview.text = text  # only the newest overview is worth writing
            return
        self._overview = _Overview(text)
        self._append(self._overview)

    def close(self, code: int, error: str | None = None) -> None:
        """Drop whatever waits, then write `error` (if any) and close with `code`."""
        if self.closing:
            return
        self._items.clear()
        self._quotes = self._overview = None
        self.order_frames = 0
        if error is not None:
            self._append(error)
        self._append(_Close(code))
        self.closing = True

    async def order_frames_below(self, count: int) -> None:
        """Wait until fewer than `count` order frames wait (paces a long replay)."""
        while self.order_frames >= count and not self.closing:
            self._drained.clear()
            await self._drained.wait()

    def _append(self, item) -> None:
        self._items.append(item)
        self._ready.set()

    async def run(self) -> None:
        """The writer: one per connection, so a client that reads slowly delays only itself."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._items:
                item = self._items.popleft()
                if isinstance(item, _Close):
                    with contextlib.suppress(Exception):  # the client may be gone already
                        await self._close(item.code)
                    return
                if item is self._quotes:
                    self._quotes = None
                    text = item.text()
                elif item is self._overview:
                    self._overview = None
                    text = item.text
                elif isinstance(item, _Quotes | _Overview):
                    continue  # dropped by close()
                else:
                    text = item
                if isinstance(item, _Order):
                    self.order_frames = max(0, self.order_frames - 1)
                    self._drained.set()
                await self._send(str(text))
