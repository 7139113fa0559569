"""SVG for the market overview, drawn on the server like stocking.core.charts: a sparkline per
index, the breadth bar and the sector heat map. Colours come from CSS classes (rises red, falls
blue); every number carries its sign or arrow in the text as well."""

from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import quote

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from stocking.core.templatetags.stocking_format import rate, trend

HEAT_STEPS = (Decimal("1.5"), Decimal("3"))  # percent: a stronger shade from each
TILE_W, TILE_H, GAP = 200, 76, 4


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, kind: str, title: str, parts: list[str], extra: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart chart-{kind}" '
        f'role="img" aria-label="{escape(title)}"{extra}><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def sparkline_svg(values: Sequence[Decimal], *, title: str, base: Decimal | None = None) -> SafeString:
    """A bare line of recent values (no axes), coloured by where the last one stands against `base`
    (the previous close); the base itself is a dashed line when it falls inside the range."""
    if len(values) < 2:
        return mark_safe("")
    width, height, pad = 160, 48, 3
    points = [float(value) for value in values]
    low, high = min(points), max(points)
    if base is not None and low <= float(base) <= high * 1.002:
        low, high = min(low, float(base)), max(high, float(base))
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return pad + (high - value) / span * (height - 2 * pad)

    step = width / (len(points) - 1)
    coords = " ".join(f"{_fmt(i * step)},{_fmt(y(v))}" for i, v in enumerate(points))
    parts = []
    if base is not None and low <= float(base) <= high:
        parts.append(
            f'<line class="base" x1="0" x2="{width}" y1="{_fmt(y(float(base)))}" y2="{_fmt(y(float(base)))}"/>'
        )
    direction = trend(values[-1] - base) if base is not None else "flat"
    parts.append(f'<polyline class="spark {direction}" points="{coords}"/>')
    return _svg(width, height, "spark", title, parts)


def breadth_svg(*, advancers: int, decliners: int, unchanged: int, title: str) -> SafeString:
    """One bar split into advancers (red), unchanged (grey) and decliners (blue)."""
    total = advancers + decliners + unchanged
    if not total:
        return mark_safe("")
    width, height = 600, 14
    parts, x = [], 0.0
    for count, kind in ((advancers, "up"), (unchanged, "flat"), (decliners, "down")):
        part = width * count / total
        if part:
            parts.append(f'<rect class="bar {kind}" x="{_fmt(x)}" y="0" width="{_fmt(part)}" height="{height}"/>')
        x += part
    # Stretched to the card's width: a bar has no shape to keep.
    return _svg(width, height, "breadth", title, parts, extra=' preserveAspectRatio="none"')


def _heat(change_rate: Decimal | None) -> str:
    """The tile's colour class: the direction, and a stronger shade from 1.5% and again from 3%."""
    if change_rate is None or change_rate == 0:
        return "heat-flat"
    size = abs(change_rate)
    level = 1 if size < HEAT_STEPS[0] else 2 if size < HEAT_STEPS[1] else 3
    return f"heat-{'up' if change_rate > 0 else 'down'}-{level}"


def sector_heatmap_svg(sectors: Sequence[dict], *, title: str, link: str = "", columns: int = 3) -> SafeString:
    """Sectors as tiles, strongest rise first: name, weighted change with its sign, and how many
    rose and fell. `sectors` items: {"label", "sector", "change_rate", "advancers", "decliners"};
    with `link`, each tile opens link + the sector (the stock list filtered by it). Fewer `columns`
    keep the text readable on a phone."""
    if not sectors:
        return mark_safe("")

    def order(item: dict):
        value = item["change_rate"]
        return (-(Decimal(value) if value is not None else Decimal(0)), item["sector"])

    tiles = sorted(sectors, key=order)
    rows = (len(tiles) + columns - 1) // columns
    width, height = columns * TILE_W, rows * TILE_H
    parts = []
    for n, item in enumerate(tiles):
        x, y = (n % columns) * TILE_W, (n // columns) * TILE_H
        change = None if item["change_rate"] is None else Decimal(item["change_rate"])
        arrows = f"▲{item['advancers']} ▼{item['decliners']}"
        tile = (
            f'<g class="tile {_heat(change)}"><rect x="{x + GAP / 2}" y="{y + GAP / 2}" width="{TILE_W - GAP}" '
            f'height="{TILE_H - GAP}" rx="6"/>'
            f'<text class="tile-name" x="{x + 12}" y="{y + 28}">{escape(item["label"])}</text>'
            f'<text class="tile-rate" x="{x + 12}" y="{y + 56}">{escape(rate(change))}</text>'
            f'<text class="tile-count" x="{x + TILE_W - 12}" y="{y + 56}" text-anchor="end">{arrows}</text></g>'
        )
        if link:
            tile = f'<a href="{escape(link + quote(item["sector"]))}">{tile}</a>'
        parts.append(tile)
    return _svg(width, height, f"heatmap heatmap-{columns}", title, parts)
