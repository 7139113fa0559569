"""Placing a stop-loss / take-profit pair (see oco.py for how the pair lives and ends)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import User
from portfolio.services import balance_lock, shares_reserve
from stocking.core.db import atomic_with_retry
from trading.models import Order, OrderEventType, OrderSide, TimeInForce
from trading.services.events import EventBuffer
from trading.services.execution import FillRequest, fills_execute
from trading.services.oco import oco_orders
from trading.services.order_types import InvalidTimeInForce, check_stop
from trading.services.rules import (
    InvalidOrder,
    ensure_market_open,
    fills_now,
    stock_get_tradable,
    validate_limit_price,
    validate_quantity,
)
from trading.sessions import market_clock


@dataclass(frozen=True)
class PlacedPair:
    oco_group: uuid.UUID
    orders: list[Order]  # the stop-loss, then the take-profit


@atomic_with_retry
def oco_place(
    *,
    user: User,
    stock_code: str,
    quantity: int,
    stop_price: Decimal,
    limit_price: Decimal,
    time_in_force: str = TimeInForce.DAY,
) -> PlacedPair:
    """Hold `quantity` shares once for two sells: a stop at `stop_price` below the price and a limit
    at `limit_price` above the stop. A take-profit the price already meets fills at once and ends
    the stop in the same transaction."""
    validate_quantity(quantity)
    stock = stock_get_tradable(code=stock_code)
    if time_in_force not in (TimeInForce.DAY, TimeInForce.GTC):
        raise InvalidTimeInForce("A stop-loss / take-profit pair is DAY or GTC.")
    check_stop(stock, OrderSide.SELL, stop_price)
    validate_limit_price(stock, limit_price)
    if limit_price <= stop_price:
        raise InvalidOrder("The take-profit limit must be above the stop-loss price.")
    ensure_market_open()

    # The balance lock first (every order path of this user serializes on it), then the position.
    balance = balance_lock(user=user)
    position = shares_reserve(user=user, stock=stock, quantity=quantity, save=False)
    stop, take = oco_orders(
        user=user,
        stock=stock,
        quantity=quantity,
        stop_price=stop_price,
        limit_price=limit_price,
        time_in_force=time_in_force,
    )
    for order in (stop, take):
        order.trading_date = market_clock().trading_date
        order.fills = []
        order.save()
    events = EventBuffer()
    events.add(balance=balance, order=stop, event=OrderEventType.NEW)
    events.add(balance=balance, order=take, event=OrderEventType.NEW)
    if fills_now(take, stock):
        fills_execute(
            fills=[FillRequest(take, quantity, stock.current_price)],
            balances={user.pk: balance},
            positions={(user.pk, stock.pk): position},
            events=events,
            siblings={take.pk: [stop]},
        )
    else:
        position.save(update_fields=["reserved_quantity", "updated_at"])
        events.flush()
        balance.save(update_fields=["event_seq", "updated_at"])
    return PlacedPair(oco_group=stop.oco_group, orders=[stop, take])
