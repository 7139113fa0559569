"""Each order type and side on scripted price paths: what it holds at acceptance, when and at what
price it fills, and that every hold is released on fill, cancel and expiry (fees 0.015%, tax 0.2%)."""

from decimal import Decimal as D

import pytest

from portfolio.models import Balance, Position
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import ApplicationError
from trading.models import Order, OrderEvent
from trading.services import order_cancel, order_modify, order_place
from trading.services.matching import match_orders
from trading.services.triggers import stops_trigger
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock():
    """10,000 won, tick 10 (9,990 below, 10,010 above), limits 7,000–13,000."""
    return StockFactory(code="100100", current_price=D("10000"), previous_close=D("10000"))


@pytest.fixture
def holder(user, stock):
    order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=10)
    return user


def place(user, stock, side, order_type, quantity=2, **fields):
    return order_place(
        user=user, stock_code=stock.code, side=side, order_type=order_type, quantity=quantity, **fields
    ).order


def move(stock, price: str) -> None:
    """A tick: the price moves, stops see it, then matching does (run_market's order)."""
    type(stock).objects.filter(pk=stock.pk).update(current_price=D(price))
    stops_trigger()
    match_orders()


def refreshed(order: Order) -> Order:
    order.refresh_from_db()
    return order


class TestKoreanLimitTypes:
    def test_best_limit_takes_the_current_price_as_its_limit_and_fills_at_once(self, user, stock):
        order = place(user, stock, "buy", "best_limit")
        assert (order.status, order.limit_price, order.average_fill_price) == ("filled", D("10000"), D("10000"))
        assert_books_balance()

    @pytest.mark.parametrize(("side", "limit"), [("buy", "9990"), ("sell", "10010")])
    def test_best_own_rests_one_tick_toward_its_side(self, holder, stock, side, limit):
        order = place(holder, stock, side, "best_own")
        assert (order.status, order.limit_price) == ("pending", D(limit))
        move(stock, limit)
        assert refreshed(order).status == "filled"
        assert refreshed(order).average_fill_price == D(limit)
        assert_books_balance()

    def test_a_conditional_buy_is_held_like_a_market_buy_and_fills_at_the_close(self, user, stock):
        from datetime import datetime, time, timedelta

        from stocking.core.clock import SEOUL
        from trading.services.market_day import market_day_roll

        order = place(user, stock, "buy", "conditional_limit", limit_price=D("9000"))
        # Held at the upper limit (13,000 × 2 + fee 3), not at its limit: it may fill above it at the close.
        assert order.reserved_cash == D("26003")
        move(stock, "10500")
        assert refreshed(order).status == "pending"
        day = order.trading_date
        type(stock).objects.filter(pk=stock.pk).update(trading_date=day)
        market_day_roll(now=datetime.combine(day + timedelta(days=1), time(0, 0, 1), tzinfo=SEOUL))
        order = refreshed(order)
        assert (order.status, order.average_fill_price, order.reserved_cash) == ("filled", D("10500"), 0)
        assert Balance.objects.get(user=user).reserved_cash == 0
        assert_books_balance()

    def test_a_conditional_order_is_day_only(self, user, stock):
        with pytest.raises(ApplicationError) as error:
            place(user, stock, "buy", "conditional_limit", limit_price=D("9000"), time_in_force="gtc")
        assert error.value.code == "invalid_time_in_force"


class TestStops:
    def test_a_sell_stop_waits_then_fills_at_the_market_price_even_past_a_gap(self, holder, stock):
        order = place(holder, stock, "sell", "stop", stop_price=D("9500"))
        assert (order.status, order.triggered_at, order.reserved_quantity) == ("pending", None, 2)
        move(stock, "9600")
        assert refreshed(order).status == "pending"
        move(stock, "9000")  # gapped through 9,500
        order = refreshed(order)
        assert (order.status, order.average_fill_price) == ("filled", D("9000"))
        assert order.triggered_at is not None
        kinds = list(OrderEvent.objects.filter(order=order).order_by("seq").values_list("event", flat=True))
        assert kinds == ["new", "triggered", "fill"]
        assert Position.objects.get(user=holder).reserved_quantity == 0
        assert_books_balance()

    def test_a_buy_stop_is_held_at_the_upper_limit_and_releases_the_difference(self, user, stock):
        order = place(user, stock, "buy", "stop", stop_price=D("10500"))
        assert order.reserved_cash == D("26003")
        move(stock, "10600")
        order = refreshed(order)
        assert (order.status, order.average_fill_price, order.reserved_cash) == ("filled", D("10600"), 0)
        assert Balance.objects.get(user=user).cash == D("10000000") - D("21200") - D("3")
        assert_books_balance()

    def test_a_stop_limit_becomes_a_resting_limit_when_triggered(self, holder, stock):
        order = place(holder, stock, "sell", "stop_limit", stop_price=D("9500"), limit_price=D("9400"))
        move(stock, "9300")
        order = refreshed(order)
        assert order.triggered_at is not None and order.status == "pending"  # 9,300 is below its limit
        move(stock, "9400")
        assert refreshed(order).status == "filled" and refreshed(order).average_fill_price == D("9400")
        assert_books_balance()

    @pytest.mark.parametrize(
        ("side", "fields", "code"),
        [
            ("sell", {"stop_price": D("10500")}, "invalid_stop_price"),  # a sell stop above the price
            ("buy", {"stop_price": D("9500")}, "invalid_stop_price"),
            ("sell", {"stop_price": D("9505")}, "invalid_stop_price"),  # off the grid
            ("sell", {"stop_price": D("5000")}, "invalid_stop_price"),  # under the lower limit
            ("sell", {}, "invalid_stop_price"),
            ("sell", {"stop_price": D("9500"), "time_in_force": "ioc"}, "invalid_time_in_force"),
        ],
    )
    def test_bad_stops_are_refused_and_hold_nothing(self, holder, stock, side, fields, code):
        with pytest.raises(ApplicationError) as error:
            place(holder, stock, side, "stop", **fields)
        assert error.value.code == code
        assert Position.objects.get(user=holder).reserved_quantity == 0
        assert Order.objects.count() == 1

    def test_stop_fields_on_a_limit_order_are_refused(self, user, stock):
        with pytest.raises(ApplicationError) as error:
            place(user, stock, "buy", "limit", limit_price=D("9000"), stop_price=D("9500"))
        assert error.value.code == "invalid_stop_price"

    def test_cancel_and_modify_an_untriggered_stop(self, user, stock):
        order = place(user, stock, "buy", "stop_limit", stop_price=D("10500"), limit_price=D("10600"))
        assert order.reserved_cash == D("21203")  # at its limit: 10,600 × 2 + 3
        order = order_modify(user=user, order_id=order.pk, stop_price=D("11000"), limit_price=D("11100"), quantity=3)
        assert (order.stop_price, order.limit_price, order.reserved_cash) == (D("11000"), D("11100"), D("33304"))
        order_cancel(user=user, order_id=order.pk)
        assert Balance.objects.get(user=user).reserved_cash == 0
        assert_books_balance()


class TestTrailingStops:
    def test_a_sell_trail_follows_the_high_and_triggers_on_the_pullback(self, holder, stock):
        order = place(holder, stock, "sell", "trailing_stop", trail_price=D("500"))
        assert (order.high_water_mark, order.stop_price) == (D("10000"), D("9500"))
        move(stock, "10800")
        assert (refreshed(order).high_water_mark, refreshed(order).stop_price) == (D("10800"), D("10300"))
        move(stock, "10500")  # a dip above the stop: the mark stays
        assert (refreshed(order).high_water_mark, refreshed(order).status) == (D("10800"), "pending")
        move(stock, "10300")
        order = refreshed(order)
        assert (order.status, order.average_fill_price) == ("filled", D("10300"))
        assert_books_balance()

    def test_a_buy_trail_in_percent_follows_the_low(self, user, stock):
        order = place(user, stock, "buy", "trailing_stop", trail_percent=D("5"))
        assert (order.high_water_mark, order.stop_price) == (D("10000"), D("10500"))
        move(stock, "9000")
        assert (refreshed(order).high_water_mark, refreshed(order).stop_price) == (D("9000"), D("9450"))
        move(stock, "9450")
        assert refreshed(order).status == "filled"
        assert_books_balance()

    @pytest.mark.parametrize(
        "fields",
        [
            {},
            {"trail_price": D("500"), "trail_percent": D("5")},
            {"trail_price": D("5")},  # under one tick (10)
            {"trail_percent": D("0")},
            {"trail_percent": D("50.01")},
        ],
    )
    def test_bad_trails_are_refused(self, holder, stock, fields):
        with pytest.raises(ApplicationError) as error:
            place(holder, stock, "sell", "trailing_stop", **fields)
        assert error.value.code == "invalid_trail"


def test_a_trail_wider_than_the_price_is_refused_not_a_server_error(holder, stock):
    for trail in (D("10000"), D("8.7e307")):
        with pytest.raises(ApplicationError) as error:
            place(holder, stock, "sell", "trailing_stop", trail_price=trail)
        assert error.value.code == "invalid_trail"
