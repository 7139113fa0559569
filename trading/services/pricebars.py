"""Keeping the price-bar table bounded: the engine writes a 1-minute bar per stock per minute."""

from datetime import datetime

from django.db.models import QuerySet

from stocking.core.db import atomic_with_retry
from trading.models import PriceBar

PRUNE_BATCH = 5000


def pricebars_to_prune(*, older_than: datetime, interval: str = PriceBar.Interval.MINUTE) -> QuerySet[PriceBar]:
    return PriceBar.objects.filter(interval=interval, start__lt=older_than)


@atomic_with_retry
def _delete_batch(ids: list[int]) -> int:
    return PriceBar.objects.filter(pk__in=ids).delete()[0]


def pricebars_prune(*, older_than: datetime, interval: str = PriceBar.Interval.MINUTE) -> int:
    """Delete the `interval` bars that start before `older_than`, a batch per short transaction so
    the engine writing new bars never waits long behind the prune."""
    deleted = 0
    while ids := list(
        pricebars_to_prune(older_than=older_than, interval=interval).values_list("pk", flat=True)[:PRUNE_BATCH]
    ):
        deleted += _delete_batch(ids)
    return deleted
