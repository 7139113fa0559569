"""Day-by-day series for the analytics page's charts: realized P/L from the fills and the drawdown
of the equity curve, both over the current account (since the last reset) and a period's start."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from accounts.models import User
from portfolio.metrics import flow_adjusted_index
from portfolio.selectors.performance import last_reset, portfolio_history
from stocking.core.clock import local_now
from stocking.core.money import CENT, ZERO
from trading.models import Execution, OrderSide


@dataclass(frozen=True)
class RealizedDay:
    date: date
    realized_pnl: Decimal  # net of fees and tax, summed over the day's closing sells
    cumulative: Decimal


def realized_pnl_series(*, user: User, since: datetime | None = None) -> list[RealizedDay]:
    """Realized P/L per Seoul calendar day with a running total, oldest first; days without a
    closing sell are left out. Two queries, however many fills."""
    fills = Execution.objects.filter(user=user, side=OrderSide.SELL, realized_pnl__isnull=False)
    reset = last_reset(user=user)
    if reset is not None:
        fills = fills.filter(id__gt=reset.last_execution_id)
    if since is not None:
        fills = fills.filter(executed_at__gte=since)
    # Bucketed here rather than with TruncDate: MariaDB needs its time zone tables for that.
    days: dict[date, Decimal] = {}
    for executed_at, pnl in fills.order_by("executed_at", "id").values_list("executed_at", "realized_pnl"):
        day = local_now(executed_at).date()
        days[day] = days.get(day, ZERO) + pnl
    series, running = [], ZERO
    for day, pnl in days.items():
        running += pnl
        series.append(RealizedDay(day, pnl, running))
    return series


@dataclass(frozen=True)
class DrawdownPoint:
    date: date
    rate: Decimal  # percent ≤ 0: how far the flow-adjusted value is below its running peak


def drawdown_series(*, user: User, since: date | None = None) -> list[DrawdownPoint]:
    """The underwater curve behind portfolio_stats' max drawdown: the same daily curve (snapshots and
    today's live value), the same flow adjustment, starting from the last close before `since`."""
    points = [p.curve_point for p in portfolio_history(user=user, period="all")]
    if since is not None:
        before = [p for p in points if p.date < since]
        points = before[-1:] + [p for p in points if p.date >= since]
    series, peak = [], None
    for point, value in zip(points, flow_adjusted_index(points), strict=True):
        peak = value if peak is None or value > peak else peak
        rate = ((value / peak - 1) * 100).quantize(CENT) if peak else ZERO
        series.append(DrawdownPoint(point.date, rate))
    return series
