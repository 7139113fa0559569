"""The reads of the Alpaca streams (sync; the consumers call them through database_sync_to_async).
Process-wide callers (one per batch or per closed minute), never one per tick and client."""

import uuid
from datetime import datetime

from django.db import transaction

from portfolio.models import Position
from trading.models import Execution, Order, OrderSide, PriceBar, Stock


def order_public_ids(order_pks: list[int]) -> dict[int, uuid.UUID]:
    return dict(Order.objects.filter(pk__in=order_pks).values_list("pk", "public_id"))


def positions_after_fills(user_id: int, fills: list[tuple[int, str]]) -> dict[int, int]:
    """Shares of the stock the user held right after each fill, by execution pk: what they hold now
    less the later executions. A user's executions are written under their balance lock, so their
    ids follow commit order; the two reads share one snapshot (REPEATABLE READ on MariaDB)."""
    codes = {code for _pk, code in fills}
    first = min(pk for pk, _code in fills)
    with transaction.atomic():
        held = dict(
            Position.objects.filter(user_id=user_id, stock__code__in=codes).values_list("stock__code", "quantity")
        )
        later = list(
            Execution.objects.filter(user_id=user_id, stock__code__in=codes, pk__gt=first)
            .order_by()
            .values_list("pk", "stock__code", "side", "quantity")
        )
    after = {}
    for pk, code in fills:
        quantity = held.get(code, 0)
        for later_pk, later_code, side, shares in later:
            if later_pk > pk and later_code == code:
                quantity += -shares if side == OrderSide.BUY else shares
        after[pk] = quantity
    return after


def day_volumes() -> dict[str, int]:
    """Each stock's volume so far today: where the trade sizes of the data stream start counting."""
    return dict(Stock.objects.values_list("code", "volume"))


def minute_bars(start: datetime, end: datetime) -> list[tuple]:
    """(code, start, open, high, low, close, volume) of the 1-minute bars starting in [start, end),
    by start then code."""
    return list(
        PriceBar.objects.filter(interval=PriceBar.Interval.MINUTE, start__gte=start, start__lt=end)
        .order_by("start", "stock__code")
        .values_list("stock__code", "start", "open", "high", "low", "close", "volume")
    )


def day_bars(codes: list[str]) -> list[tuple]:
    """(code, trading_date, open, high, low, close, volume) of today's bar so far, from the quotes."""
    return list(
        Stock.objects.filter(code__in=codes, trading_date__isnull=False, current_price__isnull=False)
        .order_by("code")
        .values_list("code", "trading_date", "day_open", "day_high", "day_low", "current_price", "volume")
    )
