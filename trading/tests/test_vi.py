"""정적 VI: a tick that would move a stock 10% or more from its reference stops at the band edge and
starts a single-price period in which orders are accepted but not matched; the tick that ends it
is one match at the new price."""

import random
import time
from datetime import date, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from portfolio.models import Balance
from portfolio.tests.helpers import assert_books_balance
from trading import krx
from trading.models import MarketTick, Order, PriceBar, Stock
from trading.services import order_place
from trading.services.market_day import stock_roll
from trading.services.matching import match_orders
from trading.services.simulator import market_tick, vi_ticks
from trading.services.triggers import stops_trigger
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("old", "new", "trigger"),
    [
        ("10900", "11200", "11000"),  # up through the band: stops at reference × 1.1 on the grid
        ("10900", "11000", "11000"),  # exactly 10% is a VI too
        ("10900", "10990", None),
        ("9100", "8800", "9000"),
        ("9100", "9000", "9000"),
        ("9100", "9010", None),
        ("11500", "12000", None),  # already outside the band (no VI moved the reference): no new VI
        ("10000", "13000", "11000"),
    ],
)
def test_the_static_vi_band_is_ten_percent_of_the_reference_on_the_grid(old, new, trigger):
    found = krx.static_vi_trigger(reference=D("10000"), old_price=D(old), new_price=D(new))
    assert found == (None if trigger is None else D(trigger))


def test_the_upper_trigger_is_the_first_grid_price_at_or_past_ten_percent():
    # 46,000 × 1.1 = 50,600: the 100-won tick above 50,000 makes it 50,600; 45,990 × 1.1 = 50,589 → 50,600
    assert krx.static_vi_trigger(reference=D("45990"), old_price=D("46000"), new_price=D("52000")) == D("50600")
    assert krx.static_vi_trigger(reference=D("45990"), old_price=D("46000"), new_price=D("41000")) == D("41350")


@pytest.mark.parametrize(
    ("interval", "speedup", "ticks"), [(2, 1, 60), (2, 10, 6), (2, 500, 1), (1.5, 7, 12), (0, 10, 1)]
)
def test_a_vi_lasts_two_simulated_minutes_in_ticks(interval, speedup, ticks):
    assert vi_ticks(interval_seconds=interval, speedup=speedup) == ticks


def volatile_stock(code="100100") -> Stock:
    # σ of a tick at 60 s × 390 speed-up is the whole daily σ: most ticks leave a ±10% band.
    return StockFactory(code=code, current_price=D("10000"), previous_close=D("10000"), volatility=D("0.5"))


def tick_until_vi(stock: Stock, *, start, seed=1, limit=60):
    rng = random.Random(seed)
    for n in range(limit):
        now = start + timedelta(seconds=60 * n)
        market_tick(rng=rng, interval_seconds=60, speedup=1, now=now)
        stock.refresh_from_db()
        if stock.vi_until is not None:
            return rng, now
    raise AssertionError(f"no VI in {limit} ticks")


def test_a_tick_past_the_band_stops_at_the_trigger_price_and_starts_a_vi():
    stock = volatile_stock()
    start = timezone.now()
    before = Stock.objects.get(pk=stock.pk)
    rng, at = tick_until_vi(stock, start=start)
    assert stock.current_price in (D("11000"), D("9000")), "the first VI of the day: 10% from the close"
    # 120 simulated seconds at 60 s × 1: two ticks
    assert stock.vi_until == at + timedelta(seconds=120)
    assert stock.vi_reference == stock.current_price
    assert stock.vi_active(at) and stock.vi_active(at + timedelta(seconds=119)) and not stock.vi_active(stock.vi_until)
    assert before.vi_until is None
    tick = MarketTick.objects.order_by("-id").first()
    quote = next(q for q in tick.quotes if q["code"] == stock.code)
    assert quote["price"] == str(stock.current_price)
    assert quote["vi_until"] == stock.vi_until.isoformat()


def test_the_price_holds_during_the_vi_and_the_tick_that_ends_it_trades_again():
    stock = volatile_stock()
    rng, at = tick_until_vi(stock, start=timezone.now())
    held = (stock.current_price, stock.volume, stock.day_high, stock.day_low)
    bars = PriceBar.objects.filter(stock=stock).count()
    ticks = MarketTick.objects.count()

    market_tick(rng=rng, interval_seconds=60, speedup=1, now=at + timedelta(seconds=60))
    stock.refresh_from_db()
    assert (stock.current_price, stock.volume, stock.day_high, stock.day_low) == held
    assert PriceBar.objects.filter(stock=stock).count() == bars  # no trade, no new minute bar
    assert MarketTick.objects.count() == ticks  # nothing moved

    end = stock.vi_until
    market_tick(rng=rng, interval_seconds=60, speedup=1, now=end)
    stock.refresh_from_db()
    assert stock.volume > held[1]
    ended = MarketTick.objects.order_by("-id").first()
    quote = next(q for q in ended.quotes if q["code"] == stock.code)
    # The VI ended with this trade (or a new one began at once from the VI price, 10% further on).
    if stock.vi_until is None:
        assert quote["vi_until"] is None
    else:
        assert stock.vi_until == end + timedelta(seconds=120)
        assert abs(stock.current_price - held[0]) >= held[0] * D("0.1") - krx.tick_size(held[0])


def test_the_reference_after_a_vi_is_the_vi_price_until_the_day_rolls():
    stock = volatile_stock()
    _, at = tick_until_vi(stock, start=timezone.now())
    assert stock.vi_reference == stock.current_price
    today = date(2026, 11, 30)
    Stock.objects.filter(pk=stock.pk).update(trading_date=today)
    stock_roll(stock_id=stock.pk, trading_date=today + timedelta(days=1))
    stock.refresh_from_db()
    assert (stock.vi_until, stock.vi_reference) == (None, None)
    assert stock.previous_close == stock.current_price


@pytest.fixture
def in_vi():
    """A 10,000 won stock (tick 10) in a VI that ends in a minute."""
    return StockFactory(
        code="100200",
        current_price=D("11000"),
        previous_close=D("10000"),
        vi_reference=D("11000"),
        vi_until=timezone.now() + timedelta(minutes=1),
    )


def place(user, stock, side, order_type, quantity=2, **fields):
    return order_place(
        user=user, stock_code=stock.code, side=side, order_type=order_type, quantity=quantity, **fields
    ).order


def vi_ends(stock: Stock, price: str) -> None:
    """The tick that ends the VI: the single price, then stops and matching (run_market's order)."""
    Stock.objects.filter(pk=stock.pk).update(current_price=D(price), vi_until=timezone.now() - timedelta(seconds=1))
    stops_trigger()
    match_orders()


class TestOrdersDuringAVi:
    def test_a_market_buy_rests_holding_the_upper_limit_and_fills_at_the_price_that_ends_it(self, user, in_vi):
        cash = Balance.objects.get(user=user).cash
        order = place(user, in_vi, "buy", "market", quantity=3)
        assert (order.status, order.filled_quantity) == ("pending", 0)
        assert order.reserved_cash == krx.buy_reservation(3, krx.price_limits(D("10000")).upper)
        match_orders()  # still in the VI: nothing fills
        assert Order.objects.get(pk=order.pk).status == "pending"

        vi_ends(in_vi, "11300")
        order.refresh_from_db()
        assert (order.status, order.average_fill_price, order.reserved_cash) == ("filled", D("11300"), 0)
        balance = Balance.objects.get(user=user)
        assert balance.reserved_cash == 0
        assert balance.cash == cash - 3 * D("11300") - krx.commission(3 * D("11300"))
        assert_books_balance()

    def test_a_crossing_limit_rests_and_the_single_price_decides(self, user, in_vi):
        above = place(user, in_vi, "buy", "limit", limit_price=D("11200"))
        below = place(user, in_vi, "buy", "limit", limit_price=D("11100"))
        assert (above.status, below.status) == ("pending", "pending")
        vi_ends(in_vi, "11150")
        assert Order.objects.get(pk=above.pk).status == "filled"
        assert Order.objects.get(pk=above.pk).average_fill_price == D("11150")
        assert Order.objects.get(pk=below.pk).status == "pending"
        assert_books_balance()

    @pytest.mark.parametrize("time_in_force", ["ioc", "fok"])
    def test_ioc_and_fok_are_cancelled_with_vi_active(self, user, in_vi, time_in_force):
        cash = Balance.objects.get(user=user).cash
        order = place(user, in_vi, "buy", "limit", limit_price=D("11500"), time_in_force=time_in_force)
        assert (order.status, order.cancel_reason, order.filled_quantity) == ("cancelled", "vi_active", 0)
        balance = Balance.objects.get(user=user)
        assert (balance.cash, balance.reserved_cash) == (cash, 0)
        assert list(order.events.values_list("event", flat=True).order_by("seq")) == ["new", "cancelled"]

    def test_a_stop_the_vi_price_reaches_triggers_only_when_the_vi_ends(self, user, in_vi):
        Stock.objects.filter(pk=in_vi.pk).update(current_price=D("10500"), vi_until=None)
        stop = place(user, in_vi, "buy", "stop", stop_price=D("10900"))
        # the tick that reaches 11,000 starts a VI there
        Stock.objects.filter(pk=in_vi.pk).update(
            current_price=D("11000"), vi_until=timezone.now() + timedelta(minutes=1)
        )
        stops_trigger()
        assert Order.objects.get(pk=stop.pk).triggered_at is None
        vi_ends(in_vi, "11050")
        stop.refresh_from_db()
        assert stop.triggered_at is not None
        assert (stop.status, stop.average_fill_price) == ("filled", D("11050"))

    def test_a_market_order_rested_through_a_vi_before_the_limits(self, user, in_vi):
        limit = place(user, in_vi, "buy", "limit", limit_price=D("11200"))
        market = place(user, in_vi, "buy", "market")
        vi_ends(in_vi, "11100")
        filled = list(Order.objects.filter(pk__in=[limit.pk, market.pk]).order_by("closed_at", "pk"))
        assert [order.status for order in filled] == ["filled", "filled"]
        executions = list(Order.objects.get(pk=market.pk).executions.values_list("id", flat=True)) + list(
            Order.objects.get(pk=limit.pk).executions.values_list("id", flat=True)
        )
        assert executions == sorted(executions), "the market order fills first"

    def test_the_quote_shows_vi_until_only_while_it_lasts(self, client, in_vi):
        quote = client.get(f"/api/v1/stocks/{in_vi.code}").json()
        assert quote["vi_until"] is not None
        assert timezone.datetime.fromisoformat(quote["vi_until"]) == in_vi.vi_until
        Stock.objects.filter(pk=in_vi.pk).update(vi_until=timezone.now() - timedelta(seconds=1))
        assert client.get(f"/api/v1/stocks/{in_vi.code}").json()["vi_until"] is None

    def test_the_stock_page_says_so(self, client, in_vi):
        page = client.get(f"/market/{in_vi.code}/").content.decode()
        assert 'data-testid="vi"' in page and 'data-testid="vi" hidden' not in page
        Stock.objects.filter(pk=in_vi.pk).update(vi_until=None)
        page = client.get(f"/market/{in_vi.code}/").content.decode()
        assert 'data-show-if="vi_until" data-testid="vi" hidden' in page


@pytest.mark.django_db(transaction=True)
def test_run_market_with_a_seed_starts_a_vi_rests_a_market_order_and_fills_it_when_it_ends(user, settings):
    """End to end through the engine: ticks with --seed until a VI starts, a market buy placed in it
    rests, and the first tick after the VI fills it at that tick's price."""
    settings.SIMULATOR_SPEEDUP = 400  # one tick of 0.3 s is a simulated 120 s: a VI lasts one tick
    settings.MARKET_ENGINE_INTERVAL = 0.3
    stock = volatile_stock()
    seeds = iter(range(1000))

    def engine_tick() -> None:
        call_command("run_market", "--ticks", "1", "--interval", "0", "--seed", str(next(seeds)), stdout=StringIO())
        stock.refresh_from_db()

    for _ in range(80):
        engine_tick()
        if stock.vi_active():
            break
    else:
        raise AssertionError("no VI started")
    order = place(user, stock, "buy", "market", quantity=1)
    assert (order.status, order.filled_quantity) == ("pending", 0)
    while stock.vi_active():
        time.sleep(0.05)
    for _ in range(20):  # a tick that ends one VI may start the next at once (10% past the VI price)
        engine_tick()
        order.refresh_from_db()
        if order.status == "filled":
            break
        assert stock.vi_active(), "the tick that ends a VI matches the orders that rested in it"
        while stock.vi_active():
            time.sleep(0.05)
    assert order.status == "filled"
    assert order.average_fill_price == stock.current_price  # the single price of the tick that ended it
    assert_books_balance()
