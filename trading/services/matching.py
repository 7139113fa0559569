"""The matching engine: fill resting limit orders the market price has crossed, oldest first.

A pass reads, per tradable stock, only the ids of the orders that cross (the order_match_idx range
on stock/side/status/limit_price), so its cost grows with fills, not with resting orders. Each
order is then claimed and filled in its own short transaction through `order_execute`, the one
execution path. Any number of engine processes may run passes at once.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Q, QuerySet

from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError
from trading.models import OPEN_STATUSES, Order, OrderSide, OrderType, Stock, TimeInForce
from trading.services.execution import order_execute
from trading.services.orders import is_marketable
from trading.sessions import market_clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fill:
    order_id: int
    execution_id: int
    user_id: int
    stock_code: str
    side: str
    quantity: int
    price: Decimal
    limit_price: Decimal

    def __str__(self) -> str:
        return (
            f"order #{self.order_id}: {self.side} {self.quantity} {self.stock_code} "
            f"@ {self.price} (limit {self.limit_price})"
        )


@dataclass
class MatchResult:
    fills: list[Fill] = field(default_factory=list)
    failed_order_ids: list[int] = field(default_factory=list)
    skipped: int = 0  # claimed by another process, or no longer crossing when locked
    market_open: bool = True

    @property
    def filled(self) -> int:
        return len(self.fills)


def _live(trading_date: date) -> Q:
    # A DAY order from a finished trading day waits for expiry; it must not fill on a later day.
    return Q(time_in_force=TimeInForce.GTC) | Q(trading_date__gte=trading_date)


def crossing_orders(*, stock_id: int, price: Decimal, trading_date: date) -> QuerySet:
    """(id, created_at) of the stock's open limit orders that `price` crosses (buy: price ≤ limit;
    sell: price ≥ limit), oldest first.

    One index range per side, glued with UNION ALL: each branch pins stock, side and status and
    ranges over limit_price, exactly order_match_idx, so resting orders are never read. A single
    query with (buy AND ≥) OR (sell AND ≤) leads SQLite to the plain stock_id index instead, which
    walks every resting order of the stock.
    """
    open_limits = Order.objects.filter(
        _live(trading_date), stock_id=stock_id, status__in=OPEN_STATUSES, order_type=OrderType.LIMIT
    ).order_by()  # SQL allows no ORDER BY inside the branches of a UNION
    buys = open_limits.filter(side=OrderSide.BUY, limit_price__gte=price).values_list("id", "created_at")
    sells = open_limits.filter(side=OrderSide.SELL, limit_price__lte=price).values_list("id", "created_at")
    return buys.union(sells, all=True).order_by("created_at", "id")


def crossing_order_ids(*, stock_id: int, price: Decimal, trading_date: date) -> list[int]:
    rows = crossing_orders(stock_id=stock_id, price=price, trading_date=trading_date)
    return [order_id for order_id, _ in rows]


@atomic_with_retry
def order_fill_if_crossed(*, order_id: int, trading_date: date) -> Fill | None:
    """Claim one order and fill all of what remains at the stock's current price, if it still crosses.

    Returns None when another process holds the order (it decides that order's outcome), or when
    the order is no longer open, no longer crosses, or its stock stopped trading.
    """
    # Lock the order so two engines, or an engine and a cancel, settle it exactly once. skip_locked:
    # a busy order is someone else's to finish, and waiting would serialize the engines.
    # No select_related here: MySQL would lock the joined stock and user rows as well.
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(_live(trading_date), pk=order_id, status__in=OPEN_STATUSES, order_type=OrderType.LIMIT)
        .first()
    )
    if order is None:
        return None
    # A plain read: the simulator keeps moving the price; the fill takes the price as of now.
    stock = Stock.objects.get(pk=order.stock_id)
    if not stock.is_tradable or not is_marketable(order, stock.current_price):
        return None
    order.stock = stock
    execution = order_execute(order=order, quantity=order.remaining_quantity, price=stock.current_price)
    return Fill(
        order_id=order.pk,
        execution_id=execution.pk,
        user_id=order.user_id,
        stock_code=stock.code,
        side=order.side,
        quantity=execution.quantity,
        price=execution.price,
        limit_price=order.limit_price,
    )


def match_orders(*, stock_codes: list[str] | None = None, now: datetime | None = None) -> MatchResult:
    """One matching pass over every tradable stock (or the given codes).

    An order that cannot be settled is logged and left open for a later pass; one bad order must
    not stop the engine. With market hours enforced, nothing fills while the market is closed.
    """
    clock = market_clock(now)
    result = MatchResult(market_open=clock.is_open)
    if not clock.is_open:
        return result
    stocks = Stock.objects.tradable()
    if stock_codes is not None:
        stocks = stocks.filter(code__in=stock_codes)
    for stock_id, price in stocks.order_by("code").values_list("id", "current_price"):
        for order_id in crossing_order_ids(stock_id=stock_id, price=price, trading_date=clock.trading_date):
            try:
                fill = order_fill_if_crossed(order_id=order_id, trading_date=clock.trading_date)
            except (ApplicationError, DatabaseError, AssertionError):
                logger.exception("matching: order %s could not be settled; it stays open", order_id)
                result.failed_order_ids.append(order_id)
                continue
            if fill is None:
                result.skipped += 1
            else:
                result.fills.append(fill)
    return result
