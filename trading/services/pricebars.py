"""Keeping the bar tables bounded: the engine writes a 1-minute bar per stock, and per index, per
minute."""

from datetime import datetime

from django.db.models import Model, QuerySet

from stocking.core.db import atomic_with_retry
from trading.models import IndexBar, PriceBar

PRUNE_BATCH = 5000


def pricebars_to_prune(
    *, older_than: datetime, interval: str = PriceBar.Interval.MINUTE, model: type[Model] = PriceBar
) -> QuerySet:
    return model.objects.filter(interval=interval, start__lt=older_than)


@atomic_with_retry
def _delete_batch(model: type[Model], ids: list[int]) -> int:
    return model.objects.filter(pk__in=ids).delete()[0]


def pricebars_prune(*, older_than: datetime, interval: str = PriceBar.Interval.MINUTE) -> int:
    """Delete the stocks' and the indices' `interval` bars that start before `older_than`, a batch
    per short transaction so the engine writing new bars never waits long behind the prune."""
    deleted = 0
    for model in (PriceBar, IndexBar):
        old = pricebars_to_prune(older_than=older_than, interval=interval, model=model)
        while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
            deleted += _delete_batch(model, ids)
    return deleted
