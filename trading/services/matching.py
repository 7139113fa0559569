"""The matching engine: fill resting limit orders the market price has crossed, oldest first.

A pass reads the orders that cross, per stock and side one index range (order_match_idx on
stock/side/status/limit_price), many stocks per query, so its cost grows with fills, not with
resting orders. The crossing orders are then claimed and filled in batches: one transaction locks
a batch of orders (skipping those another engine holds), then their users' balances, then their
positions, always in that order, and settles every fill through the one execution path with one
write per table. Any number of engine processes may run passes at once.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils import timezone

from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError
from trading.models import LIMIT_TYPES, OPEN_STATUSES, Order, OrderSide, OrderType, Stock, TimeInForce
from trading.services.execution import FillRequest, fills_for_locked_orders, order_execute
from trading.services.oco import oco_siblings_lock
from trading.services.rules import fills_now
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


# Orders that rest at a limit: the limit types, and a stop-limit once its stop has triggered.
RESTING_WITH_LIMIT = Q(order_type__in=LIMIT_TYPES) | Q(order_type=OrderType.STOP_LIMIT, triggered_at__isnull=False)
# What a pass may fill: those, and market orders, which rest only while their stock is in a VI.
MATCHABLE = RESTING_WITH_LIMIT | Q(order_type=OrderType.MARKET)


def _live(trading_date: date) -> Q:
    # A DAY order from a finished trading day waits for expiry; it must not fill on a later day.
    return Q(time_in_force=TimeInForce.GTC) | Q(trading_date__gte=trading_date)


STOCKS_PER_QUERY = 100  # two UNION branches each; SQLite allows 500 in one compound SELECT
FILLS_PER_BATCH = 200


def _crossing_branches(*, stock_id: int, price: Decimal, trading_date: date) -> list[QuerySet]:
    open_limits = Order.objects.filter(
        _live(trading_date), RESTING_WITH_LIMIT, stock_id=stock_id, status__in=OPEN_STATUSES
    ).order_by()  # SQL allows no ORDER BY inside the branches of a UNION
    columns = ("id", "created_at")
    return [
        open_limits.filter(side=OrderSide.BUY, limit_price__gte=price).values_list(*columns),
        open_limits.filter(side=OrderSide.SELL, limit_price__lte=price).values_list(*columns),
    ]


def crossing_orders(*, stock_id: int, price: Decimal, trading_date: date) -> QuerySet:
    """(id, created_at) of the stock's open limit orders that `price` crosses (buy: price ≤ limit;
    sell: price ≥ limit), oldest first.

    One index range per side, glued with UNION ALL: each branch pins stock, side and status and
    ranges over limit_price, exactly order_match_idx, so resting orders are never read. A single
    query with (buy AND ≥) OR (sell AND ≤) leads SQLite to the plain stock_id index instead, which
    walks every resting order of the stock.
    """
    buys, sells = _crossing_branches(stock_id=stock_id, price=price, trading_date=trading_date)
    return buys.union(sells, all=True).order_by("created_at", "id")


def crossing_order_ids(*, stock_id: int, price: Decimal, trading_date: date) -> list[int]:
    rows = crossing_orders(stock_id=stock_id, price=price, trading_date=trading_date)
    return [order_id for order_id, _ in rows]


def crossing_order_ids_many(*, prices: list[tuple[int, Decimal]], trading_date: date) -> list[int]:
    """The crossing orders of many (stock_id, price) pairs, each stock's oldest first, in as few
    queries as the branch limit allows (the same index ranges as `crossing_orders`)."""
    found: list[int] = []
    for start in range(0, len(prices), STOCKS_PER_QUERY):
        chunk = prices[start : start + STOCKS_PER_QUERY]
        branches = [
            branch
            for stock_id, price in chunk
            for branch in _crossing_branches(stock_id=stock_id, price=price, trading_date=trading_date)
        ]
        union = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        found.extend(order_id for order_id, _ in union.order_by("created_at", "id"))
    return found


def resting_market_order_ids(*, stock_ids: set[int], trading_date: date) -> list[int]:
    """The open market orders of these stocks, oldest first: accepted during a VI, they fill at the
    first price after it, ahead of the limits (market orders have price priority)."""
    rows = (
        Order.objects.filter(_live(trading_date), order_type=OrderType.MARKET, status__in=OPEN_STATUSES)
        .order_by("created_at", "id")
        .values_list("id", "stock_id")
    )
    return [order_id for order_id, stock_id in rows if stock_id in stock_ids]


@atomic_with_retry
def order_fill_if_crossed(*, order_id: int, trading_date: date, now: datetime | None = None) -> Fill | None:
    """Claim one order and fill all of what remains at the stock's current price, if it still crosses.

    Returns None when another process holds the order (it decides that order's outcome), or when
    the order is no longer open, no longer crosses, or its stock stopped trading.
    """
    # Lock the order so two engines, or an engine and a cancel, settle it exactly once. skip_locked:
    # a busy order is someone else's to finish, and waiting would serialize the engines.
    # No select_related here: MySQL would lock the joined stock and user rows as well.
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(_live(trading_date), MATCHABLE, pk=order_id, status__in=OPEN_STATUSES)
        .first()
    )
    if order is None:
        return None
    # A plain read: the simulator keeps moving the price; the fill takes the price as of now.
    stock = Stock.objects.get(pk=order.stock_id)
    if not fills_now(order, stock, now):
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


def _fill_of(order: Order, execution) -> Fill:
    return Fill(
        order_id=order.pk,
        execution_id=execution.pk,
        user_id=order.user_id,
        stock_code=order.stock.code,
        side=order.side,
        quantity=execution.quantity,
        price=execution.price,
        limit_price=order.limit_price,
    )


@atomic_with_retry
def orders_fill_if_crossed(
    *, order_ids: list[int], trading_date: date, now: datetime | None = None
) -> tuple[list[Fill], int]:
    """Claim a batch of orders and fill what remains of each that still crosses, in one transaction.

    Returns the fills and how many orders were skipped (held by another engine, or no longer open,
    crossing or tradable). Locks: the orders (skipping busy ones), then their users' balances, then
    their positions, each set in a fixed order, so engines and single-order paths never deadlock.
    """
    # Lock the orders so two engines, or an engine and a cancel, settle each exactly once. skip_locked:
    # a busy order is someone else's to finish. No select_related: MySQL would lock the joined rows.
    orders = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(_live(trading_date), MATCHABLE, pk__in=order_ids, status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    # A plain read: the simulator keeps moving prices; the fills take the prices as of now.
    stocks = Stock.objects.in_bulk({order.stock_id for order in orders})
    crossing = []
    for order in orders:
        order.stock = stocks[order.stock_id]
        if fills_now(order, order.stock, now):
            crossing.append(order)
    skipped = len(order_ids) - len(crossing)
    if not crossing:
        return [], skipped
    siblings, busy = oco_siblings_lock(crossing, skip_locked=True)
    crossing = [order for order in crossing if order.pk not in busy]
    skipped = len(order_ids) - len(crossing)
    if not crossing:
        return [], skipped
    # As they were found: market orders (resting only through a VI) first, then oldest first.
    crossing.sort(key=lambda order: (order.order_type != OrderType.MARKET, order.created_at, order.pk))
    requests = [FillRequest(order, order.remaining_quantity, order.stock.current_price) for order in crossing]
    executions = fills_for_locked_orders(fills=requests, siblings=siblings)
    return [_fill_of(order, execution) for order, execution in zip(crossing, executions, strict=True)], skipped


def _fill_one_by_one(order_ids: list[int], trading_date: date, now: datetime, result: "MatchResult") -> None:
    """A batch that failed as a whole: settle its orders one transaction each, so one bad order
    stays open for a later pass instead of holding back the others."""
    for order_id in order_ids:
        try:
            fill = order_fill_if_crossed(order_id=order_id, trading_date=trading_date, now=now)
        except (ApplicationError, DatabaseError, AssertionError):
            logger.exception("matching: order %s could not be settled; it stays open", order_id)
            result.failed_order_ids.append(order_id)
            continue
        if fill is None:
            result.skipped += 1
        else:
            result.fills.append(fill)


def match_orders(
    *, stock_codes: list[str] | None = None, stock_ids: list[int] | None = None, now: datetime | None = None
) -> MatchResult:
    """One matching pass over every tradable stock (or the given codes or ids).

    An order that cannot be settled is logged and left open for a later pass; one bad order must
    not stop the engine. With market hours enforced, nothing fills while the market is closed.
    """
    now = now or timezone.now()
    clock = market_clock(now)
    result = MatchResult(market_open=clock.is_open)
    if not clock.is_open:
        return result
    # A stock in a VI matches nothing until the tick that ends it moves its price.
    stocks = Stock.objects.tradable().exclude(vi_until__gt=now)
    if stock_codes is not None:
        stocks = stocks.filter(code__in=stock_codes)
    if stock_ids is not None:
        stocks = stocks.filter(pk__in=stock_ids)
    prices = list(stocks.order_by("code").values_list("id", "current_price"))
    order_ids = resting_market_order_ids(
        stock_ids={stock_id for stock_id, _ in prices}, trading_date=clock.trading_date
    )
    order_ids += crossing_order_ids_many(prices=prices, trading_date=clock.trading_date)
    for start in range(0, len(order_ids), FILLS_PER_BATCH):
        batch = order_ids[start : start + FILLS_PER_BATCH]
        try:
            fills, skipped = orders_fill_if_crossed(order_ids=batch, trading_date=clock.trading_date, now=now)
        except (ApplicationError, DatabaseError, AssertionError):
            logger.warning("matching: a batch of %d orders failed; settling them one by one", len(batch))
            _fill_one_by_one(batch, clock.trading_date, now, result)
            continue
        result.fills.extend(fills)
        result.skipped += skipped
    return result
