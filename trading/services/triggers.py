"""Stops wait for the market: every tick, after prices move and before matching, trailing stops
follow their mark and the stops the new prices reach trigger.

- A trailing stop's mark only moves in its favour (highest price since acceptance for a sell,
  lowest for a buy), guarded in the UPDATE itself so several engines keep it monotonic; its stop
  moves with it.
- A sell stop triggers when the price is at or below its stop, a buy stop at or above. A triggered
  stop or trailing stop fills at once at the market price (a gap past the stop fills at the gap
  price, as in real markets); a triggered stop-limit rests as a limit at its limit price, which the
  matching pass right after fills if it crosses.
Each batch of triggers is one transaction: orders locked (skipping those another engine holds),
then balances, then positions; the `triggered` event precedes the fill's.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from portfolio.services import balances_lock
from stocking.core.db import atomic_with_retry, rows_update
from stocking.core.exceptions import ApplicationError
from trading.models import OPEN_STATUSES, STOP_TYPES, Order, OrderEventType, OrderSide, OrderType, Stock, TimeInForce
from trading.services.events import EventBuffer
from trading.services.execution import FillRequest, fills_for_locked_orders
from trading.services.oco import oco_siblings_lock
from trading.services.order_types import trailing_stop_price
from trading.sessions import market_clock

logger = logging.getLogger(__name__)
BATCH = 200


@dataclass
class TriggerResult:
    marks_moved: int = 0
    triggered_order_ids: list[int] = field(default_factory=list)
    filled: int = 0
    failed_order_ids: list[int] = field(default_factory=list)


def _waiting(trading_date: date) -> Q:
    # A DAY stop of a finished trading day waits for expiry, not for a trigger.
    live = Q(time_in_force=TimeInForce.GTC) | Q(trading_date__gte=trading_date)
    return live & Q(status__in=OPEN_STATUSES, order_type__in=STOP_TYPES, triggered_at__isnull=True)


def reached(order: Order, price: Decimal) -> bool:
    if order.side == OrderSide.SELL:
        return price <= order.stop_price
    return price >= order.stop_price


def trailing_marks_follow(*, prices: dict[int, Decimal], trading_date: date) -> int:
    """Move every waiting trailing stop's mark (and stop) toward the new prices; return how many moved."""
    moved = 0
    rows = Order.objects.filter(_waiting(trading_date), order_type=OrderType.TRAILING_STOP, stock_id__in=prices)
    for order in rows.only("id", "side", "stock_id", "high_water_mark", "trail_price", "trail_percent"):
        price = prices[order.stock_id]
        if order.side == OrderSide.SELL and price > order.high_water_mark:
            favour = Q(high_water_mark__lt=price)
        elif order.side == OrderSide.BUY and price < order.high_water_mark:
            favour = Q(high_water_mark__gt=price)
        else:
            continue
        stop = trailing_stop_price(
            side=order.side, mark=price, trail_price=order.trail_price, trail_percent=order.trail_percent
        )
        # The guard keeps the mark monotonic when several engines run this at once.
        moved += Order.objects.filter(favour, pk=order.pk, triggered_at__isnull=True).update(
            high_water_mark=price, stop_price=stop, updated_at=timezone.now()
        )
    return moved


def _candidates(*, prices: dict[int, Decimal], trading_date: date) -> list[int]:
    reach = Q()
    for stock_id, price in prices.items():
        reach |= Q(stock_id=stock_id, side=OrderSide.SELL, stop_price__gte=price)
        reach |= Q(stock_id=stock_id, side=OrderSide.BUY, stop_price__lte=price)
    if not prices:
        return []
    rows = Order.objects.filter(_waiting(trading_date)).filter(reach).order_by("created_at", "id")
    return list(rows.values_list("id", flat=True))


@atomic_with_retry
def stops_trigger_batch(*, order_ids: list[int], trading_date: date, now: datetime) -> tuple[list[int], int]:
    """Trigger the stops of `order_ids` the current prices reach; fill the market ones at once.
    Returns the triggered ids and how many filled."""
    # Lock the stops so two engines, or an engine and a cancel or a modify, settle each once.
    orders = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(_waiting(trading_date), pk__in=order_ids)
        .order_by("pk")
    )
    stocks = Stock.objects.in_bulk({order.stock_id for order in orders})
    due = []
    for order in orders:
        order.stock = stocks[order.stock_id]
        # A stock in a VI triggers nothing: its stops meet the first price after it.
        if order.stock.is_tradable and not order.stock.vi_active(now) and reached(order, order.stock.current_price):
            due.append(order)
    siblings, busy = oco_siblings_lock(due, skip_locked=True)
    due = [order for order in due if order.pk not in busy]
    if not due:
        return [], 0
    due.sort(key=lambda order: (order.created_at, order.pk))
    balances = balances_lock(user_ids={order.user_id for order in due})
    events = EventBuffer()
    for order in due:
        order.triggered_at = order.updated_at = now
        order.fills = None
        events.add(balance=balances[order.user_id], order=order, event=OrderEventType.TRIGGERED)
    rows_update(model=Order, fields=["triggered_at", "updated_at"], rows={o.pk: [now, now] for o in due})
    at_market = [order for order in due if order.order_type != OrderType.STOP_LIMIT]
    requests = [FillRequest(order, order.remaining_quantity, order.stock.current_price) for order in at_market]
    if requests:
        # Writes their balances; a filled stop-loss ends its take-profit partner.
        fills_for_locked_orders(fills=requests, balances=balances, events=events, siblings=siblings)
    else:
        events.flush()
    filled_users = {request.order.user_id for request in requests}
    for user_id, balance in balances.items():
        if user_id not in filled_users:  # only a stop-limit triggered: its seq counter still moved
            balance.save(update_fields=["event_seq", "updated_at"])
    return [order.pk for order in due], len(requests)


def stops_trigger(*, stock_ids: list[int] | None = None, now: datetime | None = None) -> TriggerResult:
    """One trigger pass over every tradable stock (or the given ones): marks first, then triggers.
    A batch that fails is retried order by order, so one bad order stays waiting for a later pass."""
    clock = market_clock(now)
    result = TriggerResult()
    if not clock.is_open:
        return result
    stocks = Stock.objects.tradable()
    if stock_ids is not None:
        stocks = stocks.filter(pk__in=stock_ids)
    rows = stocks.values_list("id", "current_price", "vi_until")
    prices = {stock_id: price for stock_id, price, _ in rows}
    # Marks follow every trade, the price a VI stopped at too; triggers wait for the VI's end.
    result.marks_moved = trailing_marks_follow(prices=prices, trading_date=clock.trading_date)
    now = now or timezone.now()
    open_prices = {stock_id: price for stock_id, price, vi_until in rows if vi_until is None or vi_until <= now}
    ids = _candidates(prices=open_prices, trading_date=clock.trading_date)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        try:
            triggered, filled = stops_trigger_batch(order_ids=batch, trading_date=clock.trading_date, now=now)
        except (ApplicationError, DatabaseError, AssertionError):
            logger.warning("stops: a batch of %d failed; triggering them one by one", len(batch))
            triggered, filled = [], 0
            for order_id in batch:
                try:
                    one, count = stops_trigger_batch(order_ids=[order_id], trading_date=clock.trading_date, now=now)
                except (ApplicationError, DatabaseError, AssertionError):
                    logger.exception("stops: order %s could not be triggered; it keeps waiting", order_id)
                    result.failed_order_ids.append(order_id)
                    continue
                triggered += one
                filled += count
        result.triggered_order_ids += triggered
        result.filled += filled
    return result
