"""`/alpaca/stream`: Alpaca's trading stream (ALPACA.md §8), what alpaca-py's TradingStream reads.

JSON frames, answered as the client sends them (text, or binary as Alpaca's own server does). The
first message authenticates with an API key (`key_id`/`secret_key`) or a StocKing access token
(`oauth_token`), and the first reply says whether that worked; then `listen` to `trade_updates`
brings the user's order events from the hub as Alpaca's trade updates, from that moment on (Alpaca's
stream has no replay). The native `triggered` event is not forwarded: TradeEvent has no such value.
"""

import asyncio
import json
import logging
import time
import weakref
from collections import OrderedDict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from accounts.services import api_key_authenticate
from alpaca import stream_messages as wire
from stream import protocol, selectors
from stream.alpaca_selectors import order_public_ids, positions_after_fills
from stream.consumers import AUTH_TIMEOUT, MAX_ORDER_FRAMES, START_TIMEOUT, TOKEN_GRACE
from stream.hub import OrderFrame, TickFrame
from stream.runtime import Runtime, get_runtime
from stream.sendqueue import SendQueue

logger = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013


class _Lru(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class TradeUpdates:
    """Order events as trade-update texts, for the whole process: a user's connections share the
    texts, and an order's public id is read once (at its `new`). Runs on the database thread."""

    def __init__(self) -> None:
        self.texts = _Lru(4096)
        self.public_ids = _Lru(65536)

    def texts_for(self, user_id: int, frames: list[OrderFrame]) -> list[str]:
        events = [frame.event for frame in frames]
        texts = {event.id: self.texts[event.id] for event in events if event.id in self.texts}
        todo = [event for event in events if event.id not in texts]
        if todo:
            missing = {e.payload["order"]["id"] for e in todo} - self.public_ids.keys()
            for pk, public_id in order_public_ids(sorted(missing)).items() if missing else ():
                self.public_ids.put(pk, public_id)
            fills = [
                (e.payload["execution"]["id"], e.payload["execution"]["stock"])
                for e in todo
                if e.payload.get("execution")
            ]
            held = positions_after_fills(user_id, fills) if fills else {}
            for event in todo:
                order_pk = event.payload["order"]["id"]
                public_id = self.public_ids.get(order_pk)
                if public_id is None:  # deleted since (a reset): nothing left to show
                    continue
                execution = event.payload.get("execution")
                message = wire.trade_update(
                    event.event,
                    event.payload,
                    public_id=public_id,
                    position_qty=held.get(execution["id"]) if execution else None,
                )
                texts[event.id] = protocol.encode(message)
                self.texts.put(event.id, texts[event.id])
        return [texts[event.id] for event in events if event.id in texts]


_translators: "weakref.WeakKeyDictionary[Runtime, TradeUpdates]" = weakref.WeakKeyDictionary()


def trade_updates(runtime: Runtime) -> TradeUpdates:
    """One translator per runtime (tests make a fresh runtime each)."""
    translator = _translators.get(runtime)
    if translator is None:
        translator = _translators[runtime] = TradeUpdates()
    return translator


authenticate_key = database_sync_to_async(api_key_authenticate)
token_user = database_sync_to_async(selectors.token_user)


@database_sync_to_async
def _texts(translator: TradeUpdates, user_id: int, frames: list[OrderFrame]) -> list[str]:
    return translator.texts_for(user_id, frames)


class AlpacaTradingConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.runtime = get_runtime()
        try:
            await self.runtime.ensure_started(wait=START_TIMEOUT)
        except TimeoutError:
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.hub = self.runtime.hub
        self.user_id: int | None = None
        self.registered = False
        self.listening = False
        self.binary = False
        self.pending: list[OrderFrame] = []
        self.wake = asyncio.Event()
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.queue = SendQueue(
            send=self._send_text,
            close=lambda code: self.close(code=code),
            max_order_frames=getattr(settings, "STREAM_MAX_PENDING_ORDER_EVENTS", MAX_ORDER_FRAMES),
        )
        await self.accept()
        self.tasks = [asyncio.ensure_future(self._write()), asyncio.ensure_future(self._translate())]
        self._timer("auth", AUTH_TIMEOUT, lambda: self._reject("auth timeout"))

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "queue"):
            return
        self.queue.closing = True
        if self.registered:
            self.hub.unregister(self)
            self.registered = False
        for handle in self.timers.values():
            handle.cancel()
        for task in self.tasks:
            task.cancel()

    async def _send_text(self, text: str) -> None:
        if self.binary:
            await self.send(bytes_data=text.encode())
        else:
            await self.send(text_data=text)

    async def _write(self) -> None:
        try:
            await self.queue.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # the client went away mid-write; disconnect() cleans up
            self.queue.closing = True

    def _put(self, message: dict) -> None:
        self.queue.put(protocol.encode(message))

    def _reject(self, reason: str) -> None:
        error = protocol.encode(wire.authorization("unauthorized", message=reason))
        self.queue.close(protocol.CLOSE_NOT_AUTHENTICATED, error)

    # --- messages from the client

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.queue.closing:
            return
        if self.user_id is None:
            self.binary = bytes_data is not None  # answer in the kind of frame the client speaks
        try:
            message = json.loads(text_data if text_data is not None else bytes_data)
        except ValueError:
            message = None
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(data if data is not None else {}, dict):
            if self.user_id is None:
                self._reject("invalid syntax")
            else:
                self._put(wire.trading_error("invalid syntax"))
            return
        action, data = message.get("action"), data or {}
        if action == "authenticate":
            await self._authenticate(data)
        elif self.user_id is None:
            self._reject("authenticate first")
        elif action == "listen":
            self._listen(data)
        else:
            self._put(wire.trading_error(f"unknown action {action!r}"))

    async def _authenticate(self, data: dict) -> None:
        key_id, secret, token = data.get("key_id"), data.get("secret_key"), data.get("oauth_token")
        user_id, expires_at = None, None
        try:
            if isinstance(key_id, str) and isinstance(secret, str) and key_id and secret:
                user = await authenticate_key(key_id=key_id, secret=secret)
                user_id = user.pk if user is not None else None
            elif isinstance(token, str) and token:
                found = await token_user(token)
                if found is not None:
                    user_id, expires_at = found.user_id, found.expires_at
        except DatabaseError:
            self.queue.close(CLOSE_TRY_AGAIN_LATER, protocol.encode(wire.authorization("unauthorized")))
            return
        if self.queue.closing:  # closed meanwhile (the auth timeout fired while the credentials were checked)
            return
        if user_id is None or (self.user_id is not None and user_id != self.user_id):
            self._reject("invalid credentials")
            return
        self._cancel_timer("auth")
        self._cancel_timer("expiry")
        if not self.registered:
            if self.hub.connections(user_id) >= settings.STREAM_MAX_CONNECTIONS_PER_USER:
                limit = settings.STREAM_MAX_CONNECTIONS_PER_USER
                error = wire.authorization("unauthorized", message=f"connection limit exceeded ({limit} per user)")
                self.queue.close(protocol.CLOSE_TOO_MANY_CONNECTIONS, protocol.encode(error))
                return
            self.user_id = user_id
            self.hub.register(self)
            self.registered = True
        if expires_at is not None:
            grace = getattr(settings, "STREAM_TOKEN_GRACE", TOKEN_GRACE)
            self._timer("expiry", expires_at - time.time() + grace, lambda: self._reject("token expired"))
        self._put(wire.authorization("authorized"))

    def _listen(self, data: dict) -> None:
        streams = data.get("streams")
        if not isinstance(streams, list):
            self._put(wire.trading_error("streams must be a list"))
            return
        self.listening = wire.TRADE_UPDATES in streams
        if not self.listening:
            self.pending = []
        self._put(wire.listening([wire.TRADE_UPDATES] if self.listening else []))

    # --- the hub's calls (sink): only queue, never wait

    def deliver_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        """Never called: this sink subscribes to no codes."""

    def deliver_orders(self, frames: list[OrderFrame]) -> None:
        if not self.listening or self.queue.closing:
            return
        wanted = [frame for frame in frames if frame.event.event in wire.TRADE_EVENTS]
        if wanted:
            self.pending.extend(wanted)
            self.wake.set()

    async def _translate(self) -> None:
        """One at a time, so updates leave in the order the hub handed them over."""
        translator = trade_updates(self.runtime)
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending and not self.queue.closing:
                frames, self.pending = self.pending, []
                try:
                    texts = await _texts(translator, self.user_id, frames)
                except Exception:  # noqa: BLE001 - the client reconnects; Alpaca's stream has no replay either
                    logger.exception("alpaca stream: cannot build trade updates for user %s", self.user_id)
                    self.queue.close(CLOSE_TRY_AGAIN_LATER)
                    return
                for text in texts:
                    if not self.queue.put_order(text):
                        return

    # --- helpers

    def _timer(self, name: str, delay: float, callback) -> None:
        self._cancel_timer(name)
        self.timers[name] = asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    def _cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()
