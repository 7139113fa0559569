"""Share holdings: reserve for open sells, average in on buys, realize P/L on sells.

Callers hold the user's balance lock (see ledger.balance_lock) before touching positions, so
locks are always taken order → balance → position and concurrent orders cannot deadlock.
"""

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from portfolio.models import Position
from stocking.core.db import require_transaction, rows_update
from stocking.core.exceptions import InsufficientShares
from stocking.core.money import round_money


def position_lock(*, user: User | int, stock) -> Position | None:
    require_transaction("position_lock")
    # order_by("pk"): the default ordering (stock__code) would JOIN the stock, and MySQL would then
    # lock the stock row too, serializing every trader of that stock and deadlocking the simulator.
    return Position.objects.select_for_update().filter(user=user, stock=stock).order_by("pk").first()


def shares_reserve(*, user: User | int, stock, quantity: int, save: bool = True) -> Position:
    """Hold `quantity` shares for an open sell order. With `save=False` the caller writes the
    position later in the same transaction (a sell that fills at once: `positions_save`)."""
    # Lock so two sells cannot both reserve the same shares.
    position = position_lock(user=user, stock=stock)
    available = position.available_quantity if position else 0
    if quantity > available:
        raise InsufficientShares(extra={"available_quantity": available})
    position.reserved_quantity += quantity
    if save:
        position.save(update_fields=["reserved_quantity", "updated_at"])
    return position


def shares_release(*, user: User | int, stock, quantity: int) -> None:
    if quantity <= 0:
        return
    position = position_lock(user=user, stock=stock)
    if position is None or position.reserved_quantity < quantity:
        raise AssertionError(f"cannot release {quantity} shares of {stock} for {user}")
    position.reserved_quantity -= quantity
    position.save(update_fields=["reserved_quantity", "updated_at"])


PositionKey = tuple[int, int]  # (user_id, stock_id)
POSITION_FIELDS = ["quantity", "reserved_quantity", "average_price", "cost_basis", "realized_pnl", "updated_at"]


def positions_lock(*, keys: set[PositionKey]) -> dict[PositionKey, Position]:
    """Lock the positions of several (user, stock) pairs, in key order (the matching engine's batch).
    Pairs with no position are simply absent. The callers hold these users' balance locks."""
    require_transaction("positions_lock")
    if not keys:
        return {}
    if len(keys) == 1:
        ((user_id, stock_id),) = keys
        position = position_lock(user=user_id, stock=stock_id)
        return {(user_id, stock_id): position} if position else {}
    pairs = Q()
    for user_id, stock_id in sorted(keys):
        pairs |= Q(user_id=user_id, stock_id=stock_id)
    # order_by("user_id", "stock_id"): no JOIN on the stock (see position_lock), a fixed lock order.
    rows = Position.objects.select_for_update().filter(pairs).order_by("user_id", "stock_id")
    return {(p.user_id, p.stock_id): p for p in rows}


def position_add(
    *, position: Position | None, user_id: int, stock, quantity: int, price: Decimal, cost: Decimal
) -> Position:
    """Bought shares, in memory: the average price is the gross average; cost basis includes commission."""
    if position is None:
        position = Position(user_id=user_id, stock=stock)
    total_quantity = position.quantity + quantity
    position.average_price = round_money(
        (position.average_price * position.quantity + price * quantity) / total_quantity
    )
    position.quantity = total_quantity
    position.cost_basis += cost
    return position


def position_remove(*, position: Position | None, quantity: int, proceeds: Decimal) -> Decimal:
    """Sold (previously reserved) shares, in memory; returns the realized P/L net of every cost.
    A position that reaches zero is deleted by `positions_save`."""
    if position is None or position.reserved_quantity < quantity:
        raise AssertionError(f"sell of {quantity} shares was not reserved on {position}")
    if quantity == position.quantity:
        released_cost = position.cost_basis
    else:
        released_cost = round_money(position.cost_basis * quantity / position.quantity)
    realized = proceeds - released_cost
    position.quantity -= quantity
    position.reserved_quantity -= quantity
    position.cost_basis -= released_cost
    position.realized_pnl += realized
    return realized


def positions_save(*, positions: list[Position]) -> None:
    """Write what `position_add` / `position_remove` changed: new ones inserted, emptied ones
    deleted, the rest updated, one statement each."""
    require_transaction("positions_save")
    now = timezone.now()
    new = [p for p in positions if p.pk is None and p.quantity > 0]
    emptied = [p.pk for p in positions if p.pk is not None and p.quantity == 0]
    changed = [p for p in positions if p.pk is not None and p.quantity > 0]
    for position in (*new, *changed):
        position.updated_at = now
    if new:
        Position.objects.bulk_create(new)
    if emptied:
        Position.objects.filter(pk__in=emptied).delete()
    if len(changed) == 1:
        changed[0].save(update_fields=POSITION_FIELDS)
    elif changed:
        rows_update(
            model=Position,
            fields=POSITION_FIELDS,
            rows={p.pk: [getattr(p, name) for name in POSITION_FIELDS] for p in changed},
        )


def positions_clear(*, user: User) -> int:
    """Remove every position of the user (an account reset). Open sells must be closed first."""
    require_transaction("positions_clear")
    # Lock so no fill can add to a position while it is being removed.
    positions = list(Position.objects.select_for_update().filter(user=user).order_by("pk"))
    for position in positions:
        if position.reserved_quantity:
            raise AssertionError(f"{position} still has {position.reserved_quantity} shares held by open sells")
    Position.objects.filter(pk__in=[p.pk for p in positions]).delete()
    return len(positions)
