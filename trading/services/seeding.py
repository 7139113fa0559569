"""Demo data: the stock universe with a year of daily bars, and demo users who trade through order_place.

Every step is idempotent: stocks are matched by code, bars are written only for a stock that has
none, users by username, and demo orders by their client_order_id, so a second run changes nothing.

The random walk is float arithmetic by nature; every price leaving it goes through a string and
onto the KRX tick grid (trading.krx) before it becomes a Decimal in the database.
"""

import contextlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q

from accounts.models import User
from accounts.services import user_register, user_update_profile
from portfolio.models import Balance, Position
from stocking.core.exceptions import ApplicationError
from trading import krx
from trading.demo_data import DemoOrder, DemoStock, DemoUser
from trading.models import OPEN_STATUSES, MarketOverview, Order, OrderSide, OrderType, PriceBar, Stock
from trading.services.indices import index_divisors_kept, index_history_seed
from trading.services.market_day import daily_bar_start
from trading.services.orders import PlacedOrder, UnknownStock, order_place, stock_get_tradable, stock_price_limits
from trading.services.overview import market_overview_write, stocks_52w_refresh
from trading.sessions import current_trading_date, is_trading_day

BAR_BATCH_SIZE = 1000
# Log-return cap per simulated day: exp(±0.2) is +22%/−18%, well inside the ±30% KRX limit.
MAX_DAILY_MOVE = 0.2
# Typical daily turnover (won) a demo stock's share volume is derived from.
BASE_TURNOVER = 50_000_000_000


class SeedRefused(ApplicationError):
    code = "seed_refused"
    default_message = "The demo seed refused to change an existing account."


@dataclass(frozen=True)
class DayBar:
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass
class StockSeedResult:
    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    bars_created: int = 0
    stocks_given_bars: int = 0
    first_bar_day: date | None = None
    last_bar_day: date | None = None
    shares_filled: int = 0  # existing stocks that had no listed shares yet


@dataclass
class UserSeedResult:
    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    orders_created: int = 0
    orders_found: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UserSummary:
    username: str
    cash: Decimal
    reserved_cash: Decimal
    positions: int
    open_orders: int


def _snap(value: float) -> Decimal:
    return krx.round_to_tick(Decimal(f"{value:.4f}"))


def trading_days_before(*, end_before: date, days: int) -> list[date]:
    """KRX trading days among the `days` calendar days before `end_before` (excluded), oldest first."""
    first = end_before - timedelta(days=days)
    calendar = (first + timedelta(days=n) for n in range(days))
    return [day for day in calendar if is_trading_day(day)]


def _walk_back(*, rng: random.Random, end_close: Decimal, steps: int, sigma: float, drift: float) -> list[Decimal]:
    """`steps + 1` closes on the tick grid, oldest first, ending exactly at `end_close`."""
    closes = [end_close]
    for _ in range(steps):
        later = closes[-1]
        move = max(-MAX_DAILY_MOVE, min(MAX_DAILY_MOVE, rng.gauss(drift, sigma)))
        earlier = _snap(float(later) / math.exp(move))
        # Tick rounding at the bottom of the grid could push a move past the limit: call it a flat day.
        if not krx.price_limits(earlier).contains(later):
            earlier = later
        closes.append(earlier)
    closes.reverse()
    return closes


def _day_range(
    *, rng: random.Random, previous_close: Decimal, close: Decimal, sigma: float
) -> tuple[Decimal, Decimal, Decimal]:
    """Open, high and low of a day that closed at `close`: on the tick grid, inside the day's limits."""
    limits = krx.price_limits(previous_close)
    day_open = limits.clamp(_snap(float(previous_close) * math.exp(rng.gauss(0, sigma * 0.4))))
    top = float(max(day_open, close)) * math.exp(abs(rng.gauss(0, sigma * 0.5)))
    bottom = float(min(day_open, close)) * math.exp(-abs(rng.gauss(0, sigma * 0.5)))
    high = limits.clamp(max(krx.ceil_to_tick(Decimal(f"{top:.4f}")), day_open, close))
    low = limits.clamp(min(krx.floor_to_tick(Decimal(f"{bottom:.4f}")), day_open, close))
    return day_open, high, low


def _base_volume(*, rng: random.Random, price: Decimal) -> int:
    return max(1_000, int(BASE_TURNOVER // int(price) * rng.lognormvariate(0, 0.6)))


def daily_bars_build(
    *, rng: random.Random, closes: Sequence[Decimal], days: Sequence[date], sigma: float, base_volume: int
) -> list[DayBar]:
    """One bar per day; `closes` has one more element than `days`: the close before the first day."""
    if len(closes) != len(days) + 1:
        raise ValueError("closes must hold the close before the first day plus one close per day")
    bars = []
    for index, day in enumerate(days):
        previous_close, close = closes[index], closes[index + 1]
        day_open, high, low = _day_range(rng=rng, previous_close=previous_close, close=close, sigma=sigma)
        volume = int(base_volume * rng.lognormvariate(0, 0.35))
        bars.append(DayBar(day=day, open=day_open, high=high, low=low, close=close, volume=volume))
    return bars


def _price_bars(stock: Stock, bars: Sequence[DayBar]) -> list[PriceBar]:
    return [
        PriceBar(
            stock=stock,
            interval=PriceBar.Interval.DAY,
            start=daily_bar_start(bar.day),
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
        )
        for bar in bars
    ]


def _new_stock(*, demo: DemoStock, rng: random.Random, days: Sequence[date], trading_date: date) -> list[PriceBar]:
    """Create the stock with today's quote; return its bars (unsaved), the last closing at previous_close."""
    price = Decimal(demo.price)
    if not krx.is_on_tick(price):
        raise ValueError(f"{demo.code}: demo price {price} is not on the tick grid")
    sigma = float(demo.volatility)
    drift = rng.gauss(0.0004, 0.0008)
    # One step further than the bars: the last step is today, from previous_close to the current price.
    closes = _walk_back(rng=rng, end_close=price, steps=len(days) + 1, sigma=sigma, drift=drift)
    previous_close = closes[-2]
    day_open, high, low = _day_range(rng=rng, previous_close=previous_close, close=price, sigma=sigma)
    base_volume = _base_volume(rng=rng, price=price)
    volume = int(base_volume * rng.uniform(0.2, 0.8))
    stock = Stock.objects.create(
        code=demo.code,
        name=demo.name,
        market=demo.market,
        sector=demo.sector,
        listed_shares=demo.listed_shares,
        float_ratio=Decimal(demo.float_ratio),
        volatility=Decimal(demo.volatility),
        current_price=price,
        previous_close=previous_close,
        day_open=day_open,
        day_high=high,
        day_low=low,
        volume=volume,
        trading_value=volume * price,
        trading_date=trading_date,
    )
    bars = daily_bars_build(rng=rng, closes=closes[:-1], days=days, sigma=sigma, base_volume=base_volume)
    return _price_bars(stock, bars)


def _history_for(*, stock: Stock, rng: random.Random, days: Sequence[date]) -> list[PriceBar]:
    """Bars for a stock that exists without history (e.g. imported): they end at its previous close."""
    end_close = stock.previous_close or stock.current_price
    sigma = float(stock.volatility)
    closes = _walk_back(rng=rng, end_close=end_close, steps=len(days), sigma=sigma, drift=rng.gauss(0.0004, 0.0008))
    bars = daily_bars_build(
        rng=rng, closes=closes, days=days, sigma=sigma, base_volume=_base_volume(rng=rng, price=end_close)
    )
    return _price_bars(stock, bars)


def stocks_seed(*, universe: Sequence[DemoStock], seed: int, days: int) -> StockSeedResult:
    """Create the demo stocks that are missing, each with `days` calendar days of daily bars.

    Existing stocks keep their quote; one with a price but no daily bars gets a history ending
    at its previous close, one without listed shares gets the universe's. All in one transaction,
    so a failed run leaves no stock without bars; the index divisors absorb whatever it lists.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    trading_date = current_trading_date()
    bar_days = trading_days_before(end_before=trading_date, days=days)
    codes = [demo.code for demo in universe]
    existing = {stock.code: stock for stock in Stock.objects.filter(code__in=codes)}
    with_bars = set(
        PriceBar.objects.filter(stock__code__in=codes, interval=PriceBar.Interval.DAY)
        .values_list("stock__code", flat=True)
        .distinct()
    )
    result = StockSeedResult()
    pending: list[PriceBar] = []
    with index_divisors_kept():
        for demo in universe:
            # A per-stock stream: adding a stock to the universe leaves every other history unchanged.
            rng = random.Random(f"stocking-seed:{seed}:{demo.code}")
            stock = existing.get(demo.code)
            if stock is None:
                pending += _new_stock(demo=demo, rng=rng, days=bar_days, trading_date=trading_date)
                result.created.append(demo.code)
                result.stocks_given_bars += 1
                continue
            result.found.append(demo.code)
            if not stock.listed_shares and demo.listed_shares:
                Stock.objects.filter(pk=stock.pk, listed_shares=0).update(
                    listed_shares=demo.listed_shares, float_ratio=Decimal(demo.float_ratio)
                )
                result.shares_filled += 1
            if demo.code not in with_bars and (stock.previous_close or stock.current_price) and bar_days:
                pending += _history_for(stock=stock, rng=rng, days=bar_days)
                result.stocks_given_bars += 1
        PriceBar.objects.bulk_create(pending, batch_size=BAR_BATCH_SIZE)
    result.bars_created = len(pending)
    if pending:
        result.first_bar_day, result.last_bar_day = bar_days[0], bar_days[-1]
    return result


def market_overview_seed() -> tuple[int, bool]:
    """What the overview needs beyond the stocks: their 52-week ranges, the indices' daily history
    and the first overview record (written only while there is none). Returns (index bars written,
    whether the record was written)."""
    stocks_52w_refresh(trading_date=current_trading_date())
    bars = index_history_seed()
    if MarketOverview.objects.exists():
        return bars, False
    market_overview_write()
    return bars, True


def demo_user_ensure(*, username: str, email: str, password: str) -> tuple[User, bool]:
    """The user named `username`, registered (with the initial grant) when missing. Never resets a password."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    return user_register(username=username, email=email, password=password), True


def admin_user_ensure(*, username: str, email: str, password: str) -> tuple[User, bool]:
    """A staff superuser for local demos. Refuses to promote an existing non-superuser account,
    since its password belongs to whoever registered it."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        if not existing.is_superuser:
            raise SeedRefused(f"User {username!r} exists and is not a superuser; not promoting it.")
        return existing, False
    user = user_register(username=username, email=email, password=password)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user, True


def _limit_price(*, stock: Stock, spec: DemoOrder) -> Decimal:
    target = stock.current_price * (1 + Decimal(spec.limit_offset))
    price = krx.floor_to_tick(target) if spec.side == OrderSide.BUY else krx.ceil_to_tick(target)
    return stock_price_limits(stock).clamp(price)


def demo_order_place(*, user: User, spec: DemoOrder) -> PlacedOrder | None:
    """Place one demo order through order_place, sized from the current price; None when it sizes to 0.

    An order placed by an earlier run is returned as it is (`created=False`), whatever the price now.
    """
    existing = Order.objects.filter(user=user, client_order_id=spec.client_order_id).first()
    if existing is not None:
        return PlacedOrder(existing, created=False)
    stock = stock_get_tradable(code=spec.code)
    limit_price = _limit_price(stock=stock, spec=spec) if spec.order_type == OrderType.LIMIT else None
    if spec.side == OrderSide.BUY:
        quantity = int(Decimal(spec.budget) // (limit_price or stock.current_price))
    else:
        position = Position.objects.filter(user=user, stock=stock).first()
        quantity = min(spec.quantity, position.available_quantity if position else 0)
    if quantity < 1:
        return None
    return order_place(
        user=user,
        stock_code=spec.code,
        side=spec.side,
        order_type=spec.order_type,
        quantity=quantity,
        limit_price=limit_price,
        time_in_force=spec.time_in_force,
        client_order_id=spec.client_order_id,
    )


def _watch(*, user: User, codes: Sequence[str]) -> None:
    """Put the demo stocks on the user's first watchlist, skipping those already there."""
    # watchlist depends on trading; only this demo seeding reaches back up, at call time.
    from watchlist.models import Watchlist
    from watchlist.services import AlreadyInWatchlist, watchlist_add_stock

    watchlist = Watchlist.objects.filter(user=user).order_by("position", "id").first()
    if watchlist is None:
        return
    for code in codes:
        with contextlib.suppress(AlreadyInWatchlist, UnknownStock):
            watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=code)


def demo_users_seed(*, users: Sequence[DemoUser]) -> UserSeedResult:
    """Register the demo users that are missing and place their demo orders (each its own transaction).

    An order the rules refuse (market closed, halted stock, not enough cash at today's prices) is
    reported in `skipped` instead of stopping the seed; a later run places it.
    """
    result = UserSeedResult()
    for demo in users:
        user, created = demo_user_ensure(username=demo.username, email=demo.email, password=demo.password)
        if not created and user.email != demo.email:
            # Someone registered this username for real: never trade in their account.
            result.skipped.append(f"{demo.username}: an unrelated account has this username; left alone")
            continue
        (result.created if created else result.found).append(demo.username)
        if created:
            # On the leaderboard under a display name, as a real user would choose to be.
            user_update_profile(user=user, display_name=demo.display_name, show_on_leaderboard=True)
        _watch(user=user, codes=demo.watching)
        for spec in demo.orders:
            label = f"{demo.username} {spec.side} {spec.code}"
            try:
                placed = demo_order_place(user=user, spec=spec)
            except ApplicationError as exc:
                result.skipped.append(f"{label}: {exc.message}")
                continue
            if placed is None:
                result.skipped.append(f"{label}: sizes to zero shares at today's price")
            elif placed.created:
                result.orders_created += 1
            else:
                result.orders_found += 1
    return result


def user_summaries(*, usernames: Sequence[str]) -> list[UserSummary]:
    """Cash, reservations, holdings and open orders of the named users, in the order given."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=usernames).annotate(
            position_count=Count("positions", distinct=True),
            open_order_count=Count("orders", filter=Q(orders__status__in=OPEN_STATUSES), distinct=True),
        )
    }
    balances = {b.user_id: b for b in Balance.objects.filter(user__username__in=usernames)}
    summaries = []
    for username in usernames:
        user = users.get(username)
        if user is None:
            continue
        balance = balances.get(user.pk)
        summaries.append(
            UserSummary(
                username=username,
                cash=balance.cash if balance else Decimal("0"),
                reserved_cash=balance.reserved_cash if balance else Decimal("0"),
                positions=user.position_count,
                open_orders=user.open_order_count,
            )
        )
    return summaries
