"""The order-event outbox: every change of an order writes an event, in the same transaction, with
the user's next seq (counted on their locked balance row).

Events are collected in an `EventBuffer` while a transaction changes orders and written with one
INSERT at the end. Each event's payload is the order as the API shows it right after that change,
built from a snapshot of the object in memory when the event was added (no re-read): a market
order placed and filled in one transaction gets a `new` event showing it pending and a `fill`
event showing it filled, with consecutive seqs.
"""

import copy
from dataclasses import dataclass

from django.utils import timezone

from portfolio.models import Balance
from stocking.core.wakeup import wakeup_after_commit
from trading.models import Execution, Order, OrderEvent, OrderEventType


@dataclass
class _Pending:
    user_id: int
    seq: int
    event: str
    order: Order  # the live object: it supplies the id and created_at once it is inserted
    snapshot: Order
    execution: Execution | None


class EventBuffer:
    def __init__(self) -> None:
        self._pending: list[_Pending] = []

    def add(self, *, balance: Balance, order: Order, event: str, execution: Execution | None = None) -> None:
        """Take the user's next seq and remember the order as it is now. The caller holds the
        balance lock and writes the balance (its `event_seq`) in the same transaction."""
        balance.event_seq += 1
        snapshot = copy.copy(order)
        fills = getattr(order, "fills", None)
        if fills is None:  # an order this transaction did not fill: its earlier fills, if any
            fills = list(order.executions.select_related("stock").order_by("id")) if order.filled_quantity else []
        snapshot.fills = list(fills)
        self._pending.append(_Pending(order.user_id, balance.event_seq, event, order, snapshot, execution))

    def flush(self) -> list[OrderEvent]:
        """Write the collected events (one INSERT). Call it after the orders and executions exist."""
        from trading.api.representations import execution_json, order_json

        now = timezone.now()
        rows = []
        for pending in self._pending:
            snapshot = pending.snapshot
            if snapshot.pk is None:  # added before the order was inserted, which set its id and times
                snapshot.pk = pending.order.pk
                snapshot.created_at = pending.order.created_at
                new = pending.event == OrderEventType.NEW
                snapshot.updated_at = pending.order.created_at if new else pending.order.updated_at
            execution = execution_json(pending.execution) if pending.execution else None
            rows.append(
                OrderEvent(
                    user_id=pending.user_id,
                    seq=pending.seq,
                    event=pending.event,
                    order=pending.order,
                    execution=pending.execution,
                    payload={"order": order_json(snapshot, snapshot.fills), "execution": execution},
                    created_at=now,
                )
            )
        OrderEvent.objects.bulk_create(rows)
        if rows:
            wakeup_after_commit("orders")  # the stream polls at once instead of at its next interval
        self._pending.clear()
        return rows
