"""The tailer's reads, one poll at a time: ticks after the last one, order events exactly once even
when a lower id commits after a higher one (MariaDB), gaps forgotten after the look-back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from stream.outbox_reader import Gaps, OutboxReader
from trading.models import MarketTick, Order, OrderEvent
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def order(db):
    user = UserFactory()
    stock = StockFactory(code="005930", current_price=Decimal("70000"))
    return Order.objects.create(
        user=user,
        stock=stock,
        side="buy",
        order_type="limit",
        quantity=1,
        limit_price=Decimal("60000"),
        trading_date=timezone.localdate(),
    )


def event(order, *, id_: int, seq: int, user=None, age: timedelta = timedelta()) -> OrderEvent:
    return OrderEvent.objects.create(
        id=id_,
        user=user or order.user,
        seq=seq,
        event="new",
        order=order,
        payload={"order": {"id": order.pk}, "execution": None},
        created_at=timezone.now() - age,
    )


def seqs(batch) -> list[tuple[int, int]]:
    return [(e.user_id, e.seq) for e in batch.events]


def test_ticks_after_the_last_one_in_id_order_and_none_from_before_the_start(db):
    MarketTick.objects.create(at=timezone.now(), quotes=[{"code": "005930"}])
    reader = OutboxReader()
    reader.prime()
    assert reader.read().ticks == []
    first = MarketTick.objects.create(at=timezone.now(), quotes=[{"code": "000660"}])
    second = MarketTick.objects.create(at=timezone.now(), quotes=[])
    assert [t.id for t in reader.read().ticks] == [first.id, second.id]
    assert reader.read().ticks == []


def test_events_from_before_the_start_are_history(order):
    event(order, id_=10, seq=1, age=timedelta(hours=1))
    event(order, id_=11, seq=2)
    reader = OutboxReader()
    reader.prime()
    assert reader.read().events == []
    event(order, id_=12, seq=3)
    assert seqs(reader.read()) == [(order.user_id, 3)]


def test_a_lower_id_committed_after_a_higher_one_is_delivered_once(order):
    other = UserFactory()
    clock = Clock()
    reader = OutboxReader(clock=clock, lookback=15)
    reader.prime()
    event(order, id_=1, seq=1)
    event(order, id_=3, seq=1, user=other)  # id 2 is still in flight
    assert seqs(reader.read()) == [(order.user_id, 1), (other.pk, 1)]
    assert reader.safe_id == 1 and reader.gaps.ranges == [[2, 2, 1000.0]]
    clock.now += 1
    assert reader.read().events == []  # re-reads id 3, delivers nothing twice
    event(order, id_=2, seq=2)  # the late commit
    event(order, id_=4, seq=3)
    assert seqs(reader.read()) == [(order.user_id, 2), (order.user_id, 3)]
    assert reader.safe_id == 4 and not reader.gaps
    assert reader.read().events == []


def test_a_gap_that_stays_empty_is_forgotten_after_the_look_back(order):
    clock = Clock()
    reader = OutboxReader(clock=clock, lookback=15)
    reader.prime()
    event(order, id_=1, seq=1)
    event(order, id_=5, seq=2)  # 2-4: rolled back
    assert len(reader.read().events) == 2
    assert reader.safe_id == 1
    clock.now += 16
    reader.read()
    assert reader.safe_id == 5 and not reader.gaps


def test_events_in_flight_at_the_start_are_delivered_when_they_commit(order):
    event(order, id_=7, seq=1)
    event(order, id_=9, seq=2)  # id 8 (another user's first event) commits after the start
    other = UserFactory()
    reader = OutboxReader()
    reader.prime()
    assert reader.read().events == []
    event(order, id_=8, seq=1, user=other)
    assert seqs(reader.read()) == [(other.pk, 1)]


def test_a_read_stops_at_the_limit_and_says_there_is_more(order):
    reader = OutboxReader(limit=2)
    reader.prime()
    for n in range(1, 4):
        event(order, id_=n, seq=n)
    first = reader.read()
    assert (seqs(first), first.more) == ([(order.user_id, 1), (order.user_id, 2)], True)
    assert seqs(reader.read()) == [(order.user_id, 3)]


def test_gaps_split_when_an_id_inside_arrives():
    gaps = Gaps()
    gaps.add(2, 9, 1.0)
    gaps.fill(5)
    gaps.fill(2)
    gaps.fill(42)
    assert gaps.ranges == [[3, 4, 1.0], [6, 9, 1.0]]
    gaps.expire(older_than=2.0)
    assert not gaps
