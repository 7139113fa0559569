import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from stocking.core.clock import SEOUL
from trading import krx
from trading.models import PriceBar, Stock
from trading.services.simulator import market_tick, plan_moves, snap_to_grid, tick_sigma
from trading.tests.factories import StockFactory
from trading.tests.test_matching import _run_in_threads, needs_mysql

# Prices at and around every tick-band edge, where snapping is easiest to get wrong.
EDGE_PRICES = ("1", "1999", "2000", "4995", "19990", "49950", "50000", "199900", "499500", "1000000")
STATE_FIELDS = ("current_price", "previous_close", "day_open", "day_high", "day_low", "volume", "trading_date")


def make_stocks(prices=EDGE_PRICES, volatility="0.0200") -> list[Stock]:
    return [
        StockFactory(code=f"{100000 + i:06d}", current_price=Decimal(price), volatility=Decimal(volatility))
        for i, price in enumerate(prices)
    ]


def run_ticks(seed: int, ticks: int, **kwargs) -> list[list[Decimal]]:
    rng = random.Random(seed)
    start = timezone.now()
    history = []
    for n in range(ticks):
        market_tick(rng=rng, now=start + timedelta(seconds=2 * n), **kwargs)
        history.append(list(Stock.objects.order_by("code").values_list("current_price", flat=True)))
    return history


@pytest.mark.django_db
def test_same_seed_and_start_give_the_same_prices():
    stocks = make_stocks()
    initial = {stock.pk: {name: getattr(stock, name) for name in STATE_FIELDS} for stock in stocks}
    first = run_ticks(seed=7, ticks=40, speedup=200)

    for pk, values in initial.items():
        Stock.objects.filter(pk=pk).update(**values)
    PriceBar.objects.all().delete()
    assert run_ticks(seed=7, ticks=40, speedup=200) == first

    for pk, values in initial.items():
        Stock.objects.filter(pk=pk).update(**values)
    assert run_ticks(seed=8, ticks=40, speedup=200) != first


@pytest.mark.django_db
def test_simulated_prices_stay_on_the_tick_grid_and_inside_the_daily_limits():
    make_stocks(volatility="0.5000")
    rng = random.Random(3)
    start = timezone.now()
    touched_limit = set()
    for n in range(300):
        market_tick(rng=rng, speedup=2000, now=start + timedelta(seconds=2 * n))
        for stock in Stock.objects.all():
            limits = krx.price_limits(stock.previous_close)
            price = stock.current_price
            assert krx.is_on_tick(price), f"{stock.code}: {price} is off the grid"
            assert limits.contains(price), f"{stock.code}: {price} outside {limits}"
            assert stock.day_low <= price <= stock.day_high
            assert stock.day_low <= stock.day_open <= stock.day_high
            if price in (limits.lower, limits.upper):
                touched_limit.add(stock.code)
    # The walk was wild enough to press against the limits, so clamping was exercised.
    assert touched_limit


@pytest.mark.django_db
def test_prices_move_at_the_default_demo_speed():
    make_stocks(prices=("70000", "190000", "5000"))
    history = run_ticks(seed=1, ticks=30)
    for column in zip(*history, strict=True):
        assert len(set(column)) > 1, "a stock never moved in 30 ticks"


@pytest.mark.django_db
def test_halted_unlisted_and_unpriced_stocks_do_not_move():
    halted = StockFactory(code="000001", is_halted=True)
    delisted = StockFactory(code="000002", is_listed=False)
    unpriced = StockFactory(code="000003", current_price=None, previous_close=None)
    live = StockFactory(code="000004", volatility=Decimal("0.5"))
    result = market_tick(rng=random.Random(1), speedup=5000)
    assert result.considered == 1 and result.traded == 1
    for stock in (halted, delisted, unpriced):
        fresh = Stock.objects.get(pk=stock.pk)
        assert (fresh.current_price, fresh.volume) == (stock.current_price, 0)
        assert not PriceBar.objects.filter(stock=stock).exists()
    assert Stock.objects.get(pk=live.pk).volume > 0


@pytest.mark.django_db
def test_ticks_within_a_minute_fold_into_one_minute_bar():
    stock = StockFactory(code="000010", volatility=Decimal("0.3"))
    rng = random.Random(5)
    minute = timezone.now().replace(second=0, microsecond=0)
    prices = []
    for second in (1, 20, 40, 59):
        market_tick(rng=rng, speedup=3000, now=minute + timedelta(seconds=second))
        prices.append(Stock.objects.get(pk=stock.pk).current_price)
    market_tick(rng=rng, speedup=3000, now=minute + timedelta(minutes=1))
    bars = list(PriceBar.objects.filter(stock=stock, interval=PriceBar.Interval.MINUTE).order_by("start"))
    assert [bar.start for bar in bars] == [minute, minute + timedelta(minutes=1)]
    bar = bars[0]
    assert (bar.open, bar.close, bar.high, bar.low) == (prices[0], prices[-1], max(prices), min(prices))
    assert bar.volume + bars[1].volume == Stock.objects.get(pk=stock.pk).volume


@pytest.mark.django_db
def test_first_tick_sets_a_missing_day_open():
    stock = StockFactory(code="000020", day_open=None, day_high=None, day_low=None)
    market_tick(rng=random.Random(2), speedup=100)
    fresh = Stock.objects.get(pk=stock.pk)
    assert fresh.day_open == Decimal("10000")
    assert fresh.day_low <= fresh.current_price <= fresh.day_high


@pytest.mark.django_db
def test_nothing_moves_while_the_market_is_closed_under_enforced_hours(settings):
    stock = StockFactory(code="000030", volatility=Decimal("0.5"))
    settings.ENFORCE_MARKET_HOURS = True
    sunday = datetime(2026, 11, 29, 11, 0, tzinfo=SEOUL)
    assert market_tick(rng=random.Random(1), speedup=5000, now=sunday).traded == 0
    assert Stock.objects.get(pk=stock.pk).volume == 0
    tuesday = datetime(2026, 11, 24, 11, 0, tzinfo=SEOUL)
    assert market_tick(rng=random.Random(1), speedup=5000, now=tuesday).traded == 1


def test_the_shared_market_factor_moves_stocks_together():
    stocks = [
        Stock(pk=i, code=f"{i:06d}", current_price=Decimal("100000"), previous_close=Decimal("100000"), volume=0)
        for i in range(1, 21)
    ]
    for stock in stocks:
        stock.volatility = Decimal("0.05")
    rng = random.Random(11)
    together = 0
    for _ in range(20):
        moves = plan_moves(stocks=stocks, rng=rng, interval_seconds=2, speedup=500, market_weight=1.0)
        signs = {(move.price > move.old_price) - (move.price < move.old_price) for move in moves}
        together += len(signs - {0}) == 1
    assert together == 20


def test_snapping_is_unbiased_and_lands_on_the_grid():
    rng = random.Random(0)
    target = Decimal("70030")  # 30% of the way from 70,000 to 70,100
    snapped = [snap_to_grid(target=target, rng=rng) for _ in range(4000)]
    assert set(snapped) == {Decimal("70000"), Decimal("70100")}
    share_up = snapped.count(Decimal("70100")) / len(snapped)
    assert 0.27 < share_up < 0.33
    assert snap_to_grid(target=Decimal("70000"), rng=rng) == Decimal("70000")
    assert snap_to_grid(target=Decimal("4997.5"), rng=rng) in {Decimal("4995"), Decimal("5000")}
    assert snap_to_grid(target=Decimal("0.4"), rng=rng) == Decimal("1")


def test_tick_sigma_scales_with_the_square_root_of_simulated_time():
    one = tick_sigma(daily_sigma=0.02, interval_seconds=2, speedup=10)
    assert math.isclose(tick_sigma(daily_sigma=0.02, interval_seconds=8, speedup=10), 2 * one)
    # A whole simulated session has the daily σ.
    assert math.isclose(tick_sigma(daily_sigma=0.02, interval_seconds=23400, speedup=1), 0.02)


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_two_simulators_at_once_keep_every_stock_consistent():
    make_stocks(volatility="0.3000")
    start = timezone.now()

    def simulate(seed: int):
        rng = random.Random(seed)
        for n in range(30):
            market_tick(rng=rng, speedup=1000, now=start + timedelta(seconds=n))

    assert not _run_in_threads(lambda: simulate(1), lambda: simulate(2))
    for stock in Stock.objects.all():
        assert krx.is_on_tick(stock.current_price)
        assert krx.price_limits(stock.previous_close).contains(stock.current_price)
        bars = PriceBar.objects.filter(stock=stock, interval=PriceBar.Interval.MINUTE)
        # A move dropped by the compare-and-swap wrote neither the stock nor its bar.
        assert sum(bars.values_list("volume", flat=True)) == stock.volume > 0
        last_bar = bars.order_by("-start").first()
        assert last_bar.close == stock.current_price
