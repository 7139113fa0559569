"""Exactly one engine moves prices (a lease), and each of its ticks leaves one record of the quotes
it changed, for the live stream."""

import random
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from trading.models import EngineLease, MarketTick, Stock
from trading.services.lease import MOVER, lease_hold, lease_release
from trading.services.simulator import market_tick
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
TTL = timedelta(seconds=6)


def test_one_holder_at_a_time_until_the_lease_expires_or_is_released():
    assert lease_hold(name=MOVER, holder="a", ttl=TTL)
    assert not lease_hold(name=MOVER, holder="b", ttl=TTL)
    assert lease_hold(name=MOVER, holder="a", ttl=TTL)  # renewal
    EngineLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_hold(name=MOVER, holder="b", ttl=TTL)  # taken over after expiry
    assert not lease_hold(name=MOVER, holder="a", ttl=TTL)  # the old holder has lost it
    lease_release(name=MOVER, holder="b")
    assert lease_hold(name=MOVER, holder="a", ttl=TTL)


def test_a_tick_records_the_quotes_it_changed():
    StockFactory(code="005930", current_price=D("70000"), previous_close=D("68000"), volatility=D("0.5"))
    StockFactory(code="000660", current_price=D("190000"), previous_close=D("200000"), volatility=D("0.5"))
    result = market_tick(rng=random.Random(3), interval_seconds=60)
    tick = MarketTick.objects.get()
    assert result.moved == len(tick.quotes) > 0
    for quote in tick.quotes:
        stock = Stock.objects.get(code=quote["code"])
        assert D(quote["price"]) == stock.current_price
        assert D(quote["change"]) == stock.current_price - stock.previous_close
        assert quote["volume"] == stock.volume


def test_a_tick_that_moves_nothing_records_nothing():
    market_tick(rng=random.Random(1))
    assert not MarketTick.objects.exists()


def run_market(*args) -> str:
    out = StringIO()
    call_command("run_market", "--ticks", "2", "--interval", "0", *args, stdout=out)
    return out.getvalue()


def test_a_second_engine_matches_but_does_not_move_prices():
    StockFactory(code="005930", current_price=D("70000"), volatility=D("0.5"))
    lease_hold(name=MOVER, holder="someone else", ttl=timedelta(minutes=5))
    out = run_market("--seed", "1")
    assert "Another engine moves prices." in out
    assert Stock.objects.get().current_price == D("70000") and not MarketTick.objects.exists()


def test_an_engine_that_stops_hands_the_lease_over_at_once():
    StockFactory(code="005930", current_price=D("70000"), volatility=D("0.5"))
    out = run_market("--seed", "1")
    assert "Moving prices" in out
    assert lease_hold(name=MOVER, holder="the next engine", ttl=TTL)
