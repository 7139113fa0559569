"""GET /portfolio/history and /portfolio/stats, checked by hand against the ledger and executions."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.models import PortfolioSnapshot, Position
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.trades import losing_round_trip, set_price, winning_round_trip
from trading.models import Execution
from trading.sessions import market_clock
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
HISTORY = "/api/v1/portfolio/history"
STATS = "/api/v1/portfolio/stats"


def today():
    return market_clock().trading_date


def snapshot(user, days_ago: int, total: str, capital: str = "10000000") -> PortfolioSnapshot:
    return PortfolioSnapshot.objects.create(
        user=user,
        date=today() - timedelta(days=days_ago),
        cash=D(total),
        holdings_value=D("0"),
        total_value=D(total),
        net_capital=D(capital),
    )


@pytest.fixture
def kospi():
    return StockFactory(code="100100", sector="전기전자", current_price=D("10000"))


@pytest.fixture
def kosdaq():
    return StockFactory(code="200200", market="KOSDAQ", current_price=D("5000"))


class TestHistory:
    def test_windows_pick_their_snapshots_and_end_with_the_live_value(self, auth_client, user):
        for days_ago in (400, 40, 10, 3, 1):
            snapshot(user, days_ago, str(10_000_000 + days_ago))
        expected = {
            "1w": [3, 1],
            "1m": [10, 3, 1],
            "3m": [40, 10, 3, 1],
            "1y": [40, 10, 3, 1],
            "all": [400, 40, 10, 3, 1],
        }
        for period, days in expected.items():
            body = auth_client.get(HISTORY, {"period": period}).json()
            assert body["period"] == period
            points = body["points"]
            assert [p["date"] for p in points[:-1]] == [str(today() - timedelta(days=d)) for d in days], period
            assert points[-1] == {
                "date": str(today()),
                "cash": "10000000.00",
                "holdings_value": "0.00",
                "total_value": "10000000.00",
                "net_capital": "10000000.00",
                "live": True,
            }

    def test_default_period_is_three_months(self, auth_client, user):
        snapshot(user, 80, "1")
        snapshot(user, 100, "1")
        body = auth_client.get(HISTORY).json()
        assert body["period"] == "3m" and len(body["points"]) == 2

    def test_a_snapshot_of_today_is_replaced_by_the_live_value(self, auth_client, user):
        snapshot(user, 0, "1")
        points = auth_client.get(HISTORY).json()["points"]
        assert len(points) == 1 and points[0]["total_value"] == "10000000.00"

    def test_live_point_values_holdings_at_the_current_price(self, auth_client, user, kospi):
        winning_round_trip(user, kospi)
        set_price(kospi, "12000")
        live = auth_client.get(HISTORY).json()["points"][-1]
        assert (live["cash"], live["holdings_value"], live["total_value"]) == (
            "9438904.00",
            "720000.00",
            "10158904.00",
        )

    @pytest.mark.parametrize("period", ["2w", "ALL", "1d", "day", "3m "])
    def test_unknown_period_is_400(self, auth_client, period):
        response = auth_client.get(HISTORY, {"period": period})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_query_count_does_not_grow_with_positions_or_snapshots(self, auth_client, user):
        def grow(start: int, count: int) -> None:
            for i in range(start, start + count):
                stock = StockFactory(code=f"{300000 + i:06d}", current_price=D("1000"))
                Position.objects.create(user=user, stock=stock, quantity=1, cost_basis=D("1000"))
                snapshot(user, i + 1, "10000000")

        grow(0, 1)
        with CaptureQueriesContext(connection) as one:
            auth_client.get(HISTORY, {"period": "all"})
        grow(1, 99)
        with CaptureQueriesContext(connection) as hundred:
            body = auth_client.get(HISTORY, {"period": "all"}).json()
        assert len(body["points"]) == 101
        assert len(hundred) == len(one)


class TestStats:
    def test_stats_over_a_win_a_loss_a_deposit_and_a_withdrawal(self, auth_client, user, kospi, kosdaq):
        winning_round_trip(user, kospi)
        losing_round_trip(user, kosdaq)
        balance_deposit(user=user, amount=D("1000000"))
        balance_withdraw(user=user, amount=D("500000"))

        body = auth_client.get(STATS).json()

        assert body["period"] == "all" and body["since"] is None
        assert (body["trades"], body["buys"], body["sells"], body["wins"], body["losses"]) == (4, 2, 2, 1, 1)
        assert body["win_rate"] == "50.00"
        assert body["average_win"] == "38994.00"
        assert body["average_loss"] == "-102085.00"
        assert body["realized_pnl"] == "-63091.00"
        assert body["commission"] == "501.00"  # 150 + 66 + 150 + 135
        assert body["tax"] == "2680.00"  # 880 + 1,800
        assert body["turnover"] == "3340000.00"  # 1,000,000 + 440,000 + 1,000,000 + 900,000
        assert body["net_capital"] == "10500000.00"
        # 9,836,819 cash + 60 × 11,000 − 10,500,000 capital: the deposit is not profit.
        assert body["total_value"] == "10496819.00"
        assert body["pnl"] == "-3181.00"
        assert body["total_return_rate"] == "-0.03"
        assert body["max_drawdown"] == {"rate": "0.00", "peak_date": None, "trough_date": None}

    def test_a_calendar_period_counts_only_its_fills(self, auth_client, user, kospi, kosdaq):
        winning_round_trip(user, kospi)
        losing_round_trip(user, kosdaq)
        long_ago = timezone.now() - timedelta(days=400)
        Execution.objects.filter(stock=kosdaq).update(executed_at=long_ago)
        body = auth_client.get(STATS, {"period": "year"}).json()
        assert (body["trades"], body["sells"], body["wins"], body["losses"]) == (2, 1, 1, 0)
        assert body["realized_pnl"] == "38994.00"
        assert body["win_rate"] == "100.00" and body["average_loss"] is None
        assert body["since"].startswith(f"{today().year}-01-01T00:00:00")

    def test_day_return_is_measured_from_yesterdays_close_net_of_todays_deposit(self, auth_client, user, kospi):
        winning_round_trip(user, kospi)  # value now: 9,438,904 + 660,000 = 10,098,904
        snapshot(user, 1, "10050000", capital="10000000")
        balance_deposit(user=user, amount=D("200000"))
        body = auth_client.get(STATS, {"period": "day"}).json()
        # 10,298,904 − 10,050,000 − 200,000 deposited today, on 10,050,000 + 200,000.
        assert body["pnl"] == "48904.00"
        assert body["total_return_rate"] == "0.48"

    def test_max_drawdown_follows_the_curve_of_the_period(self, auth_client, user):
        snapshot(user, 3, "10000000")
        snapshot(user, 2, "12000000")
        snapshot(user, 1, "9000000")
        body = auth_client.get(STATS).json()  # live point: 10,000,000
        assert body["max_drawdown"] == {
            "rate": "25.00",
            "peak_date": str(today() - timedelta(days=2)),
            "trough_date": str(today() - timedelta(days=1)),
        }

    @pytest.mark.parametrize("period", ["1w", "quarter", "ALL", "days"])
    def test_unknown_period_is_400(self, auth_client, period):
        response = auth_client.get(STATS, {"period": period})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_no_trades_means_no_rates_rather_than_zero_division(self, auth_client):
        body = auth_client.get(STATS, {"period": "week"}).json()
        assert body["trades"] == 0 and body["win_rate"] is None and body["average_win"] is None
        assert body["total_return_rate"] == "0.00"


def test_a_period_with_no_known_start_has_no_pnl_rather_than_a_made_up_one(auth_client, user):
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=400))
    body = auth_client.get(STATS, {"period": "month"}).json()
    assert (body["pnl"], body["total_return_rate"]) == (None, None)
    snapshot(user, 40, "9900000")
    body = auth_client.get(STATS, {"period": "month"}).json()
    # The point 40 days back precedes the month's first day, whatever today is.
    assert (body["pnl"], body["total_return_rate"]) == ("100000.00", "1.01")


def test_no_return_is_shown_on_no_capital(auth_client, user):
    from portfolio.services import balance_withdraw

    balance_withdraw(user=user, amount=D("10000000"))
    body = auth_client.get("/api/v1/portfolio").json()
    assert (body["net_capital"], body["total_return_rate"]) == ("0.00", None)
