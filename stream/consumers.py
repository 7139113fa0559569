"""`/ws/v1/stream`: the native protocol of DESIGN.md "Live stream", one consumer per socket.

A connection is authorized by its page's session cookie or by an `auth` message; it then
subscribes to quotes and to its user's order events. Order events are exact: `subscribed`, then
every event after `since_seq` read from the outbox, then the live ones, each seq once, in order.
Live events that arrive while the consumer reads from the database wait in `held`; a live event
that skips a seq (which the tailer should never hand over) makes the consumer read the missing
ones from the outbox instead of losing them.
"""

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from stream import auth, protocol, selectors
from stream.hub import OrderFrame, TickFrame
from stream.protocol import ProtocolError
from stream.runtime import get_runtime
from stream.sendqueue import SendQueue

logger = logging.getLogger(__name__)

AUTH_TIMEOUT = 5.0
START_TIMEOUT = 10.0
CLOSE_TRY_AGAIN_LATER = 1013
TOKEN_GRACE = 60.0
REPLAY_PAGE = 500
MAX_ORDER_FRAMES = 2000  # waiting to be written before a client counts as too slow (4009)

latest_seq = database_sync_to_async(selectors.latest_seq)
events_after = database_sync_to_async(selectors.events_after)
token_user = database_sync_to_async(selectors.token_user)
session_user_id = database_sync_to_async(auth.session_user_id)


class StreamConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.runtime = get_runtime()
        try:
            await self.runtime.ensure_started(wait=START_TIMEOUT)
        except TimeoutError:
            await self.close(code=CLOSE_TRY_AGAIN_LATER)  # the database is not answering yet
            return
        self.hub = self.runtime.hub
        self.user_id: int | None = None
        self.registered = False
        self.orders = False
        self.overview = False
        self.quotes: tuple[str, ...] = ()
        self.last_seq = 0
        self.holding = False
        self.held: list[OrderFrame] = []
        self.catching_up = asyncio.Lock()
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()
        self.queue = SendQueue(
            send=lambda text: self.send(text_data=text),
            close=lambda code: self.close(code=code),
            max_order_frames=getattr(settings, "STREAM_MAX_PENDING_ORDER_EVENTS", MAX_ORDER_FRAMES),
        )
        await self.accept()
        self.writer = asyncio.ensure_future(self._write())
        key = auth.session_key(self.scope)
        origin, host = auth.header(self.scope, b"origin"), auth.header(self.scope, b"host")
        if key and auth.origin_allowed(origin, host):
            user_id = await session_user_id(key)
            if user_id is not None:
                self._authorize(user_id, expires_at=None)
                return
        self._timer("auth", AUTH_TIMEOUT, lambda: self._reject("No auth message within 5 seconds."))

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "queue"):
            return
        self.queue.closing = True
        if self.registered:
            self.hub.unregister(self)
            self.registered = False
        for handle in self.timers.values():
            handle.cancel()
        for task in (*self.tasks, getattr(self, "writer", None)):
            if task is not None:
                task.cancel()

    async def _write(self) -> None:
        try:
            await self.queue.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # the client went away mid-write; disconnect() cleans up
            self.queue.closing = True

    # --- messages from the client

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.queue.closing:
            return
        try:
            message = protocol.parse_message(text_data)
        except ProtocolError as error:
            if self.user_id is None:
                self._reject('The first message must be {"action": "auth", "token": ...}.')
            else:
                self.queue.put(protocol.error_frame(error.code, error.detail))
            return
        action = message.get("action")
        if action == "auth":
            await self._auth(message.get("token"))
        elif self.user_id is None:
            self._reject('The first message must be {"action": "auth", "token": ...}.')
        elif action == "subscribe":
            await self._subscribe(message)
        else:
            self.queue.put(protocol.error_frame("unknown_action", f"Unknown action {action!r}."))

    async def _auth(self, token) -> None:
        found = await token_user(token) if isinstance(token, str) and token else None
        if found is None or (self.user_id is not None and found.user_id != self.user_id):
            self._reject("The token is not a valid access token" + (" of this user." if found else "."))
            return
        self._authorize(found.user_id, expires_at=found.expires_at)

    def _authorize(self, user_id: int, *, expires_at: float | None) -> None:
        self._cancel_timer("auth")
        self._cancel_timer("expiry")
        if not self.registered:
            if self.hub.connections(user_id) >= settings.STREAM_MAX_CONNECTIONS_PER_USER:
                detail = f"At most {settings.STREAM_MAX_CONNECTIONS_PER_USER} connections per user."
                self.queue.close(
                    protocol.CLOSE_TOO_MANY_CONNECTIONS, protocol.error_frame("too_many_connections", detail)
                )
                return
            self.user_id = user_id
            self.hub.register(self)
            self.registered = True
        if expires_at is not None:
            grace = getattr(settings, "STREAM_TOKEN_GRACE", TOKEN_GRACE)
            self._timer("expiry", expires_at - time.time() + grace, lambda: self._reject("The token expired."))
        self.queue.put(protocol.encode({"type": "authorized", "user_id": user_id}))

    def _reject(self, detail: str) -> None:
        self.queue.close(protocol.CLOSE_NOT_AUTHENTICATED, protocol.error_frame("not_authenticated", detail))

    async def _subscribe(self, message: dict) -> None:
        try:
            request = protocol.parse_subscribe(message, max_codes=settings.STREAM_MAX_CODES)
        except ProtocolError as error:
            self.queue.put(protocol.error_frame(error.code, error.detail))
            return
        async with self.catching_up:
            orders = self.orders if request.orders is None else request.orders
            replay_from = request.since_seq if orders else None
            was_holding = self.holding
            if orders and (replay_from is not None or not self.orders):
                self.holding = True  # live events wait until the reply and the replay are out
            try:
                latest = await latest_seq(self.user_id)
                page = []
                if replay_from is not None:
                    page = await events_after(self.user_id, replay_from, REPLAY_PAGE)
                    if replay_from > latest or (replay_from < latest and (not page or page[0].seq != replay_from + 1)):
                        self.holding = was_holding
                        detail = "Events after that seq are no longer kept; reload over REST and subscribe again."
                        self.queue.put(protocol.error_frame("since_seq_expired", detail))
                        return
            except DatabaseError:
                self.holding = was_holding
                self.queue.put(protocol.error_frame("unavailable", "The database is unavailable; try again."))
                return
            if request.quotes is not None:
                self.quotes = request.quotes
            overview_now = request.overview and not self.overview
            if request.overview is not None:
                self.overview = request.overview
            reply = {"type": "subscribed", "quotes": list(self.quotes), "orders": orders, "seq": latest}
            if self.overview:
                reply["overview"] = True
            self.queue.put(protocol.encode(reply))
            self.hub.set_codes(self, self.quotes)  # after the reply: no quotes frame comes before it
            self.hub.set_overview(self, self.overview)
            if overview_now and self.hub.overview_text is not None:
                self.queue.put_overview(self.hub.overview_text)  # the market as of the last tick, at once
            newly = orders and not self.orders
            self.orders = orders
            if not orders:
                self.holding, self.held = False, []
                return
            if replay_from is not None:
                self.last_seq = replay_from
                await self._replay(page)
            elif newly:
                self.last_seq = latest
            await self._release_held()

    async def _replay(self, page: list) -> None:
        while page:
            for event in page:
                self._send_order(OrderFrame(event.seq, event))
            if len(page) < REPLAY_PAGE or self.queue.closing:
                return
            await self.queue.order_frames_below(REPLAY_PAGE)
            page = await events_after(self.user_id, self.last_seq, REPLAY_PAGE)

    async def _release_held(self) -> None:
        """Send what waited, reading from the outbox whatever is missing before it."""
        while self.held and not self.queue.closing:
            held = sorted({f.seq: f for f in self.held if f.seq > self.last_seq}.values(), key=lambda f: f.seq)
            self.held = []
            if held and held[0].seq > self.last_seq + 1:
                missing = await events_after(self.user_id, self.last_seq, held[0].seq - self.last_seq - 1)
                for event in missing:
                    self._send_order(OrderFrame(event.seq, event))
                if self.last_seq + 1 < held[0].seq:
                    logger.warning(
                        "stream: user %s seqs %s-%s are not in the outbox",
                        self.user_id,
                        self.last_seq + 1,
                        held[0].seq - 1,
                    )
                    self.last_seq = held[0].seq - 1
            for frame in held:
                self._send_order(frame)
        self.holding = False

    # --- the hub's calls (sink): only queue, never wait

    def deliver_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        self.queue.put_quotes(tick, quotes)

    def deliver_overview(self, text: str) -> None:
        self.queue.put_overview(text)

    def deliver_orders(self, frames: list[OrderFrame]) -> None:
        if not self.orders or self.queue.closing:
            return
        if self.holding:
            self.held.extend(frames)
            return
        for index, frame in enumerate(frames):
            if frame.seq > self.last_seq + 1:
                self.holding = True
                self.held.extend(frames[index:])
                self._spawn(self._repair())
                return
            self._send_order(frame)

    async def _repair(self) -> None:
        async with self.catching_up:
            try:
                await self._release_held()
            except DatabaseError:
                self.queue.close(
                    protocol.CLOSE_TOO_SLOW, protocol.error_frame("unavailable", "Resubscribe with since_seq.")
                )

    def _send_order(self, frame: OrderFrame) -> None:
        if frame.seq <= self.last_seq:
            return
        self.last_seq = frame.seq
        self.queue.put_order(frame.text)

    # --- helpers

    def _timer(self, name: str, delay: float, callback) -> None:
        self._cancel_timer(name)
        self.timers[name] = asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    def _cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
