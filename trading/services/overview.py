"""The market overview: one record per tick, computed by the price mover from the rows it just
moved (plus the listed stocks it does not move: halted or unpriced) and written with one INSERT.
The API, the pages and the stream only read it.

Per market (KOSPI, KOSDAQ) and for every listed stock: breadth (advancers + decliners + unchanged
= the listed stocks; halted ones count as unchanged) with upper/lower-limit counts, rankings by
gain, loss, volume, trading value and market cap over every priced stock (not filtered by sign),
sectors with their market-cap-weighted change, and new 52-week highs and lows. Arithmetic runs on
ints (prices are whole won); only the quotes that make it into a list become decimal strings.
"""

import heapq
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Max, Min, Q
from django.utils import timezone
from rest_framework.fields import DateTimeField

from stocking.core.db import atomic_with_retry
from stocking.core.money import rate_percent
from trading import krx
from trading.models import Market, MarketIndex, MarketOverview, PriceBar, Stock
from trading.sectors import Sector

# Modules, not names: market_day's roll calls this module, and indices builds on market_day.
from trading.services import indices, market_day

if TYPE_CHECKING:
    from trading.services.simulator import PriceMove

logger = logging.getLogger(__name__)

RANKING_SIZE = 20  # per list in the record: the most GET /api/v1/market/rankings can answer
RANKINGS = ("gainers", "losers", "volume", "trading_value", "market_cap")
MARKETS = (Market.KOSPI, Market.KOSDAQ)
SECTOR_ORDER = {sector: n for n, sector in enumerate(Sector.values)}
# A move this large (in percent) may be at the daily limit; only such rows pay for the exact check.
NEAR_LIMIT = 29
ROW_FIELDS = (
    "pk",
    "code",
    "name",
    "market",
    "sector",
    "current_price",
    "previous_close",
    "volume",
    "trading_value",
    "listed_shares",
    "day_high",
    "day_low",
    "high_52w",
    "low_52w",
    "is_halted",
)


def _int(value) -> int | None:
    return None if value is None else int(value)


@dataclass(slots=True)
class Row:
    """One listed stock as the overview sees it, in whole won."""

    id: int
    code: str
    name: str
    market: str
    sector: str
    price: int | None
    base: int | None  # the previous close
    volume: int
    trading_value: int
    shares: int
    day_high: int | None
    day_low: int | None
    high_52w: int | None
    low_52w: int | None
    halted: bool
    change: int = 0
    rate: float = 0.0
    cap: int = 0
    quote: dict | None = field(default=None, repr=False)

    @classmethod
    def of(cls, values: Sequence) -> "Row":
        (pk, code, name, market, sector, price, base, volume, value, shares, high, low, high_52w, low_52w, halted) = (
            values
        )
        return cls(
            pk,
            code,
            name,
            market,
            sector,
            _int(price),
            _int(base),
            volume,
            int(value),
            shares,
            _int(high),
            _int(low),
            _int(high_52w),
            _int(low_52w),
            halted,
        )


def rows_from_tick(*, stocks: Iterable[Stock], moves: Iterable["PriceMove"]) -> dict[int, Row]:
    """The tick's stocks as they stand after its moves, from the objects it loaded (no query)."""
    applied = {move.stock_id: move for move in moves}
    rows = {}
    for stock in stocks:
        row = Row.of([getattr(stock, name) for name in ROW_FIELDS])
        move = applied.get(stock.pk)
        if move is not None:
            row.price, row.volume = int(move.price), move.old_volume + move.volume
            row.trading_value = int(move.trading_value)
            row.day_high, row.day_low = int(move.day_high), int(move.day_low)
        rows[row.id] = row
    return rows


def rows_not_moving() -> dict[int, Row]:
    """Listed stocks the mover does not move (halted or unpriced): one query, few rows."""
    queryset = Stock.objects.filter(Q(is_halted=True) | Q(current_price__isnull=True), is_listed=True)
    return {values[0]: Row.of(values) for values in queryset.order_by().values_list(*ROW_FIELDS)}


def rows_listed() -> dict[int, Row]:
    """Every listed stock (a record written outside a tick: the seed, tests)."""
    listed = Stock.objects.filter(is_listed=True).order_by()
    return {values[0]: Row.of(values) for values in listed.values_list(*ROW_FIELDS)}


def universe_of(rows: Iterable[Row]) -> "dict[str, indices.Constituents]":
    totals: dict[str, list[int]] = {}
    for row in rows:
        if row.price is not None:
            total = totals.setdefault(row.market, [0, 0, 0, 0])
            total[0] += row.price * row.shares
            total[1] += (row.base or row.price) * row.shares
            total[2] += 1
            total[3] += row.shares
    return {market: indices.Constituents(*total) for market, total in totals.items()}


def _quote(row: Row) -> dict:
    if row.quote is None:
        change = None if row.base is None else row.change
        rate = None if not row.base else rate_percent(Decimal(row.change), Decimal(row.base))
        row.quote = {
            "code": row.code,
            "name": row.name,
            "market": row.market,
            "price": str(row.price),
            "change": None if change is None else str(change),
            "change_rate": None if rate is None else str(rate),
            "volume": row.volume,
            "trading_value": str(row.trading_value),
            "market_cap": str(row.cap),
        }
    return row.quote


@dataclass
class _Scope:
    """What one market (or all of them) adds up to."""

    advancers: int = 0
    decliners: int = 0
    unchanged: int = 0
    upper_limit: int = 0
    lower_limit: int = 0
    priced: list[Row] = field(default_factory=list)
    highs: list[Row] = field(default_factory=list)
    lows: list[Row] = field(default_factory=list)
    # sector → [cap now, cap at previous close, advancers, decliners, unchanged, trading value, stocks]
    sectors: dict[str, list[int]] = field(default_factory=dict)


ORDERINGS = {
    "gainers": lambda row: (-row.rate, row.code),
    "losers": lambda row: (row.rate, row.code),
    "volume": lambda row: (-row.volume, row.code),
    "trading_value": lambda row: (-row.trading_value, row.code),
    "market_cap": lambda row: (-row.cap, row.code),
    "new_highs": lambda row: (-row.rate, row.code),
    "new_lows": lambda row: (row.rate, row.code),
}


def _tally(scope: _Scope, row: Row) -> None:
    if row.price is None:
        scope.unchanged += 1
        return
    scope.priced.append(row)
    direction = 0 if row.halted else (row.change > 0) - (row.change < 0)
    if direction > 0:
        scope.advancers += 1
        if row.change * 100 >= NEAR_LIMIT * row.base and row.price >= krx.price_limits(Decimal(row.base)).upper:
            scope.upper_limit += 1
    elif direction < 0:
        scope.decliners += 1
        if -row.change * 100 >= NEAR_LIMIT * row.base and row.price <= krx.price_limits(Decimal(row.base)).lower:
            scope.lower_limit += 1
    else:
        scope.unchanged += 1
    if row.high_52w is not None and row.day_high is not None and row.day_high > row.high_52w:
        scope.highs.append(row)
    if row.low_52w is not None and row.day_low is not None and row.day_low < row.low_52w:
        scope.lows.append(row)
    if row.sector in SECTOR_ORDER:
        # Weighted by market cap; a stock without listed shares still counts, as one share.
        weight = row.shares or 1
        sector = scope.sectors.setdefault(row.sector, [0, 0, 0, 0, 0, 0, 0])
        sector[0] += row.price * weight
        sector[1] += (row.base or row.price) * weight
        sector[2 + (0 if direction > 0 else 1 if direction < 0 else 2)] += 1
        sector[5] += row.trading_value
        sector[6] += 1


def _sectors(scope: _Scope) -> list[dict]:
    return [
        {
            "sector": sector,
            "change_rate": str(rate_percent(Decimal(now - before), Decimal(before))) if before else None,
            "advancers": advancers,
            "decliners": decliners,
            "unchanged": unchanged,
            "trading_value": str(value),
            "stocks": stocks,
            "market_cap": str(now),
        }
        for sector, (now, before, advancers, decliners, unchanged, value, stocks) in sorted(
            scope.sectors.items(), key=lambda item: SECTOR_ORDER[item[0]]
        )
    ]


def _top(name: str, rows: Iterable[Row]) -> list[Row]:
    return heapq.nsmallest(RANKING_SIZE, rows, key=ORDERINGS[name])


def _lists(scope: _Scope) -> dict[str, list[Row]]:
    lists = {name: _top(name, scope.priced) for name in RANKINGS}
    lists["new_highs"] = _top("new_highs", scope.highs)
    lists["new_lows"] = _top("new_lows", scope.lows)
    return lists


def _body(scope: _Scope, lists: dict[str, list[Row]], *, market: str | None, head: dict) -> dict:
    return {
        **head,
        "market": market,
        "breadth": {
            "advancers": scope.advancers,
            "decliners": scope.decliners,
            "unchanged": scope.unchanged,
            "upper_limit": scope.upper_limit,
            "lower_limit": scope.lower_limit,
        },
        "rankings": {name: [_quote(row) for row in lists[name]] for name in RANKINGS},
        "sectors": _sectors(scope),
        "new_highs": [_quote(row) for row in lists["new_highs"]],
        "new_lows": [_quote(row) for row in lists["new_lows"]],
    }


def overview_build(*, rows: Iterable[Row], index_rows: Sequence[MarketIndex], at: datetime) -> dict[str, dict]:
    """The record's bodies: {"ALL": ..., "KOSPI": ..., "KOSDAQ": ...}. No database access."""
    every = _Scope()
    markets: dict[str, _Scope] = {}
    for row in rows:
        if row.price is not None:
            row.change = row.price - row.base if row.base else 0
            row.rate = row.change / row.base if row.base else 0.0
            row.cap = row.price * row.shares
        market = markets.get(row.market)
        if market is None:
            market = markets[row.market] = _Scope()
        _tally(market, row)
    market_lists = {name: _lists(scope) for name, scope in markets.items()}
    for scope in markets.values():
        for attribute in ("advancers", "decliners", "unchanged", "upper_limit", "lower_limit"):
            setattr(every, attribute, getattr(every, attribute) + getattr(scope, attribute))
        for sector, totals in scope.sectors.items():
            merged = every.sectors.setdefault(sector, [0] * 7)
            for n, value in enumerate(totals):
                merged[n] += value
    # Every market's top N holds the overall top N: rank only those again.
    every_lists = {
        name: _top(name, (row for lists in market_lists.values() for row in lists[name]))
        for name in (*RANKINGS, "new_highs", "new_lows")
    }
    head = {
        "at": DateTimeField().to_representation(at),
        "indices": [indices.index_quote(index) for index in index_rows],
    }
    bodies = {"ALL": _body(every, every_lists, market=None, head=head)}
    for market in MARKETS:
        scope = markets.get(market, _Scope())
        bodies[market] = _body(scope, market_lists.get(market) or _lists(scope), market=market, head=head)
    return bodies


@atomic_with_retry
def _record(*, rows: dict[int, Row], at: datetime) -> MarketOverview:
    locked = indices.indices_locked()
    rows = {**rows, **rows_not_moving()}
    indices.indices_move(indices=locked, universe=universe_of(rows.values()), at=at)
    bodies = overview_build(rows=rows.values(), index_rows=locked, at=at)
    return MarketOverview.objects.create(
        at=at, body=bodies["ALL"], body_kospi=bodies[Market.KOSPI], body_kosdaq=bodies[Market.KOSDAQ]
    )


def market_overview_tick(
    *, stocks: Sequence[Stock], moves: Sequence["PriceMove"], at: datetime
) -> MarketOverview | None:
    """The mover's step after it moved prices: indices and their 1-minute bars, then the record.

    Never raises: the overview is derived data, and a failure here must not stop the engine from
    matching orders; it is logged and the next tick writes a fresh record.
    """
    if not moves:
        return None
    try:
        return _record(rows=rows_from_tick(stocks=stocks, moves=moves), at=at)
    except Exception:
        logger.exception("market overview: the record of the tick at %s could not be written", at)
        return None


def market_overview_write(*, at: datetime | None = None) -> MarketOverview:
    """A record from the database as it stands (seed_demo writes the first one this way)."""
    return _record(rows=rows_listed(), at=at or timezone.now())


def stocks_52w_refresh(*, trading_date: date) -> int:
    """Each stock's 52-week high and low from its daily bars before `trading_date`: one grouped
    query and one batched UPDATE (in primary-key order, the order the mover locks stocks in)."""
    window = PriceBar.objects.filter(
        interval=PriceBar.Interval.DAY,
        start__gte=market_day.daily_bar_start(trading_date - timedelta(weeks=52)),
        start__lt=market_day.daily_bar_start(trading_date),
    )
    ranges = {
        row["stock_id"]: (row["high"], row["low"])
        for row in window.values("stock_id").annotate(high=Max("high"), low=Min("low")).order_by()
    }
    changed = [
        Stock(pk=pk, high_52w=ranges.get(pk, (None, None))[0], low_52w=ranges.get(pk, (None, None))[1])
        for pk, high, low in Stock.objects.values_list("pk", "high_52w", "low_52w").order_by("pk")
        if ranges.get(pk, (None, None)) != (high, low)
    ]
    Stock.objects.bulk_update(changed, ["high_52w", "low_52w"], batch_size=500)
    return len(changed)


def market_overview_roll(*, trading_date: date, stocks_rolled: bool) -> None:
    """The day roll's part: each index closes its day; stocks that rolled get their 52-week range."""
    indices.indices_roll(trading_date=trading_date)
    if stocks_rolled:
        stocks_52w_refresh(trading_date=trading_date)
