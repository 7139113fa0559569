"""The one place pages format money, quantities and price changes (static/js/format.js mirrors it).

Korean conventions: won with the ₩ sign and thousands separators, rates with an explicit sign,
rises red and falls blue; colour is never the only cue, so changes also carry ▲/▼ and a sign.
Values arrive as Decimals, ints, decimal strings (API style) or None; floats are refused.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

register = template.Library()

DASH = "–"
UP, DOWN = "▲", "▼"


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, float | bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _round(amount: Decimal) -> Decimal:
    """Whole numbers stay whole; fractional ones (an average fill price) keep two places, half up.
    Signs and arrows are decided on this rounded value, so nothing reads "+0.00"."""
    places = Decimal(1) if amount == amount.to_integral_value() else Decimal("0.01")
    return amount.quantize(places, rounding=ROUND_HALF_UP)


def _sign(amount: Decimal, plus: str = "+") -> str:
    return plus if amount > 0 else "-" if amount < 0 else ""


@register.filter
def number(value) -> str:
    """1234567 → "1,234,567"; 70050.5 → "70,050.50"; None → "–"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = _round(amount)
    return _sign(amount, plus="") + f"{abs(amount):,}"


@register.filter
def won(value) -> str:
    """10000000 → "₩10,000,000"; -1500 → "-₩1,500"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = _round(amount)
    return _sign(amount, plus="") + f"₩{abs(amount):,}"


@register.filter
def signed_won(value) -> str:
    """A profit or loss: "+₩1,500", "-₩1,500", "₩0"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = _round(amount)
    return _sign(amount) + f"₩{abs(amount):,}"


@register.filter
def rate(value) -> str:
    """A percentage that is already ×100: "1.25" → "+1.25%", "-0.5" → "-0.50%", 0 → "0.00%"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{_sign(amount)}{abs(amount):,}%"


@register.filter
def percent(value) -> str:
    """A share of a whole, unsigned: "12.5" → "12.50%" (a weight, a win rate); None → "–"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{_sign(amount, plus='')}{abs(amount):,}%"


@register.filter
def change(value) -> str:
    """A price change with its arrow: 1200 → "▲1,200", -500 → "▼500", 0 → "0"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    amount = _round(amount)
    return (UP if amount > 0 else DOWN if amount < 0 else "") + f"{abs(amount):,}"


@register.filter
def trend(value) -> str:
    """The CSS class for a signed value: "up" (red), "down" (blue) or "flat"."""
    amount = _decimal(value)
    if amount is None or amount == 0:
        return "flat"
    return "up" if amount > 0 else "down"


def price_change(current, previous) -> tuple[Decimal, Decimal] | None:
    """(change, change rate in percent, two places) from a price and the previous close."""
    current, previous = _decimal(current), _decimal(previous)
    if current is None or not previous:
        return None
    diff = current - previous
    return diff, (diff * 100 / previous).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@register.simple_tag
def quote_change(stock) -> str:
    """A stock's change from the previous close as "▲1,200 +1.74%" in its trend colour.

    The inner spans carry `data-bind` names so static/js/live.js can refresh them from a quote.
    """
    result = price_change(stock.current_price, stock.previous_close)
    diff, pct = result if result else (None, None)
    return format_html(
        '<span class="chg trend-{}" data-trend="change"><span data-bind="change" data-format="change">{}</span> '
        '<span data-bind="change_rate" data-format="rate">{}</span></span>',
        trend(diff),
        change(diff),
        rate(pct),
    )
