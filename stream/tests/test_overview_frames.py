"""`"overview": true`: the newest market overview record as an overview frame, at subscription (the
market as of the last tick) and after every tick that writes one; never to other subscribers."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from stream import protocol
from stream.sendqueue import SendQueue
from stream.tests.conftest import adb, authorized
from stream.tests.test_sendqueue import Wire, drain
from trading.selectors import market_overview
from trading.services.overview import market_overview_write
from trading.tests.factories import StockFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def listed_market():
    StockFactory(code="005930", current_price=Decimal("71000"), previous_close=Decimal("70000"), listed_shares=10**6)
    StockFactory(code="000660", current_price=Decimal("99000"), previous_close=Decimal("100000"), listed_shares=10**6)
    return market_overview_write(at=timezone.now())


async def test_a_subscriber_gets_the_newest_overview_at_once_and_then_each_new_one(runtime, make_user):
    await adb(listed_market)
    client = await authorized(await adb(make_user))
    reply = await client.subscribe(overview=True)
    assert reply["overview"] is True
    first = await client.recv_type("overview")
    stored = await adb(market_overview)
    assert first == {"type": "overview", **stored}
    assert first["breadth"]["advancers"] == 1 and first["breadth"]["decliners"] == 1

    record = await adb(market_overview_write)
    second = await client.recv_type("overview")
    assert second["at"] == record.body["at"] != first["at"]
    await client.close()


async def test_clients_without_the_overview_get_no_overview_frame(runtime, make_user):
    await adb(listed_market)
    quotes_only = await authorized(await adb(make_user))
    await quotes_only.subscribe(quotes=["*"])
    watcher = await authorized(await adb(make_user))
    await watcher.subscribe(overview=True)
    await watcher.recv_type("overview")
    await adb(market_overview_write)
    await watcher.recv_type("overview")
    assert await quotes_only.nothing(timeout=0.3)

    await watcher.subscribe(overview=False)  # and a client that turns it off gets no more
    await adb(market_overview_write)
    assert await watcher.nothing(timeout=0.3)
    await quotes_only.close()
    await watcher.close()


async def test_before_any_record_there_is_no_overview_frame(runtime, make_user):
    client = await authorized(await adb(make_user))
    await client.subscribe(overview=True)
    assert await client.nothing(timeout=0.3)
    await client.close()


async def test_the_frame_is_the_stored_body_with_its_type():
    body = json.dumps({"at": "2026-11-30T10:00:00+09:00", "breadth": {"advancers": 3}}, separators=(",", ":"))
    assert json.loads(protocol.overview_frame(body)) == {"type": "overview", **json.loads(body)}


async def test_a_slow_client_gets_only_the_newest_overview_in_its_first_place():
    wire = Wire()
    queue = SendQueue(send=wire.send, close=wire.close, max_order_frames=10)
    queue.put_overview(protocol.overview_frame('{"n":0}'))
    queue.put_order('{"type": "order", "seq": 1}')
    queue.put_overview(protocol.overview_frame('{"n":1}'))
    await drain(queue, wire)
    queue.put_overview(protocol.overview_frame('{"n":2}'))
    await drain(queue, wire)
    assert wire.frames == [
        {"type": "overview", "n": 1},
        {"type": "order", "seq": 1},
        {"type": "overview", "n": 2},
    ]
