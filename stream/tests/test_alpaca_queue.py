"""The data stream's send queue: a slow reader gets the latest trade and quote per symbol, every
minute bar once, control messages in order, and 407 + close 4009 past its limit."""

import asyncio
from datetime import UTC, datetime

import msgpack
import pytest

from alpaca import stream_messages as wire
from stream.alpaca_queue import DataQueue

pytestmark = pytest.mark.asyncio

AT = wire.timestamp(datetime(2026, 1, 5, 1, 2, tzinfo=UTC))


def trade(code: str, price: int) -> dict:
    return wire.trade_message(code=code, price=price, size=1, at=AT, trade_id=price)


def bar(code: str, minute: int) -> dict:
    start = datetime(2026, 1, 5, 1, minute, tzinfo=UTC)
    return wire.bar_message("b", code=code, start=start, open_=1, high=1, low=1, close=1, volume=1)


class Gate:
    """A client that reads only when the test lets it."""

    def __init__(self) -> None:
        self.frames: list = []
        self.closed: int | None = None
        self.open = asyncio.Event()

    async def send(self, data: bytes) -> None:
        await self.open.wait()
        self.frames.append(msgpack.unpackb(data))

    async def close(self, code: int) -> None:
        self.closed = code


async def drain(queue: DataQueue, gate: Gate, writer: asyncio.Task) -> None:
    gate.open.set()
    for _ in range(20):
        await asyncio.sleep(0)
    writer.cancel()


async def test_a_slow_reader_gets_the_latest_trades_and_every_bar():
    gate = Gate()
    queue = DataQueue(send=gate.send, close=gate.close, max_messages=100)
    writer = asyncio.ensure_future(queue.run())
    queue.put_data([trade("A", 1)])
    await asyncio.sleep(0)  # the writer took that frame and waits on the client
    queue.put_data([trade("A", 2), trade("B", 3), bar("A", 1)])
    queue.put_data([trade("A", 4), bar("A", 1), bar("A", 2)])
    queue.put([wire.subscription({"trades": ["A"]})])
    queue.put_data([trade("B", 5)])
    await drain(queue, gate, writer)
    assert [[(m["T"], m.get("S"), m.get("p")) for m in frame] for frame in gate.frames] == [
        [("t", "A", 1)],
        [("t", "B", 3), ("t", "A", 4), ("b", "A", None), ("b", "A", None)],  # bars of minutes 1 and 2
        [("subscription", None, None)],  # seals the frame before it
        [("t", "B", 5)],
    ]
    assert [m["t"] for m in gate.frames[1][2:]] == [bar("A", 1)["t"], bar("A", 2)["t"]]


async def test_past_its_limit_a_slow_reader_gets_407_and_4009():
    gate = Gate()
    queue = DataQueue(send=gate.send, close=gate.close, max_messages=3)
    writer = asyncio.ensure_future(queue.run())
    queue.put_data([trade("A", 1)])
    await asyncio.sleep(0)
    queue.put_data([bar("A", 1), bar("A", 2)])
    queue.put_data([bar("A", 3), bar("A", 4)])
    queue.put_data([trade("B", 1)])  # closing: dropped
    gate.open.set()
    await asyncio.wait_for(writer, 1)
    assert gate.frames[-1] == [{"T": "error", "code": 407, "msg": "slow client"}]
    assert gate.closed == 4009
