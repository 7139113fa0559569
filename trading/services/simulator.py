"""The price simulator: a seeded, correlated log-normal random walk on the KRX tick grid.

Each tick draws one market factor shared by every stock plus one idiosyncratic shock per stock,
so stocks drift together the way an index does. Randomness is drawn before any write, in stock
code order, so a given seed and starting state always produce the same prices — even when the
write transaction is retried after a MySQL deadlock.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from stocking.core.db import atomic_with_retry, rows_update_each
from stocking.core.money import rate_percent
from stocking.core.wakeup import wakeup_after_commit
from trading import krx
from trading.models import MarketTick, PriceBar, Stock
from trading.services.overview import market_overview_tick
from trading.sessions import market_clock

SESSION_SECONDS = 390 * 60  # 09:00–15:30: the period a daily σ describes
# Typical KRX daily turnover of a mid/large cap in won; only sets the scale of simulated volume.
DAILY_TURNOVER_WON = 20_000_000_000


@dataclass(frozen=True)
class PriceMove:
    stock_id: int
    code: str
    old_price: Decimal
    old_volume: int
    trading_date: date | None  # with price and volume, the version the write checks
    price: Decimal
    volume: int
    day_open: Decimal
    day_high: Decimal
    day_low: Decimal
    trading_value: Decimal = Decimal("0")  # the day's, this trade included
    vi_until: datetime | None = None  # set when this trade starts a VI; a past VI ends with any trade
    vi_reference: Decimal | None = None
    vi_ended: bool = False  # this trade is the single price that ends a VI


@dataclass(frozen=True)
class TickResult:
    at: datetime
    considered: int  # tradable stocks this tick looked at
    traded: int  # stocks whose row this tick updated (volume, bars), price changed or not
    moved_stock_ids: tuple[int, ...]  # stocks whose price changed

    @property
    def moved(self) -> int:
        return len(self.moved_stock_ids)


def tick_sigma(*, daily_sigma: float, interval_seconds: float, speedup: float) -> float:
    """σ of one tick's log return: variance grows with simulated time (interval × speed-up)."""
    return daily_sigma * math.sqrt(max(interval_seconds, 0.0) * speedup / SESSION_SECONDS)


def _to_price(value: float) -> Decimal:
    # Through a string: a Decimal built from a float would carry its binary noise.
    return Decimal(f"{value:.4f}")


def snap_to_grid(*, target: Decimal, rng: random.Random) -> Decimal:
    """Put `target` on the tick grid, rounding up with probability equal to its distance from the
    lower grid price. Plain round-to-nearest would swallow every move smaller than half a tick: at
    the default speed a 200,000 won stock (500 won ticks) would move on ~3% of ticks and show a
    fraction of its volatility. Dithering keeps the walk unbiased and its variance intact. The draw
    happens even on the grid, so the random stream does not depend on the price."""
    draw = rng.random()
    low = max(krx.floor_to_tick(target), Decimal("1"))
    high = krx.ceil_to_tick(target)
    if high <= low:
        return krx.round_to_tick(low)
    fraction = float((target - low) / (high - low))
    return high if draw < fraction else low


def tick_volume(*, price: Decimal, interval_seconds: float, speedup: float, shock: float, rng: random.Random) -> int:
    """Shares traded in one tick: turnover scaled to the simulated time, busier on big moves."""
    share_of_day = max(interval_seconds, 0.0) * speedup / SESSION_SECONDS
    expected = DAILY_TURNOVER_WON * share_of_day / float(price)
    return max(1, int(expected * (0.5 + abs(shock)) * rng.uniform(0.5, 1.5)))


def vi_ticks(*, interval_seconds: float, speedup: float) -> int:
    """A VI's length in ticks: its two simulated minutes at this tick interval and speed-up."""
    simulated = interval_seconds * speedup
    return math.ceil(krx.STATIC_VI_SECONDS / simulated) if simulated > 0 else 1


def plan_moves(
    *,
    stocks: list[Stock],
    rng: random.Random,
    interval_seconds: float,
    speedup: float,
    market_weight: float,
    now: datetime | None = None,
) -> list[PriceMove]:
    """Draw this tick's new price and volume for each stock (in the given order). No database access.

    A stock in a VI at `now` does not trade (its draws are still taken, so the random stream of the
    others does not depend on it); a trade that would leave the static VI band stops at its edge and
    starts a VI of `vi_ticks` ticks.
    """
    now = now or timezone.now()
    vi_length = timedelta(seconds=vi_ticks(interval_seconds=interval_seconds, speedup=speedup) * interval_seconds)
    market_shock = rng.gauss(0.0, 1.0)
    own_weight = math.sqrt(max(0.0, 1.0 - market_weight**2))
    moves = []
    for stock in stocks:
        own_shock = rng.gauss(0.0, 1.0)
        shock = market_weight * market_shock + own_weight * own_shock
        sigma = tick_sigma(daily_sigma=float(stock.volatility), interval_seconds=interval_seconds, speedup=speedup)
        # −σ²/2 keeps the expected price flat (a log-normal walk otherwise drifts upward).
        log_return = sigma * shock - sigma * sigma / 2
        target = _to_price(float(stock.current_price) * math.exp(log_return))
        limits = krx.price_limits(stock.previous_close or stock.current_price)
        price = limits.clamp(snap_to_grid(target=target, rng=rng))
        volume = tick_volume(price=price, interval_seconds=interval_seconds, speedup=speedup, shock=shock, rng=rng)
        if stock.vi_active(now):
            continue
        vi_until, vi_reference = None, stock.vi_reference
        trigger = krx.static_vi_trigger(
            reference=vi_reference or stock.previous_close or stock.current_price,
            old_price=stock.current_price,
            new_price=price,
        )
        if trigger is not None:
            price = limits.clamp(trigger)
            vi_until, vi_reference = now + vi_length, price
        day_open = stock.day_open or stock.current_price
        moves.append(
            PriceMove(
                stock_id=stock.pk,
                code=stock.code,
                old_price=stock.current_price,
                old_volume=stock.volume,
                trading_date=stock.trading_date,
                price=price,
                volume=volume,
                day_open=day_open,
                day_high=max(stock.day_high or day_open, day_open, price),
                day_low=min(stock.day_low or day_open, day_open, price),
                trading_value=stock.trading_value + price * volume,
                vi_until=vi_until,
                vi_reference=vi_reference,
                vi_ended=stock.vi_until is not None,
            )
        )
    return moves


def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def minute_bars_record(*, moves: list[PriceMove], start: datetime) -> None:
    """Fold this tick's trades into each stock's 1-minute bar, creating it on the minute's first trade.

    The caller holds the stocks' row locks, so no other simulator writes these bars meanwhile.
    """
    existing = {
        bar.stock_id: bar
        for bar in PriceBar.objects.filter(
            interval=PriceBar.Interval.MINUTE, start=start, stock_id__in=[move.stock_id for move in moves]
        )
    }
    changed, created = [], []
    for move in moves:
        bar = existing.get(move.stock_id)
        if bar is None:
            created.append(
                PriceBar(
                    stock_id=move.stock_id,
                    interval=PriceBar.Interval.MINUTE,
                    start=start,
                    open=move.price,
                    high=move.price,
                    low=move.price,
                    close=move.price,
                    volume=move.volume,
                )
            )
            continue
        bar.high = max(bar.high, move.price)
        bar.low = min(bar.low, move.price)
        bar.close = move.price
        bar.volume += move.volume
        changed.append(bar)
    rows_update_each(
        model=PriceBar,
        fields=["high", "low", "close", "volume"],
        rows={bar.pk: [bar.high, bar.low, bar.close, bar.volume] for bar in changed},
    )
    PriceBar.objects.bulk_create(created, batch_size=500)


@atomic_with_retry
def _apply_moves(
    *,
    moves: list[PriceMove],
    now: datetime,
    previous_closes: dict[int, Decimal] | None = None,
    stocks: Sequence[Stock] = (),
) -> list[PriceMove]:
    if not moves:
        return []
    # Lock the stocks, in primary-key order, so a second simulator process or a day roll waits for
    # this tick instead of interleaving with it; then keep only the moves planned from the row as
    # it still is. A row another tick, a roll, a halt or an import changed since is left alone.
    current = {
        pk: version
        for pk, *version in Stock.objects.select_for_update()
        .filter(pk__in=[move.stock_id for move in moves], is_listed=True, is_halted=False)
        .order_by("pk")
        .values_list("pk", "current_price", "volume", "trading_date")
    }
    applied = [
        move for move in moves if current.get(move.stock_id) == [move.old_price, move.old_volume, move.trading_date]
    ]
    rows_update_each(
        model=Stock,
        fields=[
            *("current_price", "day_open", "day_high", "day_low", "volume", "trading_value"),
            *("vi_until", "vi_reference", "updated_at"),
        ],
        rows={
            move.stock_id: [
                *(move.price, move.day_open, move.day_high, move.day_low),
                *(move.old_volume + move.volume, move.trading_value, move.vi_until, move.vi_reference, now),
            ]
            for move in applied
        },
    )
    minute_bars_record(moves=applied, start=minute_start(now))
    if previous_closes is not None:
        tick_record(moves=applied, previous_closes=previous_closes, at=now)
        market_overview_tick(stocks=stocks, moves=applied, at=now)
    return applied


def tick_record(*, moves: list[PriceMove], previous_closes: dict[int, Decimal], at: datetime) -> MarketTick | None:
    """One row for the quotes this tick changed, in the tick's transaction (the stream sends them)."""
    quotes = []
    for move in moves:
        if move.price == move.old_price and not move.vi_ended:
            continue
        base = previous_closes.get(move.stock_id) or move.old_price
        change = move.price - base
        quotes.append(
            {
                "code": move.code,
                "price": str(move.price),
                "change": str(change),
                "change_rate": str(rate_percent(change, base)),
                "volume": move.old_volume + move.volume,
                "vi_until": move.vi_until.isoformat() if move.vi_until else None,
            }
        )
    if not quotes:
        return None
    wakeup_after_commit("ticks")  # the stream sends the tick once it commits, not at its next poll
    return MarketTick.objects.create(at=at, quotes=quotes)


def simulatable_stocks() -> list[Stock]:
    """Listed, not halted, priced stocks in code order (the order the random stream is drawn in)."""
    return list(
        Stock.objects.tradable()
        .only(
            "id",
            "code",
            "current_price",
            "previous_close",
            "day_open",
            "day_high",
            "day_low",
            "volume",
            "trading_date",
            "volatility",
            "vi_until",
            "vi_reference",
            # what the overview needs of them too (trading.services.overview.ROW_FIELDS)
            *("name", "market", "sector", "trading_value", "listed_shares", "high_52w", "low_52w", "is_halted"),
        )
        .order_by("code")
    )


def market_tick(
    *,
    rng: random.Random,
    interval_seconds: float | None = None,
    speedup: float | None = None,
    now: datetime | None = None,
    record_tick: bool = True,
) -> TickResult:
    """Move every tradable stock one step and record the trades in 1-minute bars, and the changed
    quotes as one tick record for the live stream.

    `interval_seconds` is the real time one tick stands for (the run_market interval) and
    `speedup` how many simulated seconds pass per real second (SIMULATOR_SPEEDUP). With market
    hours enforced, nothing moves while the market is closed.
    """
    now = now or timezone.now()
    interval_seconds = settings.MARKET_ENGINE_INTERVAL if interval_seconds is None else interval_seconds
    speedup = settings.SIMULATOR_SPEEDUP if speedup is None else speedup
    if not market_clock(now).is_open:
        return TickResult(at=now, considered=0, traded=0, moved_stock_ids=())
    stocks = simulatable_stocks()
    moves = plan_moves(
        stocks=stocks,
        rng=rng,
        interval_seconds=interval_seconds,
        speedup=speedup,
        market_weight=settings.SIMULATOR_MARKET_WEIGHT,
        now=now,
    )
    previous_closes = {stock.pk: stock.previous_close for stock in stocks} if record_tick else None
    applied = _apply_moves(moves=moves, now=now, previous_closes=previous_closes, stocks=stocks)
    moved = tuple(move.stock_id for move in applied if move.price != move.old_price)
    return TickResult(at=now, considered=len(stocks), traded=len(applied), moved_stock_ids=moved)
