"""Stop-loss / take-profit pairs (OCO): two sells of the same shares, a stop below the price and a
limit above it, sharing ONE reservation of the shares (each order shows the shared hold; the
position counts it once). When one fills or is cancelled, the other is cancelled with
`cancel_reason` "oco" in the same transaction; expiry ends both.

Whoever settles a member locks its open sibling too, right after the member and before any balance
(the lock order stays order → balance → position). Engines take siblings with SKIP LOCKED: a
sibling someone else holds means that someone is settling the pair, so the engine leaves it.
"""

import uuid
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from portfolio.models import Balance
from trading.models import OPEN_STATUSES, CancelReason, Order, OrderEventType, OrderSide, OrderStatus, OrderType
from trading.services.events import EventBuffer

CLOSE_FIELDS = ["status", "cancel_reason", "reject_reason", "closed_at", "reserved_quantity", "updated_at"]


def oco_siblings_lock(orders: list[Order], *, skip_locked: bool) -> tuple[dict[int, list[Order]], set[int]]:
    """Lock the open siblings of the OCO members among `orders` (locked already). Returns the
    siblings by member id and, with `skip_locked`, the members whose sibling someone else holds."""
    members = {order.pk: order for order in orders if order.oco_group is not None}
    if not members:
        return {}, set()
    groups = {order.oco_group for order in members.values()}
    rows = list(
        Order.objects.select_for_update(skip_locked=skip_locked)
        .filter(oco_group__in=groups, status__in=OPEN_STATUSES)
        .exclude(pk__in=members)
        .order_by("pk")
    )
    found = {order.oco_group: [] for order in members.values()}
    for row in rows:
        found[row.oco_group].append(row)
    siblings = {pk: found[order.oco_group] for pk, order in members.items()}
    blocked = set()
    if skip_locked:
        # The other member exists unless it was settled; if it is open but not among `rows`, it is busy.
        open_groups = set(
            Order.objects.filter(oco_group__in=groups, status__in=OPEN_STATUSES)
            .exclude(pk__in=members)
            .values_list("oco_group", flat=True)
        )
        blocked = {pk for pk, order in members.items() if order.oco_group in open_groups and not siblings[pk]}
    return siblings, blocked


def oco_siblings_close(*, siblings: list[Order], status: str, balance: Balance, events: EventBuffer, now=None) -> None:
    """Close a member's siblings in the member's transaction: their share of the hold is the member's
    own (released or consumed by it), so the position is not touched here."""
    now = now or timezone.now()
    for sibling in siblings:
        sibling.status = status
        sibling.cancel_reason = CancelReason.OCO if status == OrderStatus.CANCELLED else CancelReason.EXPIRED
        sibling.reject_reason = "The other order of its stop-loss / take-profit pair settled."
        sibling.closed_at = sibling.updated_at = now
        sibling.reserved_quantity = 0
        sibling.fills = None
        kind = OrderEventType.CANCELLED if status == OrderStatus.CANCELLED else OrderEventType.EXPIRED
        events.add(balance=balance, order=sibling, event=kind)
    if len(siblings) == 1:
        siblings[0].save(update_fields=CLOSE_FIELDS)
    elif siblings:
        Order.objects.bulk_update(siblings, CLOSE_FIELDS)


def oco_group_new() -> uuid.UUID:
    return uuid.uuid4()


def oco_orders(*, user: User, stock, quantity: int, stop_price: Decimal, limit_price: Decimal, time_in_force: str):
    """The two unsaved members: the stop-loss first, then the take-profit."""
    group = oco_group_new()
    common = {
        "user": user,
        "stock": stock,
        "side": OrderSide.SELL,
        "quantity": quantity,
        "time_in_force": time_in_force,
        "oco_group": group,
        "reserved_quantity": quantity,
    }
    stop = Order(order_type=OrderType.STOP, stop_price=stop_price, **common)
    take = Order(order_type=OrderType.LIMIT, limit_price=limit_price, **common)
    return stop, take
