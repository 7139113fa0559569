"""A slow client: quotes merge into one frame of the latest prices, order events are never dropped,
and past the limit the client is closed with 4009."""

import asyncio
import json
from datetime import UTC, datetime

import pytest

from stream.hub import TickFrame
from stream.outbox_reader import Tick
from stream.sendqueue import SendQueue

pytestmark = pytest.mark.asyncio


def tick(n: int, *prices: tuple[str, str]) -> TickFrame:
    quotes = [{"code": code, "price": price} for code, price in prices]
    return TickFrame(Tick(n, datetime(2026, 1, 5, 0, 0, n, tzinfo=UTC), quotes))


class Wire:
    def __init__(self) -> None:
        self.frames: list = []
        self.closed: int | None = None
        self.gate = asyncio.Event()

    async def send(self, text: str) -> None:
        await self.gate.wait()  # a client that does not read until the gate opens
        self.frames.append(json.loads(text))

    async def close(self, code: int) -> None:
        self.closed = code


async def drain(queue: SendQueue, wire: Wire) -> None:
    wire.gate.set()
    writer = asyncio.ensure_future(queue.run())
    await asyncio.sleep(0.05)
    writer.cancel()


async def test_a_slow_client_gets_one_merged_frame_with_the_latest_prices():
    wire = Wire()
    queue = SendQueue(send=wire.send, close=wire.close, max_order_frames=10)
    queue.put_quotes(tick(1, ("005930", "100"), ("000660", "200")), None)
    queue.put_order('{"type": "order", "seq": 1}')
    queue.put_quotes(tick(2, ("005930", "101")), None)
    queue.put_quotes(tick(3, ("035720", "300")), [{"code": "035720", "price": "300"}])
    await drain(queue, wire)
    quotes, order = wire.frames
    assert quotes["at"] == "2026-01-05T09:00:03+09:00"
    assert {q["code"]: q["price"] for q in quotes["data"]} == {"005930": "101", "000660": "200", "035720": "300"}
    assert order == {"type": "order", "seq": 1}


async def test_order_events_past_the_limit_close_the_client_with_4009():
    wire = Wire()
    queue = SendQueue(send=wire.send, close=wire.close, max_order_frames=3)
    assert all(queue.put_order(json.dumps({"type": "order", "seq": n})) for n in range(1, 4))
    assert not queue.put_order('{"type": "order", "seq": 4}')
    queue.put_quotes(tick(1, ("005930", "100")), None)  # nothing more is queued once closing
    await drain(queue, wire)
    assert wire.frames == [{"type": "error", "code": "too_slow", "detail": "Too slow for order events."}]
    assert wire.closed == 4009
