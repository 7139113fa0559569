"""Money helpers: KRW amounts are Decimals; fees and tax are truncated to whole won at the boundary."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

WON = Decimal("1")
CENT = Decimal("0.01")
ZERO = Decimal("0")


def truncate_won(amount: Decimal) -> Decimal:
    """Drop everything below one won (brokers truncate commission and tax)."""
    return amount.quantize(WON, rounding=ROUND_DOWN)


def round_money(amount: Decimal) -> Decimal:
    """Round to the 2 decimal places money columns hold (used for proportional cost basis)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value) -> Decimal:
    """Build a Decimal from a str/int/Decimal, never from a float (floats carry binary noise)."""
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def is_whole_won(amount: Decimal) -> bool:
    return amount == amount.to_integral_value()


def rate_percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """`numerator / denominator` in percent with two decimals (as quotes show change rates); None
    when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)
