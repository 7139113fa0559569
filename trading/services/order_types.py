"""What each order type means at acceptance: which fields it takes, the time in force it allows,
the limit it rests at, the stop it waits for, and the price its buy reservation is held at.

  market             fills at once at the market price; a buy is held at the day's upper limit
  limit              fills at once when the price meets the limit, else rests at it
  best_limit         최유리지정가: its limit is the opposite best price, the current price here, so it
                     fills at once and rests at that limit only while nothing can fill (a VI)
  best_own           최우선지정가: its limit is the same-side best price, one tick from the current
                     price toward its side (below for a buy, above for a sell); it rests until crossed
  conditional_limit  조건부지정가: a limit during the session; what is left at the close fills at the
                     closing price at the day roll. DAY only; a buy is held like a market buy
  stop               waits until the price reaches stop_price (sell: at or below, buy: at or above),
                     then fills at the market price (a gap past the stop fills at the gap price)
  stop_limit         waits for stop_price, then rests as a limit at limit_price
  trailing_stop      a stop that follows the best price since acceptance (its mark: the highest for a
                     sell, the lowest for a buy) at trail_price won or trail_percent % behind it
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from stocking.core.exceptions import ApplicationError
from trading import krx
from trading.models import OrderSide, OrderType, Stock, TimeInForce
from trading.services.rules import InvalidOrder, stock_price_limits, validate_limit_price

ALL_TIME_IN_FORCE = set(TimeInForce.values)
ALLOWED_TIME_IN_FORCE = {
    OrderType.MARKET: ALL_TIME_IN_FORCE,
    OrderType.LIMIT: ALL_TIME_IN_FORCE,
    OrderType.BEST_LIMIT: ALL_TIME_IN_FORCE,
    OrderType.BEST_OWN: ALL_TIME_IN_FORCE,
    OrderType.CONDITIONAL_LIMIT: {TimeInForce.DAY},
    OrderType.STOP: {TimeInForce.DAY, TimeInForce.GTC},
    OrderType.STOP_LIMIT: {TimeInForce.DAY, TimeInForce.GTC},
    OrderType.TRAILING_STOP: {TimeInForce.DAY, TimeInForce.GTC},
}
TAKES_LIMIT = {OrderType.LIMIT, OrderType.CONDITIONAL_LIMIT, OrderType.STOP_LIMIT}
TAKES_STOP = {OrderType.STOP, OrderType.STOP_LIMIT}
# A buy that may fill above any limit it names is held at the day's upper limit, as brokers do.
HELD_AT_UPPER_LIMIT = {OrderType.MARKET, OrderType.CONDITIONAL_LIMIT, OrderType.STOP, OrderType.TRAILING_STOP}
MAX_TRAIL_PERCENT = Decimal("50")


class InvalidOrderType(ApplicationError):
    code = "invalid_order_type"
    default_message = "Unknown order type."


class InvalidTimeInForce(ApplicationError):
    code = "invalid_time_in_force"
    default_message = "This order type does not take that time in force."


class InvalidStopPrice(ApplicationError):
    code = "invalid_stop_price"
    default_message = "The stop price is not valid."


class InvalidTrail(ApplicationError):
    code = "invalid_trail"
    default_message = "Give a trail_price (whole won, at least one tick) or a trail_percent above 0 and up to 50."


@dataclass(frozen=True)
class OrderTerms:
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_price: Decimal | None
    trail_percent: Decimal | None
    high_water_mark: Decimal | None
    reserve_price: Decimal | None  # buys only: the price the cash hold is computed at


def trailing_stop_price(
    *, side: str, mark: Decimal, trail_price: Decimal | None, trail_percent: Decimal | None
) -> Decimal:
    """The stop a trailing order waits for: the mark minus the trail for a sell (floored to the
    grid), plus it for a buy (ceiled); never below the smallest price."""
    trail = trail_price if trail_price is not None else mark * trail_percent / 100
    if side == OrderSide.SELL:
        return max(krx.floor_to_tick(max(mark - trail, Decimal("1"))), Decimal("1"))
    return krx.ceil_to_tick(mark + trail)


def check_stop(stock: Stock, side: str, stop_price: Decimal) -> None:
    if not krx.is_on_tick(stop_price) or not stock_price_limits(stock).contains(stop_price):
        limits = stock_price_limits(stock)
        raise InvalidStopPrice(
            f"A stop price is on the tick grid and between {limits.lower} and {limits.upper} won today.",
            extra={"lower_limit": str(limits.lower), "upper_limit": str(limits.upper)},
        )
    price = stock.current_price
    if side == OrderSide.SELL and stop_price >= price:
        raise InvalidStopPrice(f"A sell stop must be below the current price ({price} won); it would trigger at once.")
    if side == OrderSide.BUY and stop_price <= price:
        raise InvalidStopPrice(f"A buy stop must be above the current price ({price} won); it would trigger at once.")


def check_trail(stock: Stock, trail_price: Decimal | None, trail_percent: Decimal | None) -> None:
    if (trail_price is None) == (trail_percent is None):
        raise InvalidTrail("Give exactly one of trail_price and trail_percent.")
    if trail_price is not None:
        tick = krx.tick_size(stock.current_price)
        if trail_price != trail_price.to_integral_value(ROUND_DOWN) or trail_price < tick:
            raise InvalidTrail(f"trail_price is whole won and at least one tick ({tick} won) at this price.")
        if trail_price >= stock.current_price:
            # Wider than the price itself: the stop could never be reached (and would not fit a price column).
            raise InvalidTrail(f"trail_price must be under the current price ({stock.current_price} won).")
    elif not Decimal("0") < trail_percent <= MAX_TRAIL_PERCENT:
        raise InvalidTrail("trail_percent is above 0 and at most 50.")


def order_terms(
    *,
    stock: Stock,
    side: str,
    order_type: str,
    time_in_force: str,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    trail_price: Decimal | None = None,
    trail_percent: Decimal | None = None,
) -> OrderTerms:
    """Check a new order's fields against its type and work out the prices it carries."""
    if order_type not in ALLOWED_TIME_IN_FORCE:
        raise InvalidOrderType(f"Unknown order type {order_type!r}.")
    if time_in_force not in ALLOWED_TIME_IN_FORCE[order_type]:
        allowed = ", ".join(sorted(ALLOWED_TIME_IN_FORCE[order_type]))
        raise InvalidTimeInForce(f"A {order_type} order takes time in force {allowed}.")
    if order_type in TAKES_LIMIT:
        if limit_price is None:
            raise InvalidOrder(f"A {order_type} order needs a limit_price.")
        validate_limit_price(stock, limit_price)
    elif limit_price is not None:
        raise InvalidOrder(f"A {order_type} order takes no limit_price.")
    if order_type in TAKES_STOP:
        if stop_price is None:
            raise InvalidStopPrice(f"A {order_type} order needs a stop_price.")
        check_stop(stock, side, stop_price)
    elif stop_price is not None:
        raise InvalidStopPrice(f"A {order_type} order takes no stop_price.")
    mark = None
    if order_type == OrderType.TRAILING_STOP:
        check_trail(stock, trail_price, trail_percent)
        mark = stock.current_price
        stop_price = trailing_stop_price(side=side, mark=mark, trail_price=trail_price, trail_percent=trail_percent)
    elif trail_price is not None or trail_percent is not None:
        raise InvalidTrail(f"A {order_type} order takes no trail.")

    limits = stock_price_limits(stock)
    if order_type == OrderType.BEST_LIMIT:
        limit_price = stock.current_price
    elif order_type == OrderType.BEST_OWN:
        step = krx.tick_below if side == OrderSide.BUY else krx.tick_above
        limit_price = limits.clamp(step(stock.current_price))
    reserve_price = None
    if side == OrderSide.BUY:
        reserve_price = limits.upper if order_type in HELD_AT_UPPER_LIMIT else limit_price
    return OrderTerms(limit_price, stop_price, trail_price, trail_percent, mark, reserve_price)


@dataclass(frozen=True)
class ChangedTerms:
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_price: Decimal | None
    trail_percent: Decimal | None
    reserve_price: Decimal | None


def modify_terms(
    *,
    order,
    stock: Stock,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    trail_price: Decimal | None = None,
    trail_percent: Decimal | None = None,
) -> ChangedTerms:
    """Check what a PATCH may change on an open order of this type and work out its new prices:
    a resting limit (of any limit type, or a triggered stop-limit) its limit; an untriggered stop
    its stop (a stop-limit also its limit); an untriggered trailing stop its trail."""
    waiting = order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP) and (
        order.triggered_at is None
    )
    takes_limit = order.order_type in TAKES_LIMIT or order.order_type in (OrderType.BEST_LIMIT, OrderType.BEST_OWN)
    if limit_price is not None and not takes_limit:
        raise InvalidOrder(f"A {order.order_type} order has no limit_price to change.")
    if stop_price is not None and not (waiting and order.order_type in TAKES_STOP):
        raise InvalidStopPrice("Only a stop or stop-limit that has not triggered takes a new stop_price.")
    if (trail_price is not None or trail_percent is not None) and not (
        waiting and order.order_type == OrderType.TRAILING_STOP
    ):
        raise InvalidTrail("Only a trailing stop that has not triggered takes a new trail.")
    new_limit = order.limit_price if limit_price is None else limit_price
    if limit_price is not None:
        validate_limit_price(stock, new_limit)
    new_stop = order.stop_price
    if stop_price is not None:
        check_stop(stock, order.side, stop_price)
        new_stop = stop_price
    new_trail_price, new_trail_percent = order.trail_price, order.trail_percent
    if trail_price is not None or trail_percent is not None:
        check_trail(stock, trail_price, trail_percent)
        new_trail_price, new_trail_percent = trail_price, trail_percent
        new_stop = trailing_stop_price(
            side=order.side, mark=order.high_water_mark, trail_price=trail_price, trail_percent=trail_percent
        )
    reserve_price = None
    if order.side == OrderSide.BUY:
        upper = order.order_type in HELD_AT_UPPER_LIMIT and not (
            waiting is False and order.order_type == OrderType.STOP_LIMIT
        )
        reserve_price = stock_price_limits(stock).upper if upper else new_limit
    return ChangedTerms(new_limit, new_stop, new_trail_price, new_trail_percent, reserve_price)
