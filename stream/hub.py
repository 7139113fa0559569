"""Fan-out inside one stream process: the tailer hands each batch to the hub, which encodes every
frame once and gives it to the connections (sinks) that want it, without waiting on any of them.

A sink is anything with `user_id`, `deliver_quotes(tick, quotes)` and `deliver_orders(frames)`
(and `deliver_overview(text)` when it subscribes to the overview); every call must only queue (a
slow client must never hold up the others). The native consumer is
one kind of sink; another protocol (the Alpaca streams) registers its own sinks on the same hub.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from stream import protocol
from stream.outbox_reader import Batch, Event, Tick


@dataclass(eq=False)
class OrderFrame:
    seq: int
    event: Event

    @cached_property
    def text(self) -> str:
        return protocol.order_frame(seq=self.event.seq, event=self.event.event, payload=self.event.payload)


class TickFrame:
    """One tick, encoded for "all codes" subscribers at most once."""

    def __init__(self, tick: Tick) -> None:
        self.tick = tick
        self.at = protocol.iso(tick.at)
        self.quotes = tick.quotes

    @cached_property
    def all_text(self) -> str:
        return protocol.quotes_frame(self.at, self.quotes)


class Sink(Protocol):
    user_id: int | None

    def deliver_quotes(self, tick: TickFrame, quotes: list[dict] | None) -> None:
        """`quotes` None: every quote of the tick (an "all codes" subscription)."""

    def deliver_orders(self, frames: list[OrderFrame]) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.by_user: dict[int, set[Sink]] = defaultdict(set)
        self.all_codes: set[Sink] = set()
        self.by_code: dict[str, set[Sink]] = defaultdict(set)
        self.codes_of: dict[Sink, tuple[str, ...]] = {}
        self.overview_sinks: set = set()
        self.overview_text: str | None = None  # the newest overview frame, for new subscribers
        self.ticks_sent = 0
        self.events_sent = 0

    def connections(self, user_id: int) -> int:
        return len(self.by_user.get(user_id, ()))

    def register(self, sink: Sink) -> None:
        self.by_user[sink.user_id].add(sink)

    def unregister(self, sink: Sink) -> None:
        self.set_codes(sink, ())
        self.overview_sinks.discard(sink)
        users = self.by_user.get(sink.user_id)
        if users is not None:
            users.discard(sink)
            if not users:
                del self.by_user[sink.user_id]

    def set_codes(self, sink: Sink, codes: tuple[str, ...]) -> None:
        for code in self.codes_of.pop(sink, ()):
            subscribers = self.by_code.get(code)
            if subscribers is not None:
                subscribers.discard(sink)
                if not subscribers:
                    del self.by_code[code]
        self.all_codes.discard(sink)
        if protocol.ALL_CODES in codes:
            self.all_codes.add(sink)
        else:
            for code in codes:
                self.by_code[code].add(sink)
        if codes:
            self.codes_of[sink] = codes

    def set_overview(self, sink, wanted: bool) -> None:
        if wanted:
            self.overview_sinks.add(sink)
        else:
            self.overview_sinks.discard(sink)

    def publish(self, batch: Batch) -> None:
        for tick in batch.ticks:
            self._publish_tick(TickFrame(tick))
        if batch.overview is not None:
            self.overview_text = protocol.overview_frame(batch.overview.text)
            for sink in tuple(self.overview_sinks):
                sink.deliver_overview(self.overview_text)
        by_user: dict[int, list[OrderFrame]] = defaultdict(list)
        for event in batch.events:
            by_user[event.user_id].append(OrderFrame(event.seq, event))
        for user_id, frames in by_user.items():
            for sink in tuple(self.by_user.get(user_id, ())):
                sink.deliver_orders(frames)
            self.events_sent += len(frames)

    def _publish_tick(self, frame: TickFrame) -> None:
        for sink in tuple(self.all_codes):
            sink.deliver_quotes(frame, None)
        if self.by_code:
            picked: dict[Sink, list[dict]] = defaultdict(list)
            for quote in frame.quotes:
                for sink in self.by_code.get(quote["code"], ()):
                    picked[sink].append(quote)
            for sink, quotes in picked.items():
                sink.deliver_quotes(frame, quotes)
        self.ticks_sent += 1
