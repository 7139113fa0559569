"""The one execution path: market orders, marketable limits and the matching engine all fill here.

A fill is settled in memory first (the hold released, the position and the cash moved, the order
advanced) and then written with one statement per table, so one fill and a batch of two hundred
cost the same number of round trips. The caller holds the locks, always in the order
order → balance → position; nothing here takes a lock of its own except through `order_execute`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from portfolio.models import Balance, LedgerKind, Position
from portfolio.services import (
    balance_lock,
    balances_lock,
    cash_release,
    ledger_entry,
    ledger_flush,
    position_add,
    position_lock,
    position_remove,
    positions_lock,
    positions_save,
)
from stocking.core.db import require_transaction, rows_update
from trading import krx
from trading.models import Execution, Order, OrderEventType, OrderSide, OrderStatus
from trading.services.events import EventBuffer
from trading.services.oco import oco_siblings_close, oco_siblings_lock

ORDER_FILL_FIELDS = [
    "filled_quantity",
    "average_fill_price",
    "fee",
    "tax",
    "status",
    "closed_at",
    "reserved_cash",
    "reserved_quantity",
    "updated_at",
]


@dataclass(frozen=True)
class FillRequest:
    """Fill `quantity` of `order` at `price`. The order is locked, or new and not yet saved."""

    order: Order
    quantity: int
    price: Decimal


def _settle(
    request: FillRequest, balance: Balance, positions: dict[tuple[int, int], Position], now
) -> tuple[Execution, list]:
    """Apply one fill in memory; return its execution and its ledger entries (all unsaved)."""
    order, quantity, price = request.order, request.quantity, request.price
    if not order.is_open or not 1 <= quantity <= order.remaining_quantity:
        raise AssertionError(f"cannot fill {quantity} of {order}")
    stock = order.stock
    gross = price * quantity
    fee = krx.commission(gross)
    tax = krx.sell_tax(gross, stock.market) if order.side == OrderSide.SELL else Decimal("0")
    remaining_after = order.remaining_quantity - quantity
    key = (order.user_id, stock.pk)
    execution = Execution(
        order=order,
        user_id=order.user_id,
        stock=stock,
        side=order.side,
        quantity=quantity,
        price=price,
        gross_amount=gross,
        fee=fee,
        tax=tax,
        executed_at=now,
    )
    entries = []
    post = {"balance": balance, "order": order, "execution": execution}
    if order.side == OrderSide.BUY:
        still_reserved = krx.buy_reservation(remaining_after, order.reserve_price) if remaining_after else Decimal("0")
        # Release this fill's share of the hold first, then debit: the hold covers cost + fee.
        cash_release(balance=balance, amount=order.reserved_cash - still_reserved, save=False)
        order.reserved_cash = still_reserved
        positions[key] = position_add(
            position=positions.get(key),
            user_id=order.user_id,
            stock=stock,
            quantity=quantity,
            price=price,
            cost=gross + fee,
        )
        entries.append(ledger_entry(kind=LedgerKind.BUY, amount=-gross, **post))
    else:
        execution.realized_pnl = position_remove(
            position=positions.get(key), quantity=quantity, proceeds=gross - fee - tax
        )
        order.reserved_quantity -= quantity
        entries.append(ledger_entry(kind=LedgerKind.SELL, amount=gross, **post))
        if tax:
            entries.append(ledger_entry(kind=LedgerKind.TAX, amount=-tax, **post))
    if fee:
        entries.append(ledger_entry(kind=LedgerKind.FEE, amount=-fee, **post))

    previous_filled = order.filled_quantity
    order.filled_quantity += quantity
    average = ((order.average_fill_price or Decimal("0")) * previous_filled + gross) / order.filled_quantity
    order.average_fill_price = average.quantize(Decimal("0.01"))
    order.fee += fee
    order.tax += tax
    order.updated_at = now
    if remaining_after == 0:
        order.status = OrderStatus.FILLED
        order.closed_at = now
    else:
        order.status = OrderStatus.PARTIALLY_FILLED
    return execution, entries


def _earlier_fills(orders: list[Order]) -> None:
    """Give each order the fills it already had (its events show all of them): one query, and only
    for orders filled in part before; everything else starts from none or from what it carries."""
    partial = [order for order in orders if order.filled_quantity and getattr(order, "fills", None) is None]
    found: dict[int, list[Execution]] = {order.pk: [] for order in partial}
    if partial:
        for execution in Execution.objects.filter(order_id__in=found).select_related("stock").order_by("id"):
            found[execution.order_id].append(execution)
    for order in orders:
        if getattr(order, "fills", None) is None:
            order.fills = found.get(order.pk, [])


def fills_execute(
    *,
    fills: list[FillRequest],
    balances: dict[int, Balance],
    positions: dict[tuple[int, int], Position],
    events: EventBuffer | None = None,
    siblings: dict[int, list[Order]] | None = None,
) -> list[Execution]:
    """Settle every fill (each order at most once), settling cash, fees, tax and positions, then
    write them: new orders, executions, ledger entries, order events, balances, positions — one
    statement each.

    `balances` holds the locked balance of every user involved; `positions` the locked position of
    every (user, stock) pair involved that exists (it gains the new ones). `events` may already
    hold events of this transaction (a new order's `new`): the fills' events follow them.
    """
    require_transaction("fills_execute")
    now = timezone.now()
    events = events or EventBuffer()
    _earlier_fills([request.order for request in fills])
    executions, entries = [], []
    for request in fills:
        order = request.order
        balance = balances[order.user_id]
        execution, posted = _settle(request, balance, positions, now)
        executions.append(execution)
        entries.extend(posted)
        order.fills = [*order.fills, execution]
        kind = OrderEventType.FILL if order.status == OrderStatus.FILLED else OrderEventType.PARTIAL_FILL
        events.add(balance=balance, order=order, event=kind, execution=execution)
        if order.oco_group is not None:
            # The fill used the pair's one hold of the shares: the other order ends with it.
            if siblings is None or order.pk not in siblings:
                raise AssertionError(f"OCO order {order.pk} filled without its sibling locked")
            oco_siblings_close(
                siblings=siblings[order.pk], status=OrderStatus.CANCELLED, balance=balance, events=events, now=now
            )

    existing = [request.order for request in fills if request.order.pk is not None]
    for request in fills:
        if request.order.pk is None:
            request.order.save()  # placed and filled in one go: the order is inserted already settled
    if existing:
        # Not save(): it would stamp a fresh updated_at (auto_now) that the order events, built
        # from memory, would not show.
        rows_update(
            model=Order,
            fields=ORDER_FILL_FIELDS,
            rows={order.pk: [getattr(order, name) for name in ORDER_FILL_FIELDS] for order in existing},
        )
    if connection.features.can_return_rows_from_bulk_insert:
        Execution.objects.bulk_create(executions)
    else:  # the ledger entries need the executions' ids
        for execution in executions:
            execution.save()
    events.flush()
    touched = {request.order.user_id for request in fills}
    ledger_flush(balances=[balances[user_id] for user_id in sorted(touched)], entries=entries)
    keys = {(request.order.user_id, request.order.stock_id) for request in fills}
    positions_save(positions=[positions[key] for key in sorted(keys) if key in positions])
    return executions


def fills_for_locked_orders(
    *,
    fills: list[FillRequest],
    balances: dict[int, Balance] | None = None,
    events: EventBuffer | None = None,
    siblings: dict[int, list[Order]] | None = None,
) -> list[Execution]:
    """Fill orders the caller has locked: lock their users' balances (unless given, already locked)
    and then their positions, each set in a fixed order, and settle every fill in one go."""
    require_transaction("fills_for_locked_orders")
    if balances is None:
        balances = balances_lock(user_ids={request.order.user_id for request in fills})
    positions = positions_lock(keys={(request.order.user_id, request.order.stock_id) for request in fills})
    return fills_execute(fills=fills, balances=balances, positions=positions, events=events, siblings=siblings)


def order_execute(*, order: Order, quantity: int, price: Decimal) -> Execution:
    """Fill `quantity` of one locked open order at `price`, taking its balance and position locks."""
    require_transaction("order_execute")
    siblings, _ = oco_siblings_lock([order], skip_locked=False)
    balance = balance_lock(user=order.user_id)
    position = position_lock(user=order.user_id, stock=order.stock_id)
    positions = {(order.user_id, order.stock_id): position} if position else {}
    [execution] = fills_execute(
        fills=[FillRequest(order, quantity, price)],
        balances={order.user_id: balance},
        positions=positions,
        siblings=siblings,
    )
    return execution
