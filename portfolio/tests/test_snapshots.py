from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from portfolio.models import PortfolioSnapshot
from portfolio.services.snapshots import snapshots_write
from portfolio.tests.trades import set_price, winning_round_trip
from stocking.core.clock import SEOUL, local_now
from trading.models import Stock
from trading.services.market_day import market_day_roll
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock():
    return StockFactory(code="100100", current_price=D("10000"))


def run(*args) -> str:
    out = StringIO()
    call_command("snapshot_portfolios", *args, stdout=out)
    return out.getvalue()


def test_snapshot_values_cash_and_holdings_at_current_prices(user, stock):
    winning_round_trip(user, stock)
    set_price(stock, "12000")
    UserFactory()
    assert snapshots_write(on=date(2026, 11, 27)) == 2
    snapshot = PortfolioSnapshot.objects.get(user=user)
    assert (snapshot.cash, snapshot.holdings_value, snapshot.total_value, snapshot.net_capital) == (
        D("9438904"),
        D("720000"),
        D("10158904"),
        D("10000000"),
    )


def test_writing_the_same_date_twice_overwrites_instead_of_duplicating(user, stock):
    snapshots_write(on=date(2026, 11, 27))
    winning_round_trip(user, stock)
    snapshots_write(on=date(2026, 11, 27))
    assert PortfolioSnapshot.objects.filter(user=user).count() == 1
    assert PortfolioSnapshot.objects.get(user=user).holdings_value == D("660000")


def test_command_defaults_to_today_and_accepts_a_date(user):
    assert "Wrote 1 portfolio snapshots for" in run()
    assert PortfolioSnapshot.objects.get().date == local_now().date()
    run("--date", "2026-11-02")
    assert PortfolioSnapshot.objects.filter(date=date(2026, 11, 2)).count() == 1


def test_command_dry_run_writes_nothing(user):
    assert "Would write 1 snapshots" in run("--dry-run")
    assert not PortfolioSnapshot.objects.exists()


def test_command_rejects_a_bad_date(user):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "27/11/2026")


def test_the_day_roll_snapshots_the_finished_day(user, stock):
    friday = date(2026, 11, 27)
    Stock.objects.update(trading_date=friday)
    winning_round_trip(user, stock)
    result = market_day_roll(now=datetime.combine(friday + timedelta(days=1), time(0, 0, 1), tzinfo=SEOUL))
    assert result.rolled == 1 and result.snapshots == 1
    snapshot = PortfolioSnapshot.objects.get(user=user)
    assert (snapshot.date, snapshot.total_value) == (friday, D("10098904"))
    # A second roll of the same day finds nothing to do and writes nothing more.
    market_day_roll(now=datetime.combine(friday + timedelta(days=1), time(0, 5), tzinfo=SEOUL))
    assert PortfolioSnapshot.objects.count() == 1
