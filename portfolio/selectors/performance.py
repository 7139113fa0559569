"""The equity curve and trading statistics of the current account (everything since the last reset)."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import User
from portfolio.metrics import CurvePoint, Drawdown, max_drawdown, period_pnl
from portfolio.models import AccountReset, PortfolioSnapshot
from portfolio.selectors.valuation import PortfolioValue, portfolio_value
from stocking.core.clock import SEOUL, local_now
from stocking.core.money import ZERO, rate_percent
from trading.models import Execution, OrderSide

HISTORY_PERIODS = ("1w", "1m", "3m", "1y", "all")
STATS_PERIODS = ("day", "week", "month", "year", "all")


def last_reset(*, user: User) -> AccountReset | None:
    return AccountReset.objects.filter(user=user).order_by("-id").first()


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def history_start(period: str, today: date) -> date | None:
    """First date of a history window ending today; None for "all"."""
    if period == "1w":
        return today - timedelta(days=7)
    months = {"1m": 1, "3m": 3, "1y": 12}.get(period)
    return _months_back(today, months) if months else None


def stats_start(period: str, today: date) -> date | None:
    """First day of the calendar period containing today; None for "all"."""
    if period == "day":
        return today
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    if period == "year":
        return today.replace(month=1, day=1)
    return None


@dataclass(frozen=True)
class HistoryPoint:
    date: date
    cash: Decimal
    holdings_value: Decimal
    total_value: Decimal
    net_capital: Decimal
    live: bool = False

    @property
    def curve_point(self) -> CurvePoint:
        return CurvePoint(self.date, self.total_value, self.net_capital)


def _snapshots(*, user: User, since: date | None, before: date, reset: AccountReset | None):
    queryset = PortfolioSnapshot.objects.filter(user=user, date__lt=before)
    if reset is not None:
        # Days before the reset describe the old account; the reset day's own snapshot is written
        # after it (the reset and the day roll both write it), so it belongs to the new one.
        queryset = queryset.filter(date__gte=local_now(reset.created_at).date())
    if since is not None:
        queryset = queryset.filter(date__gte=since)
    return queryset.order_by("date")


def _live_point(value: PortfolioValue, today: date) -> HistoryPoint:
    return HistoryPoint(today, value.cash, value.holdings_value, value.total_value, value.net_capital, live=True)


def portfolio_history(*, user: User, period: str = "3m", value: PortfolioValue | None = None) -> list[HistoryPoint]:
    """Daily snapshots of the current account inside the window, ending with today's live value.
    `value`: the user's portfolio_value when the caller has read it already (a page showing both),
    so the positions are read once and the curve ends where the page's figures stand."""
    today = local_now().date()
    reset = last_reset(user=user)
    rows = _snapshots(user=user, since=history_start(period, today), before=today, reset=reset)
    points = [HistoryPoint(r.date, r.cash, r.holdings_value, r.total_value, r.net_capital) for r in rows]
    points.append(_live_point(value if value is not None else portfolio_value(user=user), today))
    return points


@dataclass(frozen=True)
class TradingStats:
    period: str
    since: datetime | None
    trades: int
    buys: int
    sells: int
    wins: int
    losses: int
    win_rate: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    realized_pnl: Decimal
    commission: Decimal
    tax: Decimal
    turnover: Decimal
    net_capital: Decimal
    total_value: Decimal
    pnl: Decimal | None
    total_return_rate: Decimal | None
    max_drawdown: Drawdown


def _execution_totals(*, user: User, since: datetime | None, reset: AccountReset | None) -> dict:
    executions = Execution.objects.filter(user=user)
    if reset is not None:
        executions = executions.filter(id__gt=reset.last_execution_id)
    if since is not None:
        executions = executions.filter(executed_at__gte=since)
    win, loss = Q(side=OrderSide.SELL, realized_pnl__gt=0), Q(side=OrderSide.SELL, realized_pnl__lt=0)
    return executions.aggregate(
        trades=Count("id"),
        buys=Count("id", filter=Q(side=OrderSide.BUY)),
        sells=Count("id", filter=Q(side=OrderSide.SELL)),
        wins=Count("id", filter=win),
        losses=Count("id", filter=loss),
        win_total=Sum("realized_pnl", filter=win, default=ZERO),
        loss_total=Sum("realized_pnl", filter=loss, default=ZERO),
        realized=Sum("realized_pnl", default=ZERO),
        commission=Sum("fee", default=ZERO),
        tax=Sum("tax", default=ZERO),
        turnover=Sum("gross_amount", default=ZERO),
    )


def _average(total: Decimal, count: int) -> Decimal | None:
    return (Decimal(total) / count).quantize(Decimal("1")) if count else None


def portfolio_stats(*, user: User, period: str = "all") -> TradingStats:
    """Trades, win rate, P/L, costs, turnover, return on capital and drawdown over a calendar
    period (Asia/Seoul) of the current account; "all" means since the last reset."""
    today = local_now().date()
    first_day = stats_start(period, today)
    since = datetime.combine(first_day, time(0), tzinfo=SEOUL) if first_day else None
    reset = last_reset(user=user)
    totals = _execution_totals(user=user, since=since, reset=reset)

    snapshots = list(_snapshots(user=user, since=None, before=today, reset=reset))
    points = [CurvePoint(s.date, s.total_value, s.net_capital) for s in snapshots]
    before = [p for p in points if first_day is not None and p.date < first_day]
    inside = points[len(before) :]
    start = before[-1] if before else None
    now = portfolio_value(user=user)
    end = CurvePoint(today, now.total_value, now.net_capital)
    pnl, base = period_pnl(start=start, end=end)
    began = local_now(reset.created_at if reset else user.date_joined).date()
    if start is None and first_day is not None and began < first_day:
        # No closing value before the period although the account is older: the start is unknown.
        pnl = base = None
    curve = ([start] if start else []) + inside + [end]

    sells, wins, losses = totals["sells"], totals["wins"], totals["losses"]
    return TradingStats(
        period=period,
        since=since,
        trades=totals["trades"],
        buys=totals["buys"],
        sells=sells,
        wins=wins,
        losses=losses,
        win_rate=rate_percent(wins, sells),
        average_win=_average(totals["win_total"], wins),
        average_loss=_average(totals["loss_total"], losses),
        realized_pnl=totals["realized"],
        commission=totals["commission"],
        tax=totals["tax"],
        turnover=totals["turnover"],
        net_capital=now.net_capital,
        total_value=now.total_value,
        pnl=pnl,
        total_return_rate=rate_percent(pnl, base) if base is not None and base > 0 else None,
        max_drawdown=max_drawdown(curve),
    )
