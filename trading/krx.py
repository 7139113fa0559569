"""KRX rules: tick sizes, daily price limits, commission and tax. Pure functions over Decimals."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings

from stocking.core.money import truncate_won

# (upper bound exclusive, tick) — the unified KOSPI/KOSDAQ table in force since 2023.
TICK_TABLE: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("2000"), Decimal("1")),
    (Decimal("5000"), Decimal("5")),
    (Decimal("20000"), Decimal("10")),
    (Decimal("50000"), Decimal("50")),
    (Decimal("200000"), Decimal("100")),
    (Decimal("500000"), Decimal("500")),
)
TOP_TICK = Decimal("1000")


def tick_size(price: Decimal) -> Decimal:
    for bound, tick in TICK_TABLE:
        if price < bound:
            return tick
    return TOP_TICK


def is_on_tick(price: Decimal) -> bool:
    return price > 0 and price % tick_size(price) == 0


def floor_to_tick(price: Decimal) -> Decimal:
    """The highest grid price at or below `price`."""
    tick = tick_size(price)
    return (price / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def ceil_to_tick(price: Decimal) -> Decimal:
    """The lowest grid price at or above `price`."""
    tick = tick_size(price)
    snapped = (price / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    # Crossing a band edge upward lands on a multiple of the coarser tick, which is on the grid too.
    return snapped


def round_to_tick(price: Decimal) -> Decimal:
    """The nearest grid price (ties go up); never below the smallest tick."""
    low, high = floor_to_tick(price), ceil_to_tick(price)
    nearest = low if price - low < high - price else high
    return max(nearest, TICK_TABLE[0][1])


@dataclass(frozen=True)
class PriceLimits:
    lower: Decimal
    upper: Decimal

    def contains(self, price: Decimal) -> bool:
        return self.lower <= price <= self.upper

    def clamp(self, price: Decimal) -> Decimal:
        return min(max(price, self.lower), self.upper)


def price_limits(previous_close: Decimal) -> PriceLimits:
    """±PRICE_LIMIT_RATE of the previous close, moved inward onto the tick grid."""
    rate = settings.PRICE_LIMIT_RATE
    upper = floor_to_tick(previous_close * (1 + rate))
    lower = ceil_to_tick(previous_close * (1 - rate))
    return PriceLimits(lower=max(lower, Decimal("1")), upper=upper)


# 정적 VI: a trade 10% or more away from the reference price (the previous close, or the last VI's
# price) stops at the band edge and opens a two-minute single-price period.
STATIC_VI_RATE = Decimal("0.10")
STATIC_VI_SECONDS = 120  # simulated seconds


def static_vi_trigger(*, reference: Decimal, old_price: Decimal, new_price: Decimal) -> Decimal | None:
    """The price a move from `old_price` to `new_price` stops at when it leaves the static VI band
    around `reference` (the first grid price at or past ±10%), or None when it stays inside. A price
    already outside the band (an import, a limit move before any VI) triggers nothing more."""
    upper = ceil_to_tick(reference * (1 + STATIC_VI_RATE))
    lower = floor_to_tick(reference * (1 - STATIC_VI_RATE))
    if old_price < upper <= new_price:
        return upper
    if new_price <= lower < old_price:
        return lower
    return None


def commission(amount: Decimal) -> Decimal:
    return truncate_won(amount * settings.COMMISSION_RATE)


def sell_tax(amount: Decimal, market: str) -> Decimal:
    return truncate_won(amount * settings.SELL_TAX_RATES.get(market, Decimal("0")))


def buy_reservation(quantity: int, price: Decimal) -> Decimal:
    """Cash held for a buy of `quantity` at up to `price`: the amount plus its commission."""
    gross = price * quantity
    return gross + commission(gross)


def max_buy_quantity(available: Decimal, price: Decimal) -> int:
    """The most shares whose reservation at `price` fits in `available` cash."""
    if price <= 0 or available <= 0:
        return 0
    quantity = int(available / (price * (1 + settings.COMMISSION_RATE)))
    while quantity > 0 and buy_reservation(quantity, price) > available:
        quantity -= 1
    while buy_reservation(quantity + 1, price) <= available:
        quantity += 1
    return quantity


def tick_below(price: Decimal) -> Decimal:
    """The next grid price under `price` (prices are whole won, so one won down then floored)."""
    return floor_to_tick(price - 1)


def tick_above(price: Decimal) -> Decimal:
    """The next grid price over `price`."""
    return ceil_to_tick(price + 1)
