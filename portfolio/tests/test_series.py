"""The analytics page's day-by-day series: realized P/L from the fills, and the drawdown curve."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from portfolio.models import PortfolioSnapshot
from portfolio.selectors import portfolio_stats
from portfolio.selectors.series import drawdown_series, realized_pnl_series
from portfolio.tests.trades import losing_round_trip, winning_round_trip
from stocking.core.clock import local_now
from trading.models import Execution
from trading.services.reset import account_reset
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_realized_pnl_is_summed_per_seoul_day_with_a_running_total(user, django_assert_num_queries):
    winning_round_trip(user, StockFactory(code="005930"))  # +38,994
    losing_round_trip(user, StockFactory(code="035720"))  # −102,085
    sells = list(Execution.objects.filter(user=user, side="sell").order_by("id"))
    # 23:30 UTC is 08:30 the next day in Seoul, 15:30 UTC is 00:30 the next day: two Seoul days.
    Execution.objects.filter(pk=sells[0].pk).update(executed_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    Execution.objects.filter(pk=sells[1].pk).update(executed_at=datetime(2026, 3, 3, 15, 30, tzinfo=UTC))
    with django_assert_num_queries(2):
        series = realized_pnl_series(user=user)
    assert [(d.date.isoformat(), d.realized_pnl, d.cumulative) for d in series] == [
        ("2026-03-03", D("38994"), D("38994")),
        ("2026-03-04", D("-102085"), D("-63091")),
    ]
    [later] = realized_pnl_series(user=user, since=datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    assert later.cumulative == D("-102085")


def test_realized_pnl_counts_from_the_last_reset(user):
    winning_round_trip(user, StockFactory(code="005930"))
    account_reset(user=user, confirm="RESET")
    assert realized_pnl_series(user=user) == []
    losing_round_trip(user, StockFactory(code="035720"))
    [day] = realized_pnl_series(user=user)
    assert day.cumulative == D("-102085")


def test_the_drawdown_curve_matches_the_stats_maximum(user):
    today = local_now().date()
    for days_ago, value in ((4, "10000000"), (3, "12000000"), (2, "9000000"), (1, "10000000")):
        PortfolioSnapshot.objects.create(
            user=user,
            date=today - timedelta(days=days_ago),
            cash=D(value),
            holdings_value=D("0"),
            total_value=D(value),
            net_capital=D("10000000"),
        )
    series = drawdown_series(user=user)
    rates = [p.rate for p in series]
    assert rates[:4] == [D("0.00"), D("0.00"), D("-25.00"), D("-16.67")]
    assert -min(rates) == portfolio_stats(user=user).max_drawdown.rate
    assert series[-1].date == today
    # From a period's start: the last close before it is the starting point.
    assert [p.date for p in drawdown_series(user=user, since=today - timedelta(days=1))][0] == today - timedelta(days=2)
