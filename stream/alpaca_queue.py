"""What waits to be written to one market-data client of the Alpaca data stream, and the task that
writes it: the msgpack sibling of stream.sendqueue, with the same promise that a slow client delays
only itself and never gets a backlog of prices.

While a data frame waits, newer messages merge into it: the latest trade, quote and daily bar of
each symbol replace older ones; minute bars are kept, each once. A control message (a subscription
reply, an error) seals the frame before it, so data for a new subscription never precedes its
reply. Past `max_messages` waiting the client is too slow: error 407, then close 4009.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

import msgpack

from alpaca import stream_messages as wire
from stream import protocol


def _key(message: dict) -> tuple:
    if message["T"] == "b":
        at = message["t"]
        return ("b", message["S"], at.seconds, at.nanoseconds)
    return (message["T"], message["S"])


class _Data:
    """One data frame not written yet. `messages` may be shared with other clients (never changed
    here); `packed` gives its bytes, encoded once for every client that gets all of it."""

    def __init__(self, messages: list[dict], packed: Callable[[], bytes] | None) -> None:
        self.messages = messages
        self.packed = packed
        self.merged: dict[tuple, dict] | None = None

    def __len__(self) -> int:
        return len(self.messages) if self.merged is None else len(self.merged)

    def merge(self, messages: list[dict]) -> None:
        if self.merged is None:
            self.merged = {_key(message): message for message in self.messages}
            self.packed = None
        for message in messages:
            key = _key(message)
            self.merged.pop(key, None)  # re-inserted last: the frame keeps the order of the last moves
            self.merged[key] = message

    def encode(self) -> bytes:
        if self.merged is not None:
            return msgpack.packb(list(self.merged.values()))
        return self.packed() if self.packed is not None else msgpack.packb(self.messages)


class _Close:
    def __init__(self, code: int) -> None:
        self.code = code


class DataQueue:
    def __init__(
        self,
        *,
        send: Callable[[bytes], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        max_messages: int,
    ) -> None:
        self._send = send
        self._close = close
        self.max_messages = max_messages
        self._items: deque = deque()
        self._data: _Data | None = None  # the last item, while it is a data frame that may still grow
        self._ready = asyncio.Event()
        self.waiting = 0  # data messages not written yet
        self.closing = False

    def put(self, messages: list[dict]) -> None:
        """Control messages (one frame), after everything queued before them."""
        if not self.closing:
            self._append(msgpack.packb(messages))
            self._data = None

    def put_data(self, messages: list[dict], packed: Callable[[], bytes] | None = None) -> None:
        if self.closing or not messages:
            return
        if self._data is not None:
            before = len(self._data)
            self._data.merge(messages)
            self.waiting += len(self._data) - before
        else:
            self._data = _Data(messages, packed)
            self._append(self._data)
            self.waiting += len(messages)
        if self.waiting > self.max_messages:
            self.close(protocol.CLOSE_TOO_SLOW, [wire.data_error(407, "slow client")])

    def close(self, code: int, messages: list[dict] | None = None) -> None:
        """Drop whatever waits, then write `messages` (if any) and close with `code`."""
        if self.closing:
            return
        self._items.clear()
        self._data = None
        self.waiting = 0
        if messages:
            self._append(msgpack.packb(messages))
        self._append(_Close(code))
        self.closing = True

    def _append(self, item) -> None:
        self._items.append(item)
        self._ready.set()

    async def run(self) -> None:
        """The writer: one per connection."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._items:
                item = self._items.popleft()
                if isinstance(item, _Close):
                    with contextlib.suppress(Exception):  # the client may be gone already
                        await self._close(item.code)
                    return
                if isinstance(item, _Data):
                    if item is self._data:
                        self._data = None
                    self.waiting = max(0, self.waiting - len(item))
                    item = item.encode()
                await self._send(item)
