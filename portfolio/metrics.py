"""Pure performance arithmetic over an equity curve, kept apart from the database so every figure
can be checked by hand in a test."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stocking.core.money import CENT, ZERO


@dataclass(frozen=True)
class CurvePoint:
    date: date
    total_value: Decimal
    net_capital: Decimal


@dataclass(frozen=True)
class Drawdown:
    rate: Decimal  # percent, ≥ 0: how far the flow-adjusted value fell from its peak
    peak_date: date | None
    trough_date: date | None


def flow_adjusted_index(curve: Sequence[CurvePoint]) -> list[Decimal]:
    """A time-weighted value index (first point = 1): each step's growth is the value change net of
    the capital that moved in or out that day, so deposits are not gains and withdrawals not losses."""
    if not curve:
        return []
    index = [Decimal(1)]
    for previous, point in zip(curve, curve[1:], strict=False):
        flow = point.net_capital - previous.net_capital
        # An empty account can neither gain nor lose: the index holds and restarts from there.
        growth = (point.total_value - flow) / previous.total_value if previous.total_value > 0 else Decimal(1)
        index.append(index[-1] * max(growth, ZERO))
    return index


def max_drawdown(curve: Sequence[CurvePoint]) -> Drawdown:
    """The largest peak-to-trough fall of the flow-adjusted index, in percent."""
    index = flow_adjusted_index(curve)
    worst, worst_peak, worst_trough = ZERO, None, None
    peak_value, peak_at = None, None
    for point, value in zip(curve, index, strict=True):
        if peak_value is None or value >= peak_value:
            peak_value, peak_at = value, point.date
            continue
        fall = (peak_value - value) / peak_value if peak_value else ZERO
        if fall > worst:
            worst, worst_peak, worst_trough = fall, peak_at, point.date
    return Drawdown((worst * 100).quantize(CENT), worst_peak, worst_trough)


def period_pnl(*, start: CurvePoint | None, end: CurvePoint) -> tuple[Decimal, Decimal]:
    """(profit, base) over a period: the value gained net of capital flows, and the capital it was
    earned on (the starting value plus what came in). With no start, the account began inside the
    period, so everything it holds came in as capital."""
    start_value = start.total_value if start else ZERO
    start_capital = start.net_capital if start else ZERO
    flows = end.net_capital - start_capital
    return end.total_value - start_value - flows, start_value + flows
