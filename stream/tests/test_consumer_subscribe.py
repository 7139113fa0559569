"""Subscriptions: `subscribed` and its seq, quotes filtered to the subscribed codes, a user's own
order events in seq order with since_seq replay and no duplicates, since_seq_expired, the code
limit (DESIGN.md "Live stream")."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from stream.tests.conftest import adb, aplace, authorized, quote, record_tick
from trading.models import OrderEvent

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_subscribed_echoes_the_subscription_and_the_latest_seq(runtime, make_user, stock):
    user = await adb(make_user)
    client = await authorized(user)
    assert await client.subscribe(quotes=["005930"]) == {
        "type": "subscribed",
        "quotes": ["005930"],
        "orders": False,
        "seq": 0,
    }
    await aplace(user)  # new + fill: seqs 1 and 2
    # A key left out keeps its value; ["*"] is one subscription whatever else is listed.
    assert await client.subscribe(orders=True) == {"type": "subscribed", "quotes": ["005930"], "orders": True, "seq": 2}
    reply = await client.subscribe(quotes=["000660", "*"])
    assert (reply["quotes"], reply["orders"]) == (["*"], True)
    await client.close()


async def test_quotes_are_filtered_to_the_subscribed_codes(runtime, make_user):
    client = await authorized(await adb(make_user))
    await client.subscribe(quotes=["005930", "035720"])
    await record_tick([quote("000660", "120000")])
    tick = await record_tick([quote("005930", "70100"), quote("000660", "120500"), quote("035720", "50000")])
    frame = await client.recv()
    assert frame["type"] == "quotes" and [q["code"] for q in frame["data"]] == ["005930", "035720"]
    assert frame["at"] == tick.at.astimezone(timezone.get_current_timezone()).isoformat()
    assert frame["data"][0] == quote("005930", "70100")
    await client.close()


async def test_all_codes_get_every_tick_in_order_and_an_unsubscribed_client_none(runtime, make_user):
    everything = await authorized(await adb(make_user))
    await everything.subscribe(quotes=["*"])
    nothing = await authorized(await adb(make_user))
    await nothing.subscribe(orders=True)
    for price in ("100", "101", "102"):
        await record_tick([quote("005930", price)])
        await asyncio.sleep(0.05)
    prices = [(await everything.recv())["data"][0]["price"] for _ in range(3)]
    assert prices == ["100", "101", "102"]
    assert await nothing.nothing(timeout=0.3)
    await everything.close()
    await nothing.close()


async def test_a_market_order_arrives_as_new_then_fill_with_consecutive_seqs(runtime, make_user, stock):
    user = await adb(make_user)
    client = await authorized(user)
    assert (await client.subscribe(orders=True))["seq"] == 0
    order = await aplace(user, quantity=3)
    new, fill = await client.recv_type("order"), await client.recv_type("order")
    assert (new["seq"], new["event"], fill["seq"], fill["event"]) == (1, "new", 2, "fill")
    assert new["order"]["id"] == fill["order"]["id"] == order.pk
    assert new["order"]["status"] == "pending" and new["execution"] is None
    assert fill["order"]["status"] == "filled" and fill["execution"]["quantity"] == 3
    await client.close()


async def test_another_users_events_never_arrive(runtime, make_user, stock):
    alice, bob = await adb(make_user), await adb(make_user)
    client = await authorized(alice)
    await client.subscribe(orders=True, quotes=[])
    await aplace(bob)
    await aplace(bob, side="sell")
    assert await client.nothing(timeout=0.5)
    await aplace(alice)
    assert (await client.recv())["order"]["status"] == "pending"
    await client.close()


async def test_since_seq_replays_what_was_missed_then_goes_live_without_duplicates(runtime, make_user, stock):
    user = await adb(make_user)
    await aplace(user)  # seqs 1, 2
    seen = await authorized(user)
    await seen.subscribe(orders=True)
    await aplace(user)  # 3, 4
    assert [(await seen.recv())["seq"] for _ in range(2)] == [3, 4]
    await seen.close()
    for _ in range(3):
        await aplace(user)  # 5..10: three orders missed while away
    client = await authorized(user)
    assert (await client.subscribe(orders=True, since_seq=4))["seq"] == 10
    await aplace(user)  # 11, 12 while the replay is being sent
    seqs = [(await client.recv())["seq"] for _ in range(8)]
    assert seqs == list(range(5, 13))
    assert await client.nothing(timeout=0.3)
    await client.close()


async def test_since_seq_zero_replays_everything_kept(runtime, make_user, stock):
    user = await adb(make_user)
    await aplace(user)
    client = await authorized(user)
    assert (await client.subscribe(orders=True, since_seq=0))["seq"] == 2
    assert [(await client.recv())["event"] for _ in range(2)] == ["new", "fill"]
    await client.close()


async def test_a_pruned_since_seq_is_expired_and_the_socket_stays_open(runtime, make_user, stock):
    user = await adb(make_user)
    await aplace(user)
    await aplace(user)
    await database_sync_to_async(
        lambda: OrderEvent.objects.filter(user=user, seq__lte=2).update(created_at=timezone.now() - timedelta(days=2))
    )()
    await database_sync_to_async(lambda: OrderEvent.objects.filter(user=user, seq__lte=2).delete())()
    client = await authorized(user)
    await client.send({"action": "subscribe", "orders": True, "since_seq": 1})
    assert (await client.recv())["code"] == "since_seq_expired"
    assert (await client.subscribe(orders=True, since_seq=2))["seq"] == 4  # 3 and 4 are still kept
    assert [(await client.recv())["seq"] for _ in range(2)] == [3, 4]
    await client.close()


async def test_too_many_codes_is_an_error_and_the_subscription_stays(runtime, make_user, settings):
    settings.STREAM_MAX_CODES = 3
    client = await authorized(await adb(make_user))
    await client.subscribe(quotes=["005930"])
    await client.send({"action": "subscribe", "quotes": ["000001", "000002", "000003", "000004"]})
    assert (await client.recv())["code"] == "too_many_codes"
    assert (await client.subscribe(quotes=["*"]))["quotes"] == ["*"]  # ["*"] counts as one
    assert (await client.subscribe(quotes=["000001", "000002", "000003"]))["quotes"] == ["000001", "000002", "000003"]
    await client.close()


async def test_a_gap_in_live_events_is_filled_from_the_outbox(runtime, make_user, stock, monkeypatch):
    user = await adb(make_user)
    client = await authorized(user)
    await client.subscribe(orders=True)
    # Pretend the tailer never hands over seqs 3 and 4 (say, a commit later than its look-back).
    publish = runtime.hub.publish

    def lossy(batch):
        batch.events = [event for event in batch.events if event.seq not in (3, 4)]
        publish(batch)

    monkeypatch.setattr(runtime.hub, "publish", lossy)
    for _ in range(2):
        await aplace(user)
    assert [(await client.recv())["seq"] for _ in range(2)] == [1, 2]
    await aplace(user)  # 5 and 6 arrive live: 3 and 4 are read from the outbox first
    assert [(await client.recv())["seq"] for _ in range(4)] == [3, 4, 5, 6]
    assert await client.nothing(timeout=0.3)
    await client.close()
