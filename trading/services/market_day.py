"""The end of a trading day: expire DAY orders, write the daily bar, roll each stock to the new day.

The trading day ends at the close when market hours are enforced and at Seoul midnight in the
always-open simulated market (trading.sessions decides). Every step is idempotent and takes its
own short transaction, so any number of processes may run the roll at the same time.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db import DatabaseError, IntegrityError
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from portfolio.services.snapshots import snapshots_write
from stocking.core.clock import SEOUL
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError
from trading.models import OPEN_STATUSES, CancelReason, Order, OrderStatus, OrderType, PriceBar, Stock, TimeInForce
from trading.services.execution import FillRequest, fills_for_locked_orders
from trading.services.orders import order_close
from trading.services.overview import market_overview_roll
from trading.sessions import market_clock

logger = logging.getLogger(__name__)


def daily_bar_start(day: date) -> datetime:
    """Where a trading day's 1d bar starts: 00:00 Asia/Seoul of that day (the one convention for
    the roll, the CSV importer and anyone else writing daily bars)."""
    return datetime.combine(day, time(0), tzinfo=SEOUL)


@dataclass
class DayRollResult:
    trading_date: date
    expired_order_ids: list[int] = field(default_factory=list)
    rolled_stock_ids: list[int] = field(default_factory=list)
    failed_order_ids: list[int] = field(default_factory=list)
    closed_conditional_ids: list[int] = field(default_factory=list)
    snapshots: int = 0

    @property
    def expired(self) -> int:
        return len(self.expired_order_ids)

    @property
    def rolled(self) -> int:
        return len(self.rolled_stock_ids)


@dataclass(frozen=True)
class DayRollPlan:
    trading_date: date
    orders: list[Order]
    stocks: list[Stock]


def closable_conditional_orders(*, trading_date: date) -> QuerySet[Order]:
    """Open conditional limits of a trading day before `trading_date`: their close has come."""
    return Order.objects.filter(
        status__in=OPEN_STATUSES, order_type=OrderType.CONDITIONAL_LIMIT, trading_date__lt=trading_date
    ).order_by("created_at", "id")


@atomic_with_retry
def conditional_order_close(*, order_id: int, trading_date: date) -> bool:
    """Fill what is left of a conditional limit at its stock's closing price (조건부지정가: a limit in
    the session, a market order at the close). False when it is no longer open or cannot trade."""
    # Lock the order so the close racing a fill or a cancel settles it exactly once.
    order = (
        Order.objects.select_for_update()
        .filter(pk=order_id, status__in=OPEN_STATUSES, order_type=OrderType.CONDITIONAL_LIMIT)
        .filter(trading_date__lt=trading_date)
        .first()
    )
    if order is None:
        return False
    order.stock = Stock.objects.get(pk=order.stock_id)
    if not order.stock.is_tradable:
        return False  # halted at the close: it expires with the DAY orders
    fills_for_locked_orders(fills=[FillRequest(order, order.remaining_quantity, order.stock.current_price)])
    return True


def expirable_orders(*, trading_date: date) -> QuerySet[Order]:
    """Open DAY orders of a trading day before `trading_date` (the order_expiry_idx range)."""
    return Order.objects.filter(
        status__in=OPEN_STATUSES, time_in_force=TimeInForce.DAY, trading_date__lt=trading_date
    ).order_by("id")


def stocks_to_roll(*, trading_date: date) -> QuerySet[Stock]:
    """Stocks whose day_* fields still describe an earlier day (or no day yet)."""
    return Stock.objects.filter(Q(trading_date__lt=trading_date) | Q(trading_date__isnull=True)).order_by("code")


@atomic_with_retry
def order_expire(*, order_id: int, trading_date: date) -> bool:
    """Expire one DAY order of an earlier trading day, releasing its cash or share reservation.

    Returns False when the order was filled, cancelled or expired by someone else first.
    """
    # Lock the order so an expiry racing a fill or a cancel ends with exactly one outcome; the
    # lock order (order → balance → position) is the one every money path uses.
    order = (
        Order.objects.select_for_update()
        .filter(pk=order_id, status__in=OPEN_STATUSES, time_in_force=TimeInForce.DAY, trading_date__lt=trading_date)
        .first()
    )
    if order is None:
        return False
    reason = f"DAY order expired at the end of {order.trading_date}."
    order_close(order=order, status=OrderStatus.EXPIRED, cancel_reason=CancelReason.EXPIRED, reason=reason)
    return True


def _finished_day_bar(stock: Stock) -> dict[str, Decimal | int]:
    price = stock.current_price
    day_open = stock.day_open or price
    return {
        "open": day_open,
        "high": max(stock.day_high or price, day_open, price),
        "low": min(stock.day_low or price, day_open, price),
        "close": price,
        "volume": stock.volume,
    }


@atomic_with_retry
def stock_roll(*, stock_id: int, trading_date: date) -> bool:
    """Close the stock's finished day into a 1d bar and start `trading_date` from its last price.

    Returns False when the stock is already on `trading_date` (another process rolled it).
    """
    # Lock the stock so the simulator cannot tick it between reading the finished day and resetting
    # it. Only the stock row: no order is locked in this transaction, so no lock-order cycle.
    stock = Stock.objects.select_for_update().get(pk=stock_id)
    finished_day = stock.trading_date
    if finished_day is not None and finished_day >= trading_date:
        return False
    price = stock.current_price
    # A new day starts without a VI, its reference back on the (new) previous close.
    changes: dict = {"trading_date": trading_date, "vi_until": None, "vi_reference": None, "updated_at": timezone.now()}
    if price is not None and finished_day is None:
        # First day the engine sees this stock: keep what the importer or seeder set, fill the gaps.
        changes.update(
            previous_close=stock.previous_close or price,
            day_open=stock.day_open or price,
            day_high=stock.day_high or price,
            day_low=stock.day_low or price,
        )
    elif price is not None:
        PriceBar.objects.update_or_create(
            stock_id=stock.pk,
            interval=PriceBar.Interval.DAY,
            start=daily_bar_start(finished_day),
            defaults=_finished_day_bar(stock),
        )
        changes.update(previous_close=price, day_open=price, day_high=price, day_low=price, volume=0, trading_value=0)
    # Compare-and-swap as well as the lock: on SQLite the lock is a no-op and the row count is the proof.
    return Stock.objects.filter(pk=stock_id, trading_date=finished_day).update(**changes) == 1


def market_day_plan(*, now: datetime | None = None) -> DayRollPlan:
    """What a roll now would do, without doing it (for --dry-run)."""
    trading_date = market_clock(now).trading_date
    orders = list(expirable_orders(trading_date=trading_date).select_related("stock", "user"))
    return DayRollPlan(trading_date=trading_date, orders=orders, stocks=list(stocks_to_roll(trading_date=trading_date)))


def market_day_roll(*, now: datetime | None = None) -> DayRollResult:
    """Expire the DAY orders of finished trading days and roll every stock to the current trading day.

    Cheap when there is nothing to do (two indexed look-ups), so the engine calls it every tick.
    GTC orders never expire.
    """
    trading_date = market_clock(now).trading_date
    result = DayRollResult(trading_date=trading_date)
    # The close comes first: conditional orders fill at the closing price before DAY orders expire
    # and before the stocks' previous close moves.
    for order_id in closable_conditional_orders(trading_date=trading_date).values_list("id", flat=True):
        try:
            if conditional_order_close(order_id=order_id, trading_date=trading_date):
                result.closed_conditional_ids.append(order_id)
        except (ApplicationError, IntegrityError, AssertionError):
            logger.exception("day roll: conditional order %s could not fill at the close; it expires", order_id)
    for order_id in expirable_orders(trading_date=trading_date).values_list("id", flat=True):
        try:
            if order_expire(order_id=order_id, trading_date=trading_date):
                result.expired_order_ids.append(order_id)
        except (ApplicationError, IntegrityError, AssertionError):
            logger.exception("day roll: order %s could not be expired; it stays open", order_id)
            result.failed_order_ids.append(order_id)
    finished_day = stocks_to_roll(trading_date=trading_date).aggregate(day=Max("trading_date"))["day"]
    for stock_id in stocks_to_roll(trading_date=trading_date).values_list("id", flat=True):
        if stock_roll(stock_id=stock_id, trading_date=trading_date):
            result.rolled_stock_ids.append(stock_id)
    market_overview_roll(trading_date=trading_date, stocks_rolled=bool(result.rolled_stock_ids))
    if result.rolled_stock_ids and finished_day is not None:
        # The finished day's closing value of every account: one point of each equity curve.
        try:
            result.snapshots = snapshots_write(on=finished_day)
        except DatabaseError:
            logger.exception("day roll: snapshots for %s could not be written", finished_day)
    return result
