"""Invariants of the order-event outbox, added to `audit_ledger` from TradingConfig.ready()."""

from django.db.models import Count, Max, Min, Q

from portfolio.audit import AuditReport
from portfolio.models import Balance
from trading.models import Execution, OrderEvent, OrderEventType


def check_order_events(report: AuditReport) -> None:
    """Seqs have no gaps and end at the balance's counter; every execution newer than the oldest
    retained event has its fill event."""
    per_user = OrderEvent.objects.values("user_id").annotate(low=Min("seq"), high=Max("seq"), count=Count("id"))
    counters = dict(Balance.objects.values_list("user_id", "event_seq"))
    seen = set()
    for row in per_user:
        user_id, low, high, count = row["user_id"], row["low"], row["high"], row["count"]
        seen.add(user_id)
        if high - low + 1 != count:
            report.violations.append(f"user {user_id}: order-event seqs {low}..{high} have gaps ({count} events)")
        if counters.get(user_id) != high:
            report.violations.append(
                f"user {user_id}: last event seq {high} != balance counter {counters.get(user_id)}"
            )
    oldest = OrderEvent.objects.aggregate(at=Min("created_at"))["at"]
    if oldest is not None:
        fill_kinds = (OrderEventType.FILL, OrderEventType.PARTIAL_FILL)
        missing = Execution.objects.filter(executed_at__gte=oldest).exclude(
            Q(pk__in=OrderEvent.objects.filter(event__in=fill_kinds).values("execution_id"))
        )
        for execution_id, user_id in missing.values_list("id", "user_id")[:100]:
            report.violations.append(f"user {user_id}: execution {execution_id} has no fill event")
    report.checks["order_events"] = sum(row["count"] for row in per_user) if seen else 0
