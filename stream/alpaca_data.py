"""`/alpaca/v2/iex` and `/alpaca/v2/sip`: Alpaca's market-data stream (ALPACA.md §8), what alpaca-py's
StockDataStream reads. Both feeds are the same simulated KRX market.

msgpack binary frames both ways; every server message is an array. On connect `connected`; `auth`
with an API key → `authenticated` (or error 402 and close); `subscribe`/`unsubscribe` lists per
channel (a message may arrive in several frames) → `subscription` with the lists now held; then the
trades, quotes and bars of stream.alpaca_feed. Errors use Alpaca's codes: 400 invalid syntax, 401 not
authenticated, 402 auth failed, 403 already authenticated, 404 auth timeout, 405 symbol limit
exceeded, 406 connection limit exceeded, 407 slow client.
"""

import asyncio

import msgpack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from accounts.services import api_key_authenticate
from alpaca import stream_messages as wire
from stream import protocol
from stream.alpaca_feed import feed_for
from stream.alpaca_queue import DataQueue
from stream.consumers import AUTH_TIMEOUT, START_TIMEOUT
from stream.hub import OrderFrame, TickFrame
from stream.runtime import get_runtime

CLOSE_TRY_AGAIN_LATER = 1013
MAX_MESSAGE_BYTES = 1 << 20  # a subscribe of every KRX symbol on five channels is ~100 KB
MAX_WAITING_MESSAGES = 50_000  # data messages waiting for a slow client (~20 minutes of every bar)

authenticate_key = database_sync_to_async(api_key_authenticate)


class ProtocolError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_lists(message: dict) -> dict[str, list[str]]:
    lists = {}
    for channel in wire.CHANNELS:
        symbols = message.get(channel)
        if symbols is None:
            continue
        if not isinstance(symbols, list) or not all(
            isinstance(s, str) and 0 < len(s) <= protocol.MAX_CODE_LENGTH for s in symbols
        ):
            raise ProtocolError(400, "invalid syntax")
        lists[channel] = symbols
    return lists


class AlpacaDataConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.runtime = get_runtime()
        try:
            await self.runtime.ensure_started(wait=START_TIMEOUT)
        except TimeoutError:
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.hub = self.runtime.hub
        self.feed = feed_for(self.runtime)
        self.user_id: int | None = None
        self.registered = False
        self.joined = False
        self.lists: dict[str, dict[str, None]] = {channel: {} for channel in wire.CHANNELS}  # ordered sets
        self.unpacker = msgpack.Unpacker(max_buffer_size=MAX_MESSAGE_BYTES)
        self.queue = DataQueue(
            send=lambda data: self.send(bytes_data=data),
            close=lambda code: self.close(code=code),
            max_messages=getattr(settings, "ALPACA_STREAM_MAX_WAITING", MAX_WAITING_MESSAGES),
        )
        await self.accept()
        self.writer = asyncio.ensure_future(self._write())
        self.queue.put([wire.data_success("connected")])
        self.auth_timer = asyncio.get_running_loop().call_later(AUTH_TIMEOUT, self._auth_timeout)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "queue"):
            return
        self.queue.closing = True
        self.auth_timer.cancel()
        if self.joined:
            self.feed.leave(self)
            self.joined = False
        if self.registered:
            self.hub.unregister(self)
            self.registered = False
        self.writer.cancel()

    async def _write(self) -> None:
        try:
            await self.queue.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # the client went away mid-write; disconnect() cleans up
            self.queue.closing = True

    def _auth_timeout(self) -> None:
        if self.user_id is None:
            self.queue.close(protocol.CLOSE_NOT_AUTHENTICATED, [wire.data_error(404, "auth timeout")])

    def _error(self, code: int, message: str) -> None:
        self.queue.put([wire.data_error(code, message)])

    # --- messages from the client

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.queue.closing:
            return
        if bytes_data is None:
            self._error(400, "invalid syntax: send msgpack binary frames")
            return
        try:
            self.unpacker.feed(bytes_data)
            messages = list(self.unpacker)
        except Exception:  # noqa: BLE001 - not msgpack, or too big: start afresh with the next frame
            self.unpacker = msgpack.Unpacker(max_buffer_size=MAX_MESSAGE_BYTES)
            self._error(400, "invalid syntax")
            return
        for message in messages:
            if self.queue.closing:
                return
            try:
                await self._handle(message)
            except ProtocolError as error:
                self._error(error.code, error.message)

    async def _handle(self, message) -> None:
        if not isinstance(message, dict):
            raise ProtocolError(400, "invalid syntax")
        action = message.get("action")
        if action == "auth":
            await self._auth(message.get("key"), message.get("secret"))
        elif self.user_id is None:
            raise ProtocolError(401, "not authenticated")
        elif action in ("subscribe", "unsubscribe"):
            self._subscribe(parse_lists(message), add=action == "subscribe")
        else:
            raise ProtocolError(400, "invalid syntax")

    async def _auth(self, key, secret) -> None:
        if self.user_id is not None:
            raise ProtocolError(403, "already authenticated")
        user = None
        if isinstance(key, str) and isinstance(secret, str) and key and secret:
            try:
                user = await authenticate_key(key_id=key, secret=secret)
            except DatabaseError:
                self.queue.close(CLOSE_TRY_AGAIN_LATER, [wire.data_error(500, "internal error")])
                return
        if self.queue.closing:  # closed meanwhile (the auth timeout fired while the key was checked)
            return
        if user is None:
            self.queue.close(protocol.CLOSE_NOT_AUTHENTICATED, [wire.data_error(402, "auth failed")])
            return
        if self.hub.connections(user.pk) >= settings.STREAM_MAX_CONNECTIONS_PER_USER:
            self.queue.close(protocol.CLOSE_TOO_MANY_CONNECTIONS, [wire.data_error(406, "connection limit exceeded")])
            return
        self.auth_timer.cancel()
        self.user_id = user.pk
        self.hub.register(self)  # counted with the user's other sockets on this process
        self.registered = True
        try:
            await self.feed.join(self)
        except DatabaseError:
            self.queue.close(CLOSE_TRY_AGAIN_LATER, [wire.data_error(500, "internal error")])
            return
        self.joined = True
        if self.queue.closing:  # closed while the feed started: it must not keep this socket
            self.feed.leave(self)
            self.joined = False
            return
        self.queue.put([wire.data_success("authenticated")])

    def _subscribe(self, lists: dict[str, list[str]], *, add: bool) -> None:
        updated = {channel: dict(symbols) for channel, symbols in self.lists.items()}
        for channel, symbols in lists.items():
            for symbol in symbols:
                if add:
                    updated[channel][symbol] = None
                else:
                    updated[channel].pop(symbol, None)
        distinct = {symbol for symbols in updated.values() for symbol in symbols}
        if len(distinct) > settings.STREAM_MAX_CODES:
            raise ProtocolError(405, "symbol limit exceeded")
        self.lists = updated
        self.queue.put([wire.subscription({channel: list(symbols) for channel, symbols in updated.items()})])
        self.feed.subscribe(self, {channel: tuple(symbols) for channel, symbols in updated.items()})

    # --- the feed's and the hub's calls: only queue, never wait

    def deliver_data(self, messages: list[dict], packed=None) -> None:
        self.queue.put_data(messages, packed)

    def deliver_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        """Never called: market data comes through the feed."""

    def deliver_orders(self, frames: list[OrderFrame]) -> None:
        """Order events are the trading stream's."""
