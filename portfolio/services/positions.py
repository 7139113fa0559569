"""Share holdings: reserve for open sells, average in on buys, realize P/L on sells.

Callers hold the user's balance lock (see ledger.balance_lock) before touching positions, so
locks are always taken order → balance → position and concurrent orders cannot deadlock.
"""

from decimal import Decimal

from accounts.models import User
from portfolio.models import Position
from stocking.core.db import require_transaction
from stocking.core.exceptions import InsufficientShares
from stocking.core.money import round_money


def position_lock(*, user: User, stock) -> Position | None:
    require_transaction("position_lock")
    # order_by("pk"): the default ordering (stock__code) would JOIN the stock, and MySQL would then
    # lock the stock row too, serializing every trader of that stock and deadlocking the simulator.
    return Position.objects.select_for_update().filter(user=user, stock=stock).order_by("pk").first()


def shares_reserve(*, user: User, stock, quantity: int) -> Position:
    """Hold `quantity` shares for an open sell order."""
    # Lock so two sells cannot both reserve the same shares.
    position = position_lock(user=user, stock=stock)
    available = position.available_quantity if position else 0
    if quantity > available:
        raise InsufficientShares(extra={"available_quantity": available})
    position.reserved_quantity += quantity
    position.save(update_fields=["reserved_quantity", "updated_at"])
    return position


def shares_release(*, user: User, stock, quantity: int) -> None:
    if quantity <= 0:
        return
    position = position_lock(user=user, stock=stock)
    if position is None or position.reserved_quantity < quantity:
        raise AssertionError(f"cannot release {quantity} shares of {stock} for {user}")
    position.reserved_quantity -= quantity
    position.save(update_fields=["reserved_quantity", "updated_at"])


def position_apply_buy(*, user: User, stock, quantity: int, price: Decimal, cost: Decimal) -> Position:
    """Add bought shares: the average price is the gross average; cost basis includes commission."""
    position = position_lock(user=user, stock=stock)
    if position is None:
        position = Position(user=user, stock=stock)
    total_quantity = position.quantity + quantity
    position.average_price = round_money(
        (position.average_price * position.quantity + price * quantity) / total_quantity
    )
    position.quantity = total_quantity
    position.cost_basis += cost
    position.save()
    return position


def position_apply_sell(*, user: User, stock, quantity: int, proceeds: Decimal) -> Decimal:
    """Remove sold (previously reserved) shares; return the realized P/L net of every cost."""
    position = position_lock(user=user, stock=stock)
    if position is None or position.reserved_quantity < quantity:
        raise AssertionError(f"sell of {quantity} {stock} for {user} was not reserved")
    if quantity == position.quantity:
        released_cost = position.cost_basis
    else:
        released_cost = round_money(position.cost_basis * quantity / position.quantity)
    realized = proceeds - released_cost
    position.quantity -= quantity
    position.reserved_quantity -= quantity
    if position.quantity == 0:
        position.delete()
        return realized
    position.cost_basis -= released_cost
    position.realized_pnl += realized
    position.save()
    return realized


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
