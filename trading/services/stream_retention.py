"""Keeping the stream's tables bounded: order events live at least a day (clients catch up with
`since_seq` across reconnects and restarts), tick and market overview records an hour."""

from datetime import datetime

from django.db.models import QuerySet

from stocking.core.db import atomic_with_retry
from trading.models import MarketOverview, MarketTick, OrderEvent

PRUNE_BATCH = 5000


@atomic_with_retry
def _delete(model, ids: list[int]) -> int:
    return model.objects.filter(pk__in=ids).delete()[0]


def _prune(queryset: QuerySet) -> int:
    deleted = 0
    while ids := list(queryset.values_list("pk", flat=True)[:PRUNE_BATCH]):
        deleted += _delete(queryset.model, ids)
    return deleted


def stream_events_prune(*, events_before: datetime, ticks_before: datetime) -> tuple[int, int]:
    """Delete order events and tick records older than the given times, a batch per transaction.
    Overview records go with the tick records and are counted among them."""
    events = _prune(OrderEvent.objects.filter(created_at__lt=events_before).order_by("pk"))
    ticks = _prune(MarketTick.objects.filter(at__lt=ticks_before).order_by("pk"))
    ticks += _prune(MarketOverview.objects.filter(at__lt=ticks_before).order_by("pk"))
    return events, ticks
