"""Reads the facade needs that the native API names differently: objects by their public UUIDs and
Alpaca's filters. Queries over the apps' models; nothing here writes."""

import uuid
from collections.abc import Iterator
from datetime import datetime

from django.db.models import OuterRef, Subquery

from accounts.models import User
from alpaca.ids import asset_id, parse_uuid
from alpaca.params import is_symbol
from portfolio.models import Position
from trading.models import OPEN_STATUSES, Order, PriceBar, Stock
from watchlist.models import Watchlist


def stock_code_for(value: str) -> str | None:
    """A six-digit code as given, or the code whose asset UUID this is; None for anything else."""
    if is_symbol(value):
        return value
    wanted = parse_uuid(value)
    if wanted is None:
        return None
    # Asset ids are uuid5 of the code: no column to look up, so match them over the codes (thousands at most).
    for code in Stock.objects.values_list("code", flat=True).iterator():
        if asset_id(code) == wanted:
            return code
    return None


def stock_get(value: str) -> Stock | None:
    code = stock_code_for(value)
    return Stock.objects.filter(code=code).first() if code else None


def asset_list(*, status: str | None, attributes: set[str]) -> list[Stock]:
    queryset = Stock.objects.order_by("code")
    if status is not None:
        queryset = queryset.filter(is_listed=status == "active")
    stocks = list(queryset)
    if attributes:
        stocks = [s for s in stocks if attributes & {"krx", s.market.lower()}]
    return stocks


def order_get(*, user: User, public_id: uuid.UUID) -> Order | None:
    return Order.objects.filter(user=user, public_id=public_id).select_related("stock").first()


def order_pk(*, user: User, public_id: uuid.UUID) -> int | None:
    return Order.objects.filter(user=user, public_id=public_id).values_list("pk", flat=True).first()


def order_by_client_order_id(*, user: User, client_order_id: str) -> Order | None:
    """Orders placed without one show their public id as client_order_id, so that finds them too."""
    order = Order.objects.filter(user=user, client_order_id=client_order_id).select_related("stock").first()
    public_id = parse_uuid(client_order_id)
    if order is None and public_id is not None:
        order = (
            Order.objects.filter(user=user, public_id=public_id, client_order_id__isnull=True)
            .select_related("stock")
            .first()
        )
    return order


def order_list(
    *,
    user: User,
    status: str,
    limit: int,
    after: datetime | None,
    until: datetime | None,
    ascending: bool,
    side: str | None,
    symbols: list[str],
) -> list[Order]:
    queryset = Order.objects.filter(user=user).select_related("stock")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        queryset = queryset.exclude(status__in=OPEN_STATUSES)
    if after is not None:
        queryset = queryset.filter(created_at__gt=after)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    if side:
        queryset = queryset.filter(side=side)
    if symbols:
        queryset = queryset.filter(stock__code__in=symbols)
    ordering = ("created_at", "id") if ascending else ("-created_at", "-id")
    return list(queryset.order_by(*ordering)[:limit])


def open_orders(*, user: User, stock: Stock | None = None, side: str | None = None) -> list[tuple[int, uuid.UUID]]:
    """(pk, public_id) of the user's open orders, oldest first."""
    queryset = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
    if stock is not None:
        queryset = queryset.filter(stock=stock)
    if side is not None:
        queryset = queryset.filter(side=side)
    return list(queryset.order_by("id").values_list("pk", "public_id"))


def position_get(*, user: User, code: str) -> Position | None:
    return Position.objects.filter(user=user, stock__code=code, quantity__gt=0).select_related("stock").first()


def watchlist_pk(*, user: User, public_id: uuid.UUID) -> int | None:
    return Watchlist.objects.filter(user=user, public_id=public_id).values_list("pk", flat=True).first()


def stocks_by_code(codes: list[str]) -> dict[str, Stock]:
    wanted = [code for code in codes if is_symbol(code)]
    return {stock.code: stock for stock in Stock.objects.filter(code__in=wanted)} if wanted else {}


def bar_rows(
    *, stock: Stock, interval: str, start: datetime, end: datetime, after: datetime | None, ascending: bool
) -> Iterator[PriceBar]:
    """A stock's bars in [start, end], oldest (or newest) first, resuming after `after`."""
    queryset = PriceBar.objects.filter(stock=stock, interval=interval, start__gte=start, start__lte=end)
    if after is not None:
        queryset = queryset.filter(start__gt=after) if ascending else queryset.filter(start__lt=after)
    return queryset.order_by("start" if ascending else "-start").iterator(chunk_size=2000)


def _latest_bars(stocks: list[Stock], interval: str, *, before: datetime | None = None) -> dict[int, PriceBar]:
    """Each stock's newest bar of `interval` (starting before `before`): two queries however many."""
    if not stocks:
        return {}
    bars = PriceBar.objects.filter(stock=OuterRef("pk"), interval=interval)
    if before is not None:
        bars = bars.filter(start__lt=before)
    latest = (
        Stock.objects.filter(pk__in=[s.pk for s in stocks])
        .annotate(bar_id=Subquery(bars.order_by("-start").values("pk")[:1]))
        .values_list("bar_id", flat=True)
    )
    ids = [bar_id for bar_id in latest if bar_id is not None]
    return {bar.stock_id: bar for bar in PriceBar.objects.filter(pk__in=ids)}


def latest_minute_bars(stocks: list[Stock]) -> dict[int, PriceBar]:
    return _latest_bars(stocks, PriceBar.Interval.MINUTE)


def previous_daily_bars(stocks: list[Stock], *, before: datetime) -> dict[int, PriceBar]:
    return _latest_bars(stocks, PriceBar.Interval.DAY, before=before)
