"""Server-rendered SVG charts: no chart library, no script, nothing for a content security policy
to block. Geometry only (floats are fine for pixels); colours come from CSS classes, never from
style attributes, so rises are red and falls blue as everywhere else on the site.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from stocking.core.clock import SEOUL


class Bar(Protocol):
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass(frozen=True)
class Frame:
    """Where the plot sits inside the viewBox; the right margin holds the price axis (Korean style)."""

    width: int = 640
    height: int = 320
    left: int = 6
    right: int = 76
    top: int = 10
    bottom: int = 22

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def nice_step(span: float, target_lines: int = 4) -> float:
    """A round grid step (1, 2, 2.5 or 5 × 10ⁿ) giving about `target_lines` lines over `span`."""
    if span <= 0:
        return 1.0
    raw = span / target_lines
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return max(factor * magnitude, 1.0)  # prices are whole won
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(value: float) -> str:
    return f"{value:,.0f}"


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def won_axis_label(value: float) -> str:
    """Account-sized amounts for the narrow price axis: 만/억 in Korean (9,925,000 → "992.5만"),
    K/M otherwise ("9.925M"); small amounts stay whole won."""
    korean = (get_language() or "ko").startswith("ko")
    size = abs(value)
    if korean and size >= 1e8:
        return _trim(f"{value / 1e8:,.2f}") + "억"
    if korean and size >= 1e4:
        return _trim(f"{value / 1e4:,.1f}") + "만"
    if not korean and size >= 1e6:
        return _trim(f"{value / 1e6:,.3f}") + "M"
    if not korean and size >= 1e4:
        return _trim(f"{value / 1e3:,.1f}") + "K"
    return _label(value)


class _Scale:
    def __init__(self, low: float, high: float, top: float, height: float) -> None:
        if high <= low:  # a flat series still needs a visible band around it
            pad = max(abs(high) * 0.01, 1.0)
            low, high = low - pad, high + pad
        pad = (high - low) * 0.05
        self.low, self.high = low - pad, high + pad
        self.top, self.height = top, height

    def y(self, value: float) -> float:
        return self.top + (self.high - value) / (self.high - self.low) * self.height

    def gridlines(self) -> list[float]:
        step = nice_step(self.high - self.low)
        first = math.ceil(self.low / step) * step
        lines, value = [], first
        while value <= self.high:
            lines.append(value)
            value += step
        return lines


def _time_label(moment: date, intraday: bool) -> str:
    # A plain date (a daily snapshot) is already a Seoul calendar day.
    local = moment.astimezone(SEOUL) if isinstance(moment, datetime) else moment
    return local.strftime("%H:%M") if intraday else local.strftime("%m/%d")


def _time_axis(starts: Sequence[date], x_of, frame: Frame, intraday: bool, count: int = 5) -> list[str]:
    if not starts:
        return []
    n = len(starts)
    picks = sorted({round(i * (n - 1) / max(count - 1, 1)) for i in range(count)}) if n > 1 else [0]
    y = frame.height - 6

    def anchor(i: int) -> str:
        # The outermost labels hug the plot's edges instead of spilling past them.
        return "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"

    return [
        f'<text class="axis-label" x="{_fmt(x_of(i))}" y="{y}" text-anchor="{anchor(i)}">'
        f"{escape(_time_label(starts[i], intraday))}</text>"
        for i in picks
    ]


def _svg(frame: Frame, kind: str, title: str, parts: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated value above is a number or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'class="chart chart-{kind}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def candlestick_svg(bars: Sequence[Bar], *, title: str, intraday: bool, frame: Frame | None = None) -> SafeString:
    """OHLC candles over a volume strip, oldest bar on the left. Empty input gives an empty string."""
    if not bars:
        return mark_safe("")
    frame = frame or Frame()
    volume_height = frame.plot_height * 0.2
    price_height = frame.plot_height - volume_height - 8
    scale = _Scale(float(min(bar.low for bar in bars)), float(max(bar.high for bar in bars)), frame.top, price_height)
    slot = frame.plot_width / len(bars)
    body = max(slot * 0.7, 1.0)

    def x_of(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    parts = _value_axis(scale, frame, _label)

    max_volume = max(bar.volume for bar in bars) or 1
    volume_bottom = frame.top + frame.plot_height
    for i, bar in enumerate(bars):
        direction = "up" if bar.close >= bar.open else "down"
        bar_volume = bar.volume / max_volume * volume_height
        cx = x_of(i)
        top = scale.y(float(max(bar.open, bar.close)))
        bottom = scale.y(float(min(bar.open, bar.close)))
        parts.append(
            f'<g class="candle {direction}">'
            f'<line x1="{_fmt(cx)}" x2="{_fmt(cx)}" y1="{_fmt(scale.y(float(bar.high)))}" '
            f'y2="{_fmt(scale.y(float(bar.low)))}"/>'
            f'<rect x="{_fmt(cx - body / 2)}" y="{_fmt(top)}" width="{_fmt(body)}" '
            f'height="{_fmt(max(bottom - top, 1.0))}"/>'
            f'<rect class="volume" x="{_fmt(cx - body / 2)}" y="{_fmt(volume_bottom - bar_volume)}" '
            f'width="{_fmt(body)}" height="{_fmt(bar_volume)}"/>'
            f"</g>"
        )

    last = float(bars[-1].close)
    y_last = _fmt(scale.y(last))
    right = frame.width - frame.right
    parts.append(f'<line class="last-price" x1="{frame.left}" x2="{right}" y1="{y_last}" y2="{y_last}"/>')
    parts.append(
        f'<text class="axis-label last-price-label" x="{frame.width - frame.right + 4}" y="{y_last}" dy="4">'
        f"{_label(last)}</text>"
    )
    parts.extend(_time_axis([bar.start for bar in bars], x_of, frame, intraday))
    return _svg(frame, "candles", title, parts)


def _value_axis(scale: _Scale, frame: Frame, label: Callable[[float], str]) -> list[str]:
    parts = []
    for value in scale.gridlines():
        y = _fmt(scale.y(value))
        parts.append(f'<line class="grid" x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y}" y2="{y}"/>')
        parts.append(
            f'<text class="axis-label" x="{frame.width - frame.right + 4}" y="{y}" dy="4">{escape(label(value))}</text>'
        )
    return parts


def line_svg(
    points: Sequence[tuple[date, Decimal]],
    *,
    title: str,
    intraday: bool = False,
    frame: Frame | None = None,
    axis_label: Callable[[float], str] = _label,
) -> SafeString:
    """A line with a shaded area under it (an equity curve, an index, a drawdown). Empty input gives ""."""
    if not points:
        return mark_safe("")
    frame = frame or Frame()
    values = [float(value) for _, value in points]
    scale = _Scale(min(values), max(values), frame.top, frame.plot_height)
    step = frame.plot_width / max(len(points) - 1, 1)

    def x_of(i: int) -> float:
        return frame.left + step * i if len(points) > 1 else frame.left + frame.plot_width / 2

    parts = _value_axis(scale, frame, axis_label)
    coords = " ".join(f"{_fmt(x_of(i))},{_fmt(scale.y(v))}" for i, v in enumerate(values))
    base = _fmt(frame.top + frame.plot_height)
    first, last = _fmt(x_of(0)), _fmt(x_of(len(values) - 1))
    parts.append(f'<polygon class="area" points="{first},{base} {coords} {last},{base}"/>')
    parts.append(f'<polyline class="line" points="{coords}"/>')
    if len(points) == 1:  # a lone point draws no line: mark it
        parts.append(f'<circle class="dot" cx="{_fmt(x_of(0))}" cy="{_fmt(scale.y(values[0]))}" r="5"/>')
    parts.extend(_time_axis([moment for moment, _ in points], x_of, frame, intraday))
    return _svg(frame, "line", title, parts)


def bar_svg(
    points: Sequence[tuple[date, Decimal]],
    *,
    title: str,
    frame: Frame | None = None,
    axis_label: Callable[[float], str] = _label,
) -> SafeString:
    """Signed bars from a zero line (daily realized P/L): gains rise in red, losses hang in blue."""
    if not points:
        return mark_safe("")
    frame = frame or Frame()
    values = [float(value) for _, value in points]
    scale = _Scale(min(min(values), 0.0), max(max(values), 0.0), frame.top, frame.plot_height)
    slot = frame.plot_width / len(points)
    width = max(slot * 0.7, 1.0)

    def x_of(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    parts = _value_axis(scale, frame, axis_label)
    zero = scale.y(0.0)
    for i, value in enumerate(values):
        top, bottom = sorted((scale.y(value), zero))
        direction = "up" if value > 0 else "down" if value < 0 else "flat"
        parts.append(
            f'<rect class="bar {direction}" x="{_fmt(x_of(i) - width / 2)}" y="{_fmt(top)}" '
            f'width="{_fmt(width)}" height="{_fmt(max(bottom - top, 1.0))}"/>'
        )
    right = frame.width - frame.right
    parts.append(f'<line class="zero" x1="{frame.left}" x2="{right}" y1="{_fmt(zero)}" y2="{_fmt(zero)}"/>')
    parts.extend(_time_axis([moment for moment, _ in points], x_of, frame, intraday=False))
    return _svg(frame, "bars", title, parts)


PALETTE = 8  # colour classes slice-0 … slice-7 in stocking.css; the legend uses the same classes


@dataclass(frozen=True)
class Wedge:
    label: str
    value: Decimal
    css: str  # "slice-N", or a fixed class such as "slice-cash"


def wedges(items: Sequence[tuple[str, Decimal]], *, limit: int = PALETTE - 1, rest_label: str = "") -> list[Wedge]:
    """Coloured slices in the given order; past `limit`, the remainder becomes one `rest_label` slice
    so no two slices share a colour. Empty and negative values are left out."""
    shown = [(label, value) for label, value in items if value > 0]
    result = [Wedge(label, value, f"slice-{i}") for i, (label, value) in enumerate(shown[:limit])]
    if len(shown) > limit:
        result.append(Wedge(rest_label, sum((v for _, v in shown[limit:]), Decimal(0)), "slice-rest"))
    return result


def _point(cx: float, cy: float, r: float, turn: float) -> str:
    angle = 2 * math.pi * turn - math.pi / 2  # clockwise from twelve o'clock
    return f"{_fmt(cx + r * math.cos(angle))} {_fmt(cy + r * math.sin(angle))}"


def _ring_segment(start: float, end: float, outer: float, inner: float, c: float) -> str:
    large = 1 if end - start > 0.5 else 0
    return (
        f"M {_point(c, c, outer, start)} A {_fmt(outer)} {_fmt(outer)} 0 {large} 1 {_point(c, c, outer, end)} "
        f"L {_point(c, c, inner, end)} A {_fmt(inner)} {_fmt(inner)} 0 {large} 0 {_point(c, c, inner, start)} Z"
    )


def donut_svg(slices: Sequence[Wedge], *, title: str, size: int = 200) -> SafeString:
    """A ring of slices, largest share first as given; each slice carries its label and share as a
    tooltip. The legend (with the amounts) is the page's own table. No positive value gives ""."""
    total = sum((s.value for s in slices if s.value > 0), Decimal(0))
    if total <= 0:
        return mark_safe("")
    c, outer, inner = size / 2, size / 2 - 4, size / 2 * 0.58
    parts, turn = [], 0.0
    for wedge in slices:
        if wedge.value <= 0:
            continue
        share = float(wedge.value / total)
        # One arc cannot close a full circle: a lone slice is drawn as two halves of one path.
        pieces = [(turn, turn + share)] if share < 0.9999 else [(0.0, 0.5), (0.5, 1.0)]
        path = " ".join(_ring_segment(a, b, outer, inner, c) for a, b in pieces)
        parts.append(
            f'<path class="slice {escape(wedge.css)}" d="{path}"><title>{escape(wedge.label)} '
            f"{share * 100:.1f}%</title></path>"
        )
        turn += share
    return _svg(Frame(width=size, height=size), "donut", title, parts)
