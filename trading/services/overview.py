"""The market overview: one record per tick, computed by the price mover from the rows it just
moved (plus the listed stocks it does not move: halted or unpriced) and written with one INSERT in
the tick's own transaction. The API, the pages and the stream only read it.

Per market (KOSPI, KOSDAQ) and for every listed stock: breadth (advancers + decliners + unchanged
= the listed stocks; halted ones count as unchanged) with upper/lower-limit counts, rankings by
gain, loss, volume, trading value and market cap over every priced stock (not filtered by sign),
sectors with their market-cap-weighted change, and new 52-week highs and lows. One pass over the
rows does the counting, in ints (prices are whole won); only the quotes that make it into a list
become decimal strings. At KRX's size (2,700 stocks) the step costs a few milliseconds.
"""

import heapq
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

from django.db import OperationalError
from django.db.models import Max, Min, Q
from django.utils import timezone
from rest_framework.fields import DateTimeField

from stocking.core.db import atomic_with_retry, is_retryable, rows_update
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
    *("pk", "code", "name", "market", "sector", "current_price", "previous_close", "volume", "trading_value"),
    *("listed_shares", "day_high", "day_low", "high_52w", "low_52w", "is_halted"),
)
# Each list's order; ties keep the rows' code order (heapq's n-largest/smallest are stable).
ORDERS = {
    "gainers": (heapq.nlargest, attrgetter("rate")),
    "losers": (heapq.nsmallest, attrgetter("rate")),
    "volume": (heapq.nlargest, attrgetter("volume")),
    "trading_value": (heapq.nlargest, attrgetter("trading_value")),
    "market_cap": (heapq.nlargest, attrgetter("cap")),
    "new_highs": (heapq.nlargest, attrgetter("rate")),
    "new_lows": (heapq.nsmallest, attrgetter("rate")),
}


@dataclass(slots=True)
class Row:
    """One listed stock as the overview sees it: prices in whole won; the day and 52-week ranges
    stay Decimals (they are only compared)."""

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
    day_high: Decimal | None
    day_low: Decimal | None
    high_52w: Decimal | None
    low_52w: Decimal | None
    halted: bool
    change: int | None = None
    rate: float = 0.0
    cap: int = 0
    quote: dict | None = field(default=None, repr=False)


def _row(pk, code, name, market, sector, price, base, volume, value, shares, high, low, high_52w, low_52w, halted):
    return Row(
        *(pk, code, name, market, sector, None if price is None else int(price), None if base is None else int(base)),
        *(volume, int(value), shares, high, low, high_52w, low_52w, halted),
    )


def rows_from_tick(*, stocks: Iterable[Stock], moves: Iterable["PriceMove"]) -> dict[int, Row]:
    """The tick's stocks as they stand after its moves, from the objects it loaded (no query).
    Written for speed: it runs for every stock every tick."""
    applied = {move.stock_id: move for move in moves}
    rows = {}
    for stock in stocks:
        move = applied.get(stock.id)
        base = stock.previous_close
        if move is None:
            price, volume, value = stock.current_price, stock.volume, stock.trading_value
            high, low = stock.day_high, stock.day_low
        else:
            price, volume, value = move.price, move.old_volume + move.volume, move.trading_value
            high, low = move.day_high, move.day_low
        rows[stock.id] = Row(
            stock.id,
            stock.code,
            stock.name,
            stock.market,
            stock.sector,
            int(price),  # a tradable stock has a price
            None if base is None else int(base),
            volume,
            int(value),
            stock.listed_shares,
            high,
            low,
            stock.high_52w,
            stock.low_52w,
            stock.is_halted,
        )
    return rows


def rows_not_moving() -> dict[int, Row]:
    """Listed stocks the mover does not move (halted or unpriced): one query, few rows."""
    queryset = Stock.objects.filter(Q(is_halted=True) | Q(current_price__isnull=True), is_listed=True)
    return {values[0]: _row(*values) for values in queryset.order_by().values_list(*ROW_FIELDS)}


def rows_listed() -> dict[int, Row]:
    """Every listed stock (a record written outside a tick: the seed, tests)."""
    listed = Stock.objects.filter(is_listed=True).order_by()
    return {values[0]: _row(*values) for values in listed.values_list(*ROW_FIELDS)}


@dataclass
class Scope:
    """What one market (or all of them) adds up to; `cap` to `shares` are the index's universe."""

    advancers: int = 0
    decliners: int = 0
    unchanged: int = 0
    upper_limit: int = 0
    lower_limit: int = 0
    cap: int = 0
    previous_cap: int = 0
    count: int = 0
    shares: int = 0
    priced: list[Row] = field(default_factory=list)
    highs: list[Row] = field(default_factory=list)
    lows: list[Row] = field(default_factory=list)
    # sector → [cap now, cap at previous close, advancers, decliners, unchanged, trading value, stocks]
    sectors: dict[str, list[int]] = field(default_factory=dict)

    def universe(self) -> "indices.Constituents":
        return indices.Constituents(self.cap, self.previous_cap, self.count, self.shares)


def tally(rows: Iterable[Row]) -> dict[str, Scope]:
    """One pass over each market's rows: its breadth, index universe, sectors and list candidates.
    Counters live in local variables while the loop runs (it runs for every stock every tick)."""
    by_market: dict[str, list[Row]] = {}
    for row in rows:
        by_market.setdefault(row.market, []).append(row)
    markets = {}
    for market, market_rows in by_market.items():
        market_rows.sort(key=attrgetter("code"))  # in code order already but for a few: cheap
        advancers = decliners = unchanged = upper = lower = cap_total = previous_total = count = shares_total = 0
        priced, highs, lows, sectors = [], [], [], {}
        for row in market_rows:
            price = row.price
            if price is None:
                unchanged += 1
                continue
            base, shares = row.base, row.shares
            change = 0
            if base:
                change = row.change = price - base
                row.rate = change / base
            row.cap = cap = price * shares
            previous = (base or price) * shares
            cap_total += cap
            previous_total += previous
            count += 1
            shares_total += shares
            priced.append(row)
            if row.halted or not change:
                slot = 4
                unchanged += 1
            elif change > 0:
                slot = 2
                advancers += 1
                if change * 100 >= NEAR_LIMIT * base and price >= krx.price_limits(Decimal(base)).upper:
                    upper += 1
            else:
                slot = 3
                decliners += 1
                if -change * 100 >= NEAR_LIMIT * base and price <= krx.price_limits(Decimal(base)).lower:
                    lower += 1
            high_52w, low_52w = row.high_52w, row.low_52w
            if high_52w is not None and row.day_high is not None and row.day_high > high_52w:
                highs.append(row)
            if low_52w is not None and row.day_low is not None and row.day_low < low_52w:
                lows.append(row)
            if row.sector in SECTOR_ORDER:
                sector = sectors.get(row.sector)
                if sector is None:
                    sector = sectors[row.sector] = [0, 0, 0, 0, 0, 0, 0]
                if shares:
                    sector[0] += cap
                    sector[1] += previous
                else:  # a stock without listed shares still counts, as one share
                    sector[0] += price
                    sector[1] += base or price
                sector[slot] += 1
                sector[5] += row.trading_value
                sector[6] += 1
        markets[market] = Scope(
            *(advancers, decliners, unchanged, upper, lower, cap_total, previous_total, count, shares_total),
            *(priced, highs, lows, sectors),
        )
    return markets


def _quote(row: Row) -> dict:
    if row.quote is None:
        rate = rate_percent(Decimal(row.change), Decimal(row.base)) if row.base else None
        row.quote = {
            "code": row.code,
            "name": row.name,
            "market": row.market,
            "price": str(row.price),
            "change": None if row.change is None else str(row.change),
            "change_rate": None if rate is None else str(rate),
            "volume": row.volume,
            "trading_value": str(row.trading_value),
            "market_cap": str(row.cap),
        }
    return row.quote


def _lists(scope: Scope) -> dict[str, list[Row]]:
    lists = {name: ORDERS[name][0](RANKING_SIZE, scope.priced, key=ORDERS[name][1]) for name in RANKINGS}
    for name, rows in (("new_highs", scope.highs), ("new_lows", scope.lows)):
        lists[name] = ORDERS[name][0](RANKING_SIZE, rows, key=ORDERS[name][1])
    return lists


def _sectors(scope: Scope) -> list[dict]:
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


def _body(scope: Scope, lists: dict[str, list[Row]], *, market: str | None, head: dict) -> dict:
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


def overview_bodies(*, markets: dict[str, Scope], index_rows: Sequence[MarketIndex], at: datetime) -> dict[str, dict]:
    """The record's bodies from the tally: {"ALL": ..., "KOSPI": ..., "KOSDAQ": ...}. No database access."""
    market_lists = {name: _lists(scope) for name, scope in markets.items()}
    every = Scope()
    for scope in markets.values():
        for attribute in ("advancers", "decliners", "unchanged", "upper_limit", "lower_limit"):
            setattr(every, attribute, getattr(every, attribute) + getattr(scope, attribute))
        for sector, totals in scope.sectors.items():
            merged = every.sectors.setdefault(sector, [0] * 7)
            for n, value in enumerate(totals):
                merged[n] += value
    # Every market's top N holds the overall top N: rank only those again (in code order, for ties).
    every_lists = {}
    for name, (pick, key) in ORDERS.items():
        candidates = sorted((row for lists in market_lists.values() for row in lists[name]), key=attrgetter("code"))
        every_lists[name] = pick(RANKING_SIZE, candidates, key=key)
    head = {
        "at": DateTimeField().to_representation(at),
        "indices": [indices.index_quote(index) for index in index_rows],
    }
    bodies = {"ALL": _body(every, every_lists, market=None, head=head)}
    for market in MARKETS:
        scope = markets.get(market, Scope())
        bodies[market] = _body(scope, market_lists.get(market) or _lists(scope), market=market, head=head)
    return bodies


@atomic_with_retry
def _record(*, rows: dict[int, Row], at: datetime) -> MarketOverview:
    rows = {**rows, **rows_not_moving()}
    markets = tally(rows.values())
    # After the stocks' rows (the tick holds their locks): the order index_divisors_kept takes too.
    locked = indices.indices_locked()
    indices.indices_move(indices=locked, universe={name: scope.universe() for name, scope in markets.items()}, at=at)
    bodies = overview_bodies(markets=markets, index_rows=locked, at=at)
    return MarketOverview.objects.create(
        at=at, body=bodies["ALL"], body_kospi=bodies[Market.KOSPI], body_kosdaq=bodies[Market.KOSDAQ]
    )


def market_overview_tick(
    *, stocks: Sequence[Stock], moves: Sequence["PriceMove"], at: datetime
) -> MarketOverview | None:
    """The mover's step, in the tick's transaction after it moved prices: the indices and their
    1-minute bars, then the record.

    The overview is derived data: any failure is logged and the tick goes on (the next tick writes
    a fresh record), except a deadlock or lock timeout, which the tick's transaction retries whole.
    """
    if not moves:
        return None
    try:
        return _record(rows=rows_from_tick(stocks=stocks, moves=moves), at=at)
    except OperationalError as exc:
        if is_retryable(exc):
            raise
        logger.exception("market overview: the record of the tick at %s could not be written", at)
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
    changed = {
        pk: list(ranges.get(pk, (None, None)))
        for pk, high, low in Stock.objects.values_list("pk", "high_52w", "low_52w").order_by("pk")
        if ranges.get(pk, (None, None)) != (high, low)
    }
    rows_update(model=Stock, fields=["high_52w", "low_52w"], rows=changed)
    return len(changed)


def market_overview_roll(*, trading_date: date, stocks_rolled: bool) -> None:
    """The day roll's part: each index closes its day; stocks that rolled get their 52-week range."""
    indices.indices_roll(trading_date=trading_date)
    if stocks_rolled:
        stocks_52w_refresh(trading_date=trading_date)
