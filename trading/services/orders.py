"""Placing, cancelling and modifying orders: validate under KRX rules, reserve, then fill or rest."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from portfolio.models import Balance
from portfolio.services import balance_lock, cash_release, cash_reserve, position_lock, shares_release, shares_reserve
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import (
    NotFound,
    OrderNotCancellable,
    OrderNotModifiable,
    StockNotTradable,
)
from trading import krx
from trading.models import (
    IMMEDIATE_TIME_IN_FORCE,
    CancelReason,
    Order,
    OrderEventType,
    OrderSide,
    OrderStatus,
    OrderType,
    Stock,
    TimeInForce,
)
from trading.services.events import EventBuffer
from trading.services.execution import FillRequest, fills_execute, order_execute
from trading.services.oco import oco_siblings_close, oco_siblings_lock
from trading.services.order_types import modify_terms, order_terms
from trading.services.rules import (  # noqa: F401  (re-exported: the order rules' old home)
    InvalidOrder,
    UnknownStock,
    ensure_market_open,
    fills_now,
    is_marketable,
    stock_get_tradable,
    stock_price_limits,
    validate_limit_price,
    validate_quantity,
)
from trading.sessions import market_clock


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool


def fill_if_marketable(order: Order) -> None:
    """Fill a just-placed or just-modified order at once when the current price allows it (and no
    volatility interruption holds the stock's matching)."""
    stock = Stock.objects.only("current_price", "vi_until", "is_listed", "is_halted").get(pk=order.stock_id)
    if fills_now(order, stock):
        order_execute(order=order, quantity=order.remaining_quantity, price=stock.current_price)


@atomic_with_retry
def order_place(
    *,
    user: User,
    stock_code: str,
    side: str,
    order_type: str,
    quantity: int,
    limit_price: Decimal | None = None,
    time_in_force: str = TimeInForce.DAY,
    client_order_id: str | None = None,
    stop_price: Decimal | None = None,
    trail_price: Decimal | None = None,
    trail_percent: Decimal | None = None,
) -> PlacedOrder:
    """Validate, reserve cash (buy) or shares (sell), save, and fill at once when marketable.

    A repeated `client_order_id` returns the user's existing order unchanged (`created=False`).
    An order that fills at once is settled in memory and written once, already filled: every check
    and every lock of a resting order, without its intermediate writes.
    """
    client_order_id = client_order_id or None
    validate_quantity(quantity)
    stock = stock_get_tradable(code=stock_code)
    terms = order_terms(
        stock=stock,
        side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        limit_price=limit_price,
        stop_price=stop_price,
        trail_price=trail_price,
        trail_percent=trail_percent,
    )
    ensure_market_open()

    # The balance lock serializes every order of this user: reservations cannot overdraw and a
    # racing duplicate client_order_id finds the first one committed when it gets the lock.
    balance = balance_lock(user=user)
    if client_order_id:
        existing = Order.objects.filter(user=user, client_order_id=client_order_id).select_related("stock").first()
        if existing:
            return PlacedOrder(existing, created=False)

    order = Order(
        user=user,
        stock=stock,
        side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        quantity=quantity,
        limit_price=terms.limit_price,
        stop_price=terms.stop_price,
        trail_price=terms.trail_price,
        trail_percent=terms.trail_percent,
        high_water_mark=terms.high_water_mark,
        client_order_id=client_order_id,
        trading_date=market_clock().trading_date,
    )
    # The price read at the start of this transaction is the market price the order meets. In a VI
    # nothing matches: the order rests (a market order too, for the price that ends the VI).
    fills_at_once = fills_now(order, stock)
    rests = not fills_at_once and time_in_force not in IMMEDIATE_TIME_IN_FORCE  # only a resting hold is written
    position = None
    if side == OrderSide.BUY:
        # A buy that may fill above a limit is held at the day's upper limit, as Korean brokers do;
        # the rest is released on fill.
        order.reserve_price = terms.reserve_price
        order.reserved_cash = krx.buy_reservation(quantity, order.reserve_price)
        cash_reserve(balance=balance, amount=order.reserved_cash, save=False)
        if fills_at_once:
            position = position_lock(user=user, stock=stock)
    else:
        position = shares_reserve(user=user, stock=stock, quantity=quantity, save=rests)
        order.reserved_quantity = quantity
    if not fills_at_once and time_in_force in IMMEDIATE_TIME_IN_FORCE:
        # Nothing can fill now: the order is accepted and closed at once; its hold never lands.
        reason = CancelReason.VI_ACTIVE if stock.vi_active() else IMMEDIATE_TIME_IN_FORCE[time_in_force]
        return PlacedOrder(_close_unfilled(order, balance, position, reason=reason), created=True)
    events = EventBuffer()
    order.fills = []
    if not fills_at_once:
        order.save()
        events.add(balance=balance, order=order, event=OrderEventType.NEW)
        events.flush()
        balance.save(update_fields=["reserved_cash", "event_seq", "updated_at"])
        return PlacedOrder(order, created=True)
    events.add(balance=balance, order=order, event=OrderEventType.NEW)  # as accepted, before its fill
    positions = {(user.pk, stock.pk): position} if position else {}
    fills_execute(
        fills=[FillRequest(order, quantity, stock.current_price)],
        balances={user.pk: balance},
        positions=positions,
        events=events,
    )
    return PlacedOrder(order, created=True)


def _close_unfilled(order: Order, balance: Balance, position, *, reason: str) -> Order:
    """An IOC/FOK order that cannot fill at acceptance (or meets a VI): cancelled with its reason, its
    hold released in memory before anything was written (the checks that reserved it still ran)."""
    if order.side == OrderSide.BUY:
        cash_release(balance=balance, amount=order.reserved_cash, save=False)
        order.reserved_cash = Decimal("0")
    else:
        position.reserved_quantity -= order.reserved_quantity
        order.reserved_quantity = 0
    order.fills = []
    events = EventBuffer()
    events.add(balance=balance, order=order, event=OrderEventType.NEW)
    order.status = OrderStatus.CANCELLED
    order.cancel_reason = reason
    order.closed_at = timezone.now()
    order.save()
    events.add(balance=balance, order=order, event=OrderEventType.CANCELLED)
    events.flush()
    balance.save(update_fields=["event_seq", "updated_at"])
    return order


def _order_lock(*, user: User | None, order_id: int) -> Order:
    # No select_related: MySQL would lock the joined stock and user rows too.
    queryset = Order.objects.select_for_update()
    if user is not None:
        queryset = queryset.filter(user=user)
    order = queryset.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def _release_reservation(order: Order, balance: Balance, *, save: bool = True) -> None:
    """Give back what an open order still holds. The caller holds the order and balance locks.
    A buy's release stays in memory with `save=False` (the caller re-reserves and saves once)."""
    if order.side == OrderSide.BUY:
        cash_release(balance=balance, amount=order.reserved_cash, save=save)
        order.reserved_cash = Decimal("0")
    else:
        shares_release(user=order.user_id, stock=order.stock_id, quantity=order.reserved_quantity)
        order.reserved_quantity = 0


def order_close(
    *, order: Order, status: str, cancel_reason: str, reason: str = "", balance: Balance | None = None
) -> Order:
    """Cancel or expire a locked open order, releasing its reservation, with its order event.

    Pass the user's locked `balance` when the caller holds it already (the reset): one instance
    per transaction keeps the event seq counter from being overwritten by a stale copy.
    """
    # The other order of a stop-loss / take-profit pair ends with this one; their one shared hold is
    # released once, by this order. (Its lock comes before the balance's, as every order lock does.)
    siblings = oco_siblings_lock([order], skip_locked=False)[0].get(order.pk, [])
    balance = balance or balance_lock(user=order.user_id)
    _release_reservation(order, balance, save=False)
    order.status = status
    order.cancel_reason = cancel_reason
    order.reject_reason = reason[:200]
    order.closed_at = timezone.now()
    order.save(
        update_fields=[
            "status",
            "cancel_reason",
            "reject_reason",
            "closed_at",
            "reserved_cash",
            "reserved_quantity",
            "updated_at",
        ]
    )
    events = EventBuffer()
    kind = OrderEventType.EXPIRED if status == OrderStatus.EXPIRED else OrderEventType.CANCELLED
    events.add(balance=balance, order=order, event=kind)
    oco_siblings_close(siblings=siblings, status=status, balance=balance, events=events)
    order.closed_siblings = siblings
    events.flush()
    balance.save(update_fields=["reserved_cash", "event_seq", "updated_at"])
    return order


@atomic_with_retry
def order_cancel(*, user: User | None, order_id: int, reason: str = "") -> Order:
    """Cancel an open order. `user=None` is for staff, who may cancel anyone's order."""
    # Lock the order so a cancel racing the matching engine ends with exactly one outcome.
    order = _order_lock(user=user, order_id=order_id)
    if not order.is_open:
        raise OrderNotCancellable(f"Order {order.pk} is {order.status} and can no longer be cancelled.")
    cancel_reason = CancelReason.USER if user is not None else CancelReason.STAFF
    return order_close(order=order, status=OrderStatus.CANCELLED, cancel_reason=cancel_reason, reason=reason)


@atomic_with_retry
def order_modify(
    *,
    user: User,
    order_id: int,
    quantity: int | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    trail_price: Decimal | None = None,
    trail_percent: Decimal | None = None,
) -> Order:
    """Change an open order's quantity and the prices its type allows (a limit's limit, an untriggered
    stop's stop or trail), re-reserving; fills at once if it is now marketable."""
    order = _order_lock(user=user, order_id=order_id)
    if not order.is_open or order.order_type == OrderType.MARKET:
        raise OrderNotModifiable(
            f"Order {order.pk} is {order.status} {order.order_type}; only open limit and stop orders can change."
        )
    if order.oco_group is not None:
        raise OrderNotModifiable("An order of a stop-loss / take-profit pair cannot change; cancel the pair instead.")
    if order.order_type in (OrderType.STOP, OrderType.TRAILING_STOP) and order.triggered_at is not None:
        raise OrderNotModifiable(f"Order {order.pk} has triggered and is filling at the market.")
    if order.time_in_force == TimeInForce.DAY and order.trading_date < market_clock().trading_date:
        # Its trading day is over; it only waits for the engine to expire it.
        raise OrderNotModifiable(f"Order {order.pk} was a DAY order for {order.trading_date}, which has ended.")
    changes = (quantity, limit_price, stop_price, trail_price, trail_percent)
    if all(value is None for value in changes):
        raise InvalidOrder("Give a new quantity or a price this order type takes.")
    new_quantity = order.quantity if quantity is None else quantity
    validate_quantity(new_quantity)
    if new_quantity <= order.filled_quantity:
        raise InvalidOrder(f"The quantity must stay above the {order.filled_quantity} shares already filled.")
    if order.stock.is_halted or not order.stock.is_listed:
        raise StockNotTradable()
    terms = modify_terms(
        order=order,
        stock=order.stock,
        limit_price=limit_price,
        stop_price=stop_price,
        trail_price=trail_price,
        trail_percent=trail_percent,
    )
    ensure_market_open()

    balance = balance_lock(user=order.user_id)
    _release_reservation(order, balance, save=False)  # re-reserved just below: one balance write
    remaining = new_quantity - order.filled_quantity
    if order.side == OrderSide.BUY:
        order.reserve_price = terms.reserve_price
        order.reserved_cash = krx.buy_reservation(remaining, terms.reserve_price)
        cash_reserve(balance=balance, amount=order.reserved_cash, save=False)
    else:
        shares_reserve(user=order.user_id, stock=order.stock, quantity=remaining)
        order.reserved_quantity = remaining
    order.quantity = new_quantity
    order.limit_price, order.stop_price = terms.limit_price, terms.stop_price
    order.trail_price, order.trail_percent = terms.trail_price, terms.trail_percent
    order.save(
        update_fields=[
            "quantity",
            "limit_price",
            "stop_price",
            "trail_price",
            "trail_percent",
            "reserve_price",
            "reserved_cash",
            "reserved_quantity",
            "updated_at",
        ]
    )
    events = EventBuffer()
    events.add(balance=balance, order=order, event=OrderEventType.REPLACED)
    events.flush()
    balance.save(update_fields=["reserved_cash", "event_seq", "updated_at"])
    fill_if_marketable(order)
    return order
