"""The checks every order meets, whatever path placed or changed it: the stock, the session,
quantity, the tick grid and the daily price limits; and when an order meets the market."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings

from stocking.core.exceptions import (
    ApplicationError,
    InvalidTickSize,
    MarketClosed,
    PriceOutOfLimit,
    StockNotTradable,
)
from trading import krx
from trading.models import STOP_TYPES, Order, OrderSide, OrderType, Stock
from trading.sessions import market_clock


class InvalidOrder(ApplicationError):
    code = "invalid_order"
    default_message = "The order is not valid."


class UnknownStock(ApplicationError):
    code = "unknown_stock"
    status_code = 404
    default_message = "No stock with that code."


def stock_get_tradable(*, code: str) -> Stock:
    stock = Stock.objects.filter(code=code).first()
    if stock is None:
        raise UnknownStock(f"No stock with code {code!r}.")
    if not stock.is_listed or stock.is_halted:
        raise StockNotTradable(f"{stock.name} ({stock.code}) is halted or delisted.")
    if stock.current_price is None:
        raise StockNotTradable(f"{stock.name} ({stock.code}) has no price yet.")
    return stock


def stock_price_limits(stock: Stock) -> krx.PriceLimits:
    return krx.price_limits(stock.previous_close or stock.current_price)


def ensure_market_open() -> None:
    clock = market_clock()
    if not clock.is_open:
        raise MarketClosed(
            f"The market is closed; it opens at {clock.next_open:%Y-%m-%d %H:%M} KST.",
            extra={"next_open": clock.next_open.isoformat() if clock.next_open else None},
        )


def validate_quantity(quantity: int) -> None:
    if not 1 <= quantity <= settings.MAX_ORDER_QUANTITY:
        raise InvalidOrder(f"Quantity must be a whole number from 1 to {settings.MAX_ORDER_QUANTITY:,}.")


def validate_limit_price(stock: Stock, price: Decimal) -> None:
    if not krx.is_on_tick(price):
        tick = krx.tick_size(price) if price > 0 else Decimal("1")
        raise InvalidTickSize(
            f"{price} is not a multiple of the {tick} won tick at this price level.",
            extra={"tick_size": str(tick)},
        )
    limits = stock_price_limits(stock)
    if not limits.contains(price):
        raise PriceOutOfLimit(
            f"The price must be between {limits.lower} and {limits.upper} won today.",
            extra={"lower_limit": str(limits.lower), "upper_limit": str(limits.upper)},
        )


def fills_now(order: Order, stock: Stock, now: datetime | None = None) -> bool:
    """Whether `order` fills against `stock` now: the stock trades, no volatility interruption holds
    its matching, and its price meets the order."""
    return stock.is_tradable and not stock.vi_active(now) and is_marketable(order, stock.current_price)


def is_marketable(order: Order, market_price: Decimal) -> bool:
    """Whether `order` fills at `market_price` now: a market order (or a triggered stop) always; a
    limit-like order when the price meets its limit; a stop that has not triggered never."""
    if order.order_type in STOP_TYPES and order.triggered_at is None:
        return False
    if order.order_type in (OrderType.MARKET, OrderType.STOP, OrderType.TRAILING_STOP):
        return True
    if order.side == OrderSide.BUY:
        return market_price <= order.limit_price
    return market_price >= order.limit_price
