"""The order types through the engine itself (`run_market --seed`), not a scripted price: stops
trigger on the ticks whose prices reach them and fill at that tick's price, a trailing stop's mark is
the best price the ticks made since it was accepted, a stop-loss / take-profit pair ends with one
fill and one `oco` cancel, and a conditional order left at the close fills at the closing price
when the engine rolls the day. The books balance after each."""

from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolio.tests.helpers import assert_books_balance
from trading import krx
from trading.models import MarketTick, Order, Stock
from trading.services import order_place
from trading.services.oco_orders import oco_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db

CODE = "100300"


@pytest.fixture
def engine(settings):
    # A busy tape: 200 simulated seconds a tick (σ ~4.6% at 0.5 a day), so a few dozen ticks reach
    # the stops; a VI lasts one tick of 0.05 s.
    settings.SIMULATOR_SPEEDUP = 4000
    settings.MARKET_ENGINE_INTERVAL = 0.05
    return StockFactory(
        code=CODE,
        current_price=D("50000"),
        previous_close=D("50000"),
        volatility=D("0.5"),
        trading_date=timezone.localdate(),
    )


def run_engine(*, ticks: int, seed: int) -> None:
    call_command("run_market", "--ticks", str(ticks), "--interval", "0", "--seed", str(seed), stdout=StringIO())


def tick_prices(after_id: int) -> list[tuple]:
    """(time, price) of every tick after `after_id` that moved the stock, in order."""
    rows = MarketTick.objects.filter(id__gt=after_id).order_by("id")
    return [(tick.at, D(q["price"])) for tick in rows for q in tick.quotes if q["code"] == CODE]


def last_tick_id() -> int:
    return MarketTick.objects.order_by("-id").values_list("id", flat=True).first() or 0


def place(user, side, order_type, quantity=3, **fields) -> Order:
    return order_place(user=user, stock_code=CODE, side=side, order_type=order_type, quantity=quantity, **fields).order


def test_stops_and_a_trailing_stop_follow_the_engines_ticks(engine):
    trader = UserFactory()
    place(trader, "buy", "market", quantity=20)
    price = Stock.objects.get(code=CODE).current_price
    start = last_tick_id()
    sell_stop = place(trader, "sell", "stop", stop_price=krx.floor_to_tick(price * D("0.96")))
    buy_stop = place(trader, "buy", "stop", stop_price=krx.ceil_to_tick(price * D("1.04")))
    trailing = place(trader, "sell", "trailing_stop", trail_percent=D("3"))

    run_engine(ticks=40, seed=11)

    ticks = tick_prices(start)
    path = [price, *(p for _, p in ticks)]
    triggered = 0
    for order in Order.objects.filter(pk__in=[sell_stop.pk, buy_stop.pk, trailing.pk]):
        if order.triggered_at is None:
            assert order.status == "pending"
            continue
        triggered += 1
        assert order.status == "filled"
        fill = order.average_fill_price
        assert fill in path, "a triggered stop fills at the price of a tick"
        if order.side == "sell":
            assert fill <= order.stop_price  # reached it, or gapped past it
        else:
            assert fill >= order.stop_price
    assert triggered >= 2, "the tape should reach most of these stops"

    trailing.refresh_from_db()
    until = trailing.triggered_at or timezone.now()
    seen = [price, *(p for at, p in ticks if at <= until)]  # the ticks before its trigger
    assert trailing.high_water_mark == max(seen)
    assert trailing.stop_price == krx.floor_to_tick(trailing.high_water_mark * D("0.97"))
    assert_books_balance()


def test_a_stop_loss_take_profit_pair_ends_with_one_fill_and_one_oco_cancel(engine):
    holder = UserFactory()
    place(holder, "buy", "market", quantity=10)
    price = Stock.objects.get(code=CODE).current_price
    pair = oco_place(
        user=holder,
        stock_code=CODE,
        quantity=10,
        stop_price=krx.floor_to_tick(price * D("0.95")),
        limit_price=krx.ceil_to_tick(price * D("1.05")),
    )
    for seed in range(1, 40):
        run_engine(ticks=5, seed=seed)
        statuses = sorted(Order.objects.filter(oco_group=pair.oco_group).values_list("status", "cancel_reason"))
        if statuses != [("pending", None), ("pending", None)]:
            break
    assert statuses == [("cancelled", "oco"), ("filled", None)]
    assert not holder.positions.exists()  # all 10 shares sold once, by one of the two
    assert_books_balance()


def test_a_conditional_order_fills_at_the_close_when_the_engine_rolls_the_day(engine):
    trader = UserFactory()
    stock = Stock.objects.get(code=CODE)
    order = place(trader, "buy", "conditional_limit", limit_price=krx.floor_to_tick(stock.current_price * D("0.7")))
    assert order.status == "pending"
    run_engine(ticks=3, seed=5)
    close = Stock.objects.get(code=CODE).current_price
    # The session ends: the order and the stock are yesterday's, as after midnight in Seoul.
    yesterday = timezone.localdate() - timedelta(days=1)
    Order.objects.filter(pk=order.pk).update(trading_date=yesterday)
    Stock.objects.filter(code=CODE).update(trading_date=yesterday)

    run_engine(ticks=1, seed=6)  # the roll comes first in a tick, at the price the day closed at

    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.average_fill_price) == ("filled", 3, close)
    assert Stock.objects.get(code=CODE).previous_close == close
    assert_books_balance()
