"""Reading the order-event outbox and the tick records: what is new since the last read.

One reader per stream process (never per client). Ticks come from a single writer, so a cursor on
the last id sent is enough. Order events come from any number of writers, and on MariaDB a
transaction can commit a lower id after another committed a higher one. So the reader remembers
the ids it has not seen between the lowest unseen id and the highest seen one (the "gaps"), reads
from below the oldest gap each time, and drops what it already delivered by (user, seq). A gap
that stays empty for `lookback` seconds was a rolled-back insert (or an id another Galera node
skipped) and is forgotten. Seqs of one user are allocated under that user's balance-row lock, so
they commit in seq order: a user's newest delivered seq is all the de-duplication needs.
"""

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from trading.models import MarketOverview, MarketTick, OrderEvent
from trading.selectors import market_overview_json_after

# Startup reads this far back beyond the look-back, by the writers' clocks (which may be a bit off).
STARTUP_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class Tick:
    id: int
    at: datetime
    quotes: list[dict]


@dataclass(frozen=True)
class Event:
    id: int
    user_id: int
    seq: int
    event: str
    payload: dict


@dataclass(frozen=True)
class Overview:
    id: int
    text: str  # the record's all-markets body, as stored (JSON)


@dataclass
class Batch:
    ticks: list[Tick] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # per user in seq order
    more: bool = False  # a read hit its row limit: read again at once
    overview: Overview | None = None  # the newest overview record, when there is a newer one

    def __bool__(self) -> bool:
        return bool(self.ticks or self.events or self.overview)


class Gaps:
    """Ids not seen yet below the highest seen one, as ranges with the time they were noticed."""

    def __init__(self) -> None:
        self.ranges: list[list] = []  # [low, high, noticed], sorted, disjoint

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def add(self, low: int, high: int, now: float) -> None:
        if low <= high:
            self.ranges.append([low, high, now])  # always above every existing range

    def fill(self, id_: int) -> None:
        index = bisect.bisect_right([r[0] for r in self.ranges], id_) - 1
        if index < 0 or id_ > self.ranges[index][1]:
            return
        low, high, noticed = self.ranges[index]
        parts = [[low, id_ - 1, noticed], [id_ + 1, high, noticed]]
        self.ranges[index : index + 1] = [p for p in parts if p[0] <= p[1]]

    def expire(self, older_than: float) -> None:
        self.ranges = [r for r in self.ranges if r[2] >= older_than]

    @property
    def lowest(self) -> int:
        return self.ranges[0][0]


class OutboxReader:
    """Synchronous: call `prime()` once, then `read()` at every poll (in a thread of its own)."""

    def __init__(self, *, lookback: float = 15.0, limit: int = 2000, clock: Callable[[], float] = time.monotonic):
        self.lookback = lookback
        self.limit = limit
        self.clock = clock
        self.tick_id = 0
        self.overview_id = 0
        self.safe_id = 0  # every event id up to here is delivered or known never to come
        self.max_seen = 0
        self.gaps = Gaps()
        self.last_seq: dict[int, tuple[int, int]] = {}  # user -> (seq, id) of the newest delivered
        self.primed = False

    def prime(self) -> None:
        """Start from now: earlier events are history (clients replay them with since_seq)."""
        self.tick_id = MarketTick.objects.aggregate(top=Max("id"))["top"] or 0
        # The newest overview record is read again by the first poll: subscribers get it at once.
        self.overview_id = (MarketOverview.objects.aggregate(top=Max("id"))["top"] or 1) - 1
        since = timezone.now() - timedelta(seconds=self.lookback) - STARTUP_MARGIN
        recent = list(
            OrderEvent.objects.filter(created_at__gte=since).order_by("id").values_list("id", "user_id", "seq")
        )
        now = self.clock()
        if not recent:
            self.safe_id = self.max_seen = OrderEvent.objects.aggregate(top=Max("id"))["top"] or 0
        else:
            # Ids missing inside the recent window may be transactions still in flight.
            self.safe_id = self.max_seen = recent[0][0] - 1
            for id_, user_id, seq in recent:
                self._see(id_, now)
                self._remember(user_id, seq, id_)
        self._advance()
        self.primed = True

    def read(self) -> Batch:
        ticks = list(MarketTick.objects.filter(id__gt=self.tick_id).order_by("id")[: self.limit])
        if ticks:
            self.tick_id = ticks[-1].id
        events, more = self._read_events()
        # Only the newest overview matters (each record is the whole market); the older ones of a
        # slow poll are skipped. Its body is only fetched when a new record exists.
        newest = market_overview_json_after(after_id=self.overview_id)
        if newest is not None:
            self.overview_id = newest[0]
        return Batch(
            ticks=[Tick(t.id, t.at, t.quotes) for t in ticks],
            events=events,
            more=more or len(ticks) == self.limit,
            overview=None if newest is None else Overview(*newest),
        )

    def _read_events(self) -> tuple[list[Event], bool]:
        now = self.clock()
        self.gaps.expire(now - self.lookback)
        self._advance()
        newer = OrderEvent.objects.filter(id__gt=self.safe_id).order_by("id")
        columns = ("id", "user_id", "seq", "event", "payload")
        if not self.gaps:
            rows = list(newer.values_list(*columns)[: self.limit])  # nothing above safe_id was seen yet
            fresh = [row for row in rows if self._is_new(row[1], row[2])]
        else:
            # Rows above a gap were read before: decide on the narrow columns, then fetch the new ones.
            rows = list(newer.values_list("id", "user_id", "seq")[: self.limit])
            wanted = [row[0] for row in rows if self._is_new(row[1], row[2])]
            fresh = list(OrderEvent.objects.filter(id__in=wanted).values_list(*columns)) if wanted else []
        for row in rows:
            self._see(row[0], now)
        events = sorted((Event(*row) for row in fresh), key=lambda e: (e.user_id, e.seq))
        for event in events:
            self._remember(event.user_id, event.seq, event.id)
        self._advance()
        return events, len(rows) == self.limit

    def _is_new(self, user_id: int, seq: int) -> bool:
        return seq > self.last_seq.get(user_id, (0, 0))[0]

    def _remember(self, user_id: int, seq: int, id_: int) -> None:
        if seq > self.last_seq.get(user_id, (0, 0))[0]:
            self.last_seq[user_id] = (seq, id_)

    def _see(self, id_: int, now: float) -> None:
        if id_ > self.max_seen:
            self.gaps.add(self.max_seen + 1, id_ - 1, now)
            self.max_seen = id_
        else:
            self.gaps.fill(id_)

    def _advance(self) -> None:
        self.safe_id = self.gaps.lowest - 1 if self.gaps else self.max_seen
        # A user whose newest event is at or below safe_id can never be read again: forget them.
        if len(self.last_seq) > 1000:
            self.last_seq = {user: last for user, last in self.last_seq.items() if last[1] > self.safe_id}
