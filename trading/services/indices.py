"""KOSPI and KOSDAQ over the simulated universe: full market cap (price × listed shares of every
listed, priced stock of the market, halted ones at their last price) divided by a divisor.

The divisor is first fitted so the index stands at its base (2,600 / 850) at the previous closes.
After that only prices move an index: a listing, a delisting or a change of listed shares goes
through `index_divisors_kept()`, which rescales the divisor by the universe's cap after the change
over its cap before it, both at the same prices. The mover checks every tick that its stocks add
up to what the divisor was fitted to (count and shares); if a change slipped past the service, it
re-reads the universe and refits the divisor to the last value, so the index still does not jump.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from stocking.core.db import rows_update
from stocking.core.money import rate_percent
from trading.models import IndexBar, MarketIndex, PriceBar, Stock

# A module, not a name: market_day imports (through the overview) this one.
from trading.services import market_day
from trading.sessions import current_trading_date

INDEX_BASES = {MarketIndex.Code.KOSPI: Decimal("2600"), MarketIndex.Code.KOSDAQ: Decimal("850")}
POINT = Decimal("0.01")
DIVISOR_PLACES = Decimal("0.000001")
CAP = DecimalField(max_digits=30, decimal_places=0)
MOVED_FIELDS = (
    *("value", "previous_close", "day_open", "day_high", "day_low", "trading_date", "divisor"),
    *("constituents", "constituent_shares", "updated_at"),
)


@dataclass(frozen=True, slots=True)
class Constituents:
    """One market's listed, priced stocks: their cap now and at the previous close, and their
    count and shares (what tells a tick the universe changed under it)."""

    cap: int = 0
    previous_cap: int = 0
    count: int = 0
    shares: int = 0

    @property
    def signature(self) -> tuple[int, int]:
        return (self.count, self.shares)


def indices_locked() -> list[MarketIndex]:
    """Both index rows, created when missing, locked in primary-key order."""
    # Locked so a divisor adjustment and the mover's value never interleave: each sees the
    # other's divisor and universe whole.
    indices = list(MarketIndex.objects.select_for_update().order_by("pk"))
    if len(indices) < len(INDEX_BASES):
        present = {index.code for index in indices}
        MarketIndex.objects.bulk_create(
            [
                MarketIndex(code=code, name=code, base_value=base)
                for code, base in INDEX_BASES.items()
                if code not in present
            ],
            ignore_conflicts=True,
        )
        indices = list(MarketIndex.objects.select_for_update().order_by("pk"))
    return indices


def constituents_read() -> dict[str, Constituents]:
    """Each market's constituents as the database has them now (one grouped query)."""
    rows = (
        Stock.objects.filter(is_listed=True, current_price__isnull=False, market__in=list(INDEX_BASES))
        .values("market")
        .annotate(
            cap=Sum(F("current_price") * F("listed_shares"), output_field=CAP),
            previous_cap=Sum(Coalesce("previous_close", "current_price") * F("listed_shares"), output_field=CAP),
            count=Count("id"),
            shares=Sum("listed_shares"),
        )
        .order_by()
    )
    return {
        row["market"]: Constituents(
            cap=int(row["cap"] or 0),
            previous_cap=int(row["previous_cap"] or 0),
            count=row["count"],
            shares=int(row["shares"] or 0),
        )
        for row in rows
    }


def _points(cap: int, divisor: Decimal) -> Decimal:
    return (Decimal(cap) / divisor).quantize(POINT)


def _fit(index: MarketIndex, universe: Constituents) -> None:
    """A first divisor: the index stands at its base at the previous closes."""
    if universe.previous_cap > 0:
        index.divisor = (Decimal(universe.previous_cap) / index.base_value).quantize(DIVISOR_PLACES)
        index.previous_close = _points(universe.previous_cap, index.divisor)


def _refit(index: MarketIndex, *, old_cap: int, new_cap: int, universe: Constituents) -> None:
    """Keep the index where it is across a change of its universe (both caps at the same prices)."""
    if index.divisor is None:
        _fit(index, universe)
    elif old_cap > 0 and new_cap > 0:
        index.divisor = (index.divisor * Decimal(new_cap) / Decimal(old_cap)).quantize(DIVISOR_PLACES)
    elif new_cap > 0 and index.value:
        # The market was empty: the first listings continue from the last value.
        index.divisor = (Decimal(new_cap) / index.value).quantize(DIVISOR_PLACES)
    index.constituents, index.constituent_shares = universe.signature


def _snapshot() -> dict[int, tuple]:
    return {
        pk: (market, price, previous_close, shares, listed)
        for pk, market, price, previous_close, shares, listed in Stock.objects.values_list(
            "pk", "market", "current_price", "previous_close", "listed_shares", "is_listed"
        )
    }


@contextmanager
def index_divisors_kept() -> Iterator[None]:
    """Run a listing, delisting or change of listed shares (or any mix, prices included) inside this
    block: on the way out each divisor is rescaled so the change moves no index. Price changes made
    in the block still move it, as a price feed should. One transaction.

    The index rows are locked after the block, once its stock rows are: the price mover takes them
    in that order too (stocks, then indices), so the two never deadlock; a tick that loaded its
    stocks before the change sees the universe differ from the divisor and re-reads it."""
    with transaction.atomic():
        before = _snapshot()
        yield
        indices = indices_locked()
        after = _snapshot()
        for index in indices:
            old_cap = new_cap = 0
            for pk, (market, price, _, shares, listed) in before.items():
                now_price = after.get(pk, (None, None))[1] or price
                if listed and price is not None and market == index.code and now_price is not None:
                    old_cap += int(now_price) * shares
            universe = _universe(after, index.code)
            new_cap = universe.cap
            _refit(index, old_cap=old_cap, new_cap=new_cap, universe=universe)
            if index.value is None and index.divisor is not None and new_cap:
                index.value = _points(new_cap, index.divisor)
        MarketIndex.objects.bulk_update(
            indices, ["divisor", "previous_close", "value", "constituents", "constituent_shares"]
        )


def _universe(snapshot: dict[int, tuple], market: str) -> Constituents:
    cap = previous_cap = count = shares = 0
    for stock_market, price, previous_close, stock_shares, listed in snapshot.values():
        if listed and price is not None and stock_market == market:
            cap += int(price) * stock_shares
            previous_cap += int(previous_close or price) * stock_shares
            count += 1
            shares += stock_shares
    return Constituents(cap=cap, previous_cap=previous_cap, count=count, shares=shares)


def indices_move(*, indices: list[MarketIndex], universe: dict[str, Constituents], at: datetime) -> None:
    """The mover's step, under the index row locks: each index's value and day range from its
    market's cap this tick, and its 1-minute bar. `universe` comes from the rows the tick loaded;
    a market whose count or shares differ from what the divisor was fitted to is re-read."""
    fresh: dict[str, Constituents] | None = None
    for index in indices:
        current = universe.get(index.code, Constituents())
        if index.divisor is not None and current.signature != (index.constituents, index.constituent_shares):
            fresh = constituents_read() if fresh is None else fresh
            current = fresh.get(index.code, Constituents())
            if current.signature != (index.constituents, index.constituent_shares):
                # Changed without index_divisors_kept (a raw edit): absorb it at the last value.
                if index.value and current.cap:
                    index.divisor = (Decimal(current.cap) / index.value).quantize(DIVISOR_PLACES)
                index.constituents, index.constituent_shares = current.signature
        if index.divisor is None:
            _fit(index, current)
            index.constituents, index.constituent_shares = current.signature
        if index.divisor is None or not current.cap:
            continue
        value = _points(current.cap, index.divisor)
        if index.trading_date is None:
            index.trading_date = current_trading_date(at)
            index.previous_close = index.previous_close or value
        index.day_open = index.day_open or value
        index.day_high = max(index.day_high or value, value)
        index.day_low = min(index.day_low or value, value)
        index.value, index.updated_at = value, at
    fields = [*MOVED_FIELDS]
    rows_update(
        model=MarketIndex,
        fields=fields,
        rows={index.pk: [getattr(index, name) for name in fields] for index in indices},
    )
    index_minute_bars_record(indices=[index for index in indices if index.value is not None], at=at)


def index_minute_bars_record(*, indices: list[MarketIndex], at: datetime) -> None:
    """Fold each index's value into its 1-minute bar (two statements for both indices)."""
    if not indices:
        return
    start = at.replace(second=0, microsecond=0)
    existing = {
        bar.index_id: bar
        for bar in IndexBar.objects.filter(index__in=indices, interval=PriceBar.Interval.MINUTE, start=start)
    }
    bars = []
    for index in indices:
        bar = existing.get(index.pk)
        value = index.value
        high = value if bar is None else max(bar.high, value)
        low = value if bar is None else min(bar.low, value)
        opened = value if bar is None else bar.open
        bars.append(
            IndexBar(
                index=index,
                interval=PriceBar.Interval.MINUTE,
                start=start,
                open=opened,
                high=high,
                low=low,
                close=value,
            )
        )
    # MySQL upserts on any unique key and refuses a conflict target; SQLite and PostgreSQL need one.
    target = ["index", "interval", "start"] if connection.features.supports_update_conflicts_with_target else None
    IndexBar.objects.bulk_create(
        bars, update_conflicts=True, unique_fields=target, update_fields=["high", "low", "close"]
    )


def indices_roll(*, trading_date: date) -> int:
    """Close each index's finished day into a 1d bar and start `trading_date` from its last value.
    Idempotent like the stocks' roll: a compare-and-swap on the index's trading date."""
    rolled = 0
    for pk in MarketIndex.objects.filter(Q(trading_date__lt=trading_date)).values_list("pk", flat=True):
        with transaction.atomic():
            index = MarketIndex.objects.select_for_update().get(pk=pk)
            finished = index.trading_date
            if finished is None or finished >= trading_date or index.value is None:
                continue
            value = index.value
            IndexBar.objects.update_or_create(
                index=index,
                interval=PriceBar.Interval.DAY,
                start=market_day.daily_bar_start(finished),
                defaults={
                    "open": index.day_open or value,
                    "high": max(index.day_high or value, value),
                    "low": min(index.day_low or value, value),
                    "close": value,
                },
            )
            rolled += MarketIndex.objects.filter(pk=pk, trading_date=finished).update(
                trading_date=trading_date,
                previous_close=value,
                day_open=value,
                day_high=value,
                day_low=value,
                updated_at=timezone.now(),
            )
    return rolled


def index_quote(index: MarketIndex) -> dict:
    """An index as the overview and GET /api/v1/indices show it (decimal strings, points)."""
    change = None if index.value is None or index.previous_close is None else index.value - index.previous_close
    rate = rate_percent(change, index.previous_close) if change is not None else None

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "code": index.code,
        "name": index.name,
        "value": text(index.value),
        "previous_close": text(index.previous_close),
        "change": text(change),
        "change_rate": text(rate),
        "open": text(index.day_open),
        "high": text(index.day_high),
        "low": text(index.day_low),
    }


def index_history_seed() -> int:
    """Daily bars for an index that has none, from its stocks' daily bars at today's shares and
    divisor (the demo seed's year of history). Days some stock lacks a bar are left out, so a gap
    never shows as a crash. High and low sit halfway between the day's body and the sum of the
    stocks' highs (lows), which no index reaches since its stocks do not peak together."""
    written = 0
    for index in MarketIndex.objects.filter(divisor__isnull=False).exclude(bars__interval=PriceBar.Interval.DAY):
        shares = F("stock__listed_shares")
        days = list(
            PriceBar.objects.filter(
                interval=PriceBar.Interval.DAY,
                stock__market=index.code,
                stock__is_listed=True,
                stock__current_price__isnull=False,
            )
            .values("start")
            .annotate(
                open=Sum(F("open") * shares, output_field=CAP),
                high=Sum(F("high") * shares, output_field=CAP),
                low=Sum(F("low") * shares, output_field=CAP),
                close=Sum(F("close") * shares, output_field=CAP),
                stocks=Count("id"),
            )
            .order_by("start")
        )
        complete = max((day["stocks"] for day in days), default=0)
        bars = []
        for day in days:
            if day["stocks"] < complete:
                continue
            opened, closed = _points(int(day["open"]), index.divisor), _points(int(day["close"]), index.divisor)
            top, bottom = max(opened, closed), min(opened, closed)
            high = (top + (_points(int(day["high"]), index.divisor) - top) / 2).quantize(POINT)
            low = (bottom - (bottom - _points(int(day["low"]), index.divisor)) / 2).quantize(POINT)
            bars.append(
                IndexBar(
                    index=index,
                    interval=PriceBar.Interval.DAY,
                    start=day["start"],
                    open=opened,
                    high=high,
                    low=low,
                    close=closed,
                )
            )
        IndexBar.objects.bulk_create(bars, batch_size=1000)
        written += len(bars)
    return written
