"""KOSPI and KOSDAQ: cap-weighted over the simulated universe, fitted to their base at the previous
close, moved only by prices: listings, delistings and share changes rescale the divisor instead."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from stocking.core.clock import SEOUL
from trading.importers import stocks_import
from trading.models import IndexBar, MarketIndex, MarketOverview, PriceBar, Stock
from trading.services.indices import index_divisors_kept, indices_locked, indices_roll
from trading.services.overview import market_overview_write
from trading.services.simulator import market_tick
from trading.tests.factories import StockFactory
from trading.tests.test_matching import _run_in_threads, needs_mysql

pytestmark = pytest.mark.django_db


def index_value(code: str) -> D:
    """The index as its definition gives it now: Σ price × shares of listed, priced stocks ÷ divisor."""
    index = MarketIndex.objects.get(code=code)
    stocks = Stock.objects.filter(market=code, is_listed=True, current_price__isnull=False)
    return (sum(stock.current_price * stock.listed_shares for stock in stocks) / index.divisor).quantize(D("0.01"))


@pytest.fixture
def universe():
    """Two KOSPI stocks (caps 70bn and 30bn at the previous close) and one KOSDAQ stock."""
    with index_divisors_kept():
        StockFactory(code="005930", market="KOSPI", current_price=D("71000"), previous_close=D("70000"),
                     listed_shares=1_000_000)  # fmt: skip
        StockFactory(code="000660", market="KOSPI", current_price=D("30000"), previous_close=D("30000"),
                     listed_shares=1_000_000)  # fmt: skip
        StockFactory(code="247540", market="KOSDAQ", current_price=D("9500"), previous_close=D("10000"),
                     listed_shares=500_000)  # fmt: skip
    return {index.code: index for index in MarketIndex.objects.all()}


def test_the_divisor_puts_each_index_at_its_base_at_the_previous_close(universe):
    kospi, kosdaq = universe["KOSPI"], universe["KOSDAQ"]
    assert kospi.divisor == (D("100000000000") / D("2600")).quantize(D("0.000001"))
    assert kospi.previous_close == D("2600.00") and kosdaq.previous_close == D("850.00")
    # Now: KOSPI cap 101bn against 100bn at the close (+1%), KOSDAQ 4.75bn against 5bn (-5%).
    assert kospi.value == D("2626.00") and kosdaq.value == D("807.50")
    assert (kospi.constituents, kospi.constituent_shares) == (2, 2_000_000)


def test_a_tick_moves_each_index_with_its_market_cap(universe):
    market_overview_write()
    Stock.objects.filter(code="005930").update(current_price=D("77000"))  # +6bn of 100bn at the close
    record = market_overview_write()
    assert index_value("KOSPI") == D("2782.00") == MarketIndex.objects.get(code="KOSPI").value
    kospi = record.body["indices"][0]
    assert kospi == {
        "code": "KOSPI",
        "name": "KOSPI",
        "value": "2782.00",
        "previous_close": "2600.00",
        "change": "182.00",
        "change_rate": "7.00",
        "open": "2626.00",
        "high": "2782.00",
        "low": "2626.00",
    }


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda: StockFactory(code="035720", market="KOSPI", current_price=D("45000"), listed_shares=3_000_000),
            id="listing",
        ),  # fmt: skip
        pytest.param(lambda: Stock.objects.filter(code="000660").update(is_listed=False), id="delisting"),
        pytest.param(lambda: Stock.objects.filter(code="005930").update(listed_shares=1_500_000), id="more shares"),
        pytest.param(lambda: Stock.objects.filter(code="247540").update(market="KOSPI"), id="moves market"),
    ],
)
def test_listings_delistings_and_share_changes_never_move_an_index(universe, change):
    market_overview_write()
    before = {code: index_value(code) for code in ("KOSPI", "KOSDAQ") if Stock.objects.filter(market=code).exists()}
    with index_divisors_kept():
        change()
    for code, value in before.items():
        if Stock.objects.filter(market=code, is_listed=True).exists():
            assert index_value(code) == value
    # ...and the next record (the mover's step) agrees: no jump, the universe matches the divisor.
    record = market_overview_write()
    assert {index["code"]: D(index["value"]) for index in record.body["indices"]}["KOSPI"] == before["KOSPI"]


def test_an_import_lists_and_reprices_without_the_listing_moving_the_index(universe):
    market_overview_write()
    report = stocks_import(
        lines=[
            "code,name,market,sector,price,listed_shares\n",
            "035720,카카오,KOSPI,서비스업,45000,2000000\n",  # a listing: 90bn more cap, no move
            "000660,SK하이닉스,KOSPI,전기전자,33000,1000000\n",  # +10% on 30bn: a real move
        ]
    )
    assert not report.errors
    # Before: 101bn → 2626.00. After the import at the new prices: the old universe is 104bn.
    assert index_value("KOSPI") == (D("2626.00") * D("104") / D("101")).quantize(D("0.01"))


def test_a_change_that_bypasses_the_service_is_absorbed_at_the_last_value(universe):
    record = market_overview_write()
    value = record.body["indices"][0]["value"]
    StockFactory(code="035720", market="KOSPI", current_price=D("45000"), listed_shares=3_000_000)  # raw insert
    record = market_overview_write()
    assert record.body["indices"][0]["value"] == value
    assert MarketIndex.objects.get(code="KOSPI").constituents == 3


def test_an_index_is_created_and_fitted_by_the_first_tick_when_nothing_set_it_up():
    StockFactory(code="005930", current_price=D("70000"), previous_close=D("70000"), listed_shares=1000,
                 volatility=D("0.3"))  # fmt: skip
    market_tick(rng=random.Random(1), interval_seconds=60)
    kospi = MarketIndex.objects.get(code="KOSPI")
    assert kospi.previous_close == D("2600.00") and kospi.value is not None
    assert kospi.value == (kospi.previous_close * Stock.objects.get().current_price / D("70000")).quantize(D("0.01"))
    assert MarketIndex.objects.get(code="KOSDAQ").divisor is None  # no KOSDAQ stock: nothing to fit


def test_each_tick_folds_the_value_into_the_minute_bar(universe):
    minute = datetime(2026, 3, 3, 10, 15, tzinfo=SEOUL)
    for second, price in ((5, "72000"), (20, "69000"), (40, "70500")):
        Stock.objects.filter(code="005930").update(current_price=D(price))
        market_overview_write(at=minute + timedelta(seconds=second))
    bar = IndexBar.objects.get(index__code="KOSPI", interval=PriceBar.Interval.MINUTE)
    assert (bar.start, bar.open, bar.high, bar.low, bar.close) == (
        minute,
        D("2652.00"),
        D("2652.00"),
        D("2574.00"),
        D("2613.00"),
    )


def test_the_day_roll_closes_the_index_day_into_a_daily_bar_once(universe):
    market_overview_write()
    MarketIndex.objects.update(trading_date=date(2026, 3, 3))
    assert indices_roll(trading_date=date(2026, 3, 4)) == 2
    assert indices_roll(trading_date=date(2026, 3, 4)) == 0  # another engine's roll finds nothing to do
    kospi = MarketIndex.objects.get(code="KOSPI")
    bar = IndexBar.objects.get(index=kospi, interval=PriceBar.Interval.DAY)
    assert bar.start == datetime(2026, 3, 3, tzinfo=SEOUL) and bar.close == D("2626.00")
    assert (kospi.previous_close, kospi.day_open, kospi.day_high, kospi.day_low) == (D("2626.00"),) * 4
    assert kospi.trading_date == date(2026, 3, 4)


def test_index_rows_are_created_once(db):
    assert [index.code for index in indices_locked()] == ["KOSPI", "KOSDAQ"]
    assert [index.code for index in indices_locked()] == ["KOSPI", "KOSDAQ"]
    assert MarketIndex.objects.count() == 2


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_listings_racing_the_mover_neither_deadlock_nor_move_the_index():
    with index_divisors_kept():
        for n in range(6):
            StockFactory(code=f"{100000 + n:06d}", current_price=D("50000"), previous_close=D("50000"),
                         listed_shares=1_000_000, volatility=D("0"))  # fmt: skip
    start = timezone.now()

    def mover():  # flat prices (no volatility): only the universe could move the index
        rng = random.Random(1)
        for n in range(25):
            market_tick(rng=rng, interval_seconds=60, now=start + timedelta(seconds=n))

    def lister():
        for n in range(10):
            with index_divisors_kept():
                StockFactory(code=f"{200000 + n:06d}", current_price=D("30000"), listed_shares=300_000 + n,
                             volatility=D("0"))  # fmt: skip
                Stock.objects.filter(code=f"{100000 + n % 6:06d}").update(listed_shares=1_000_000 + 1000 * n)
            with index_divisors_kept():
                Stock.objects.filter(code=f"{200000 + n:06d}").update(is_listed=n % 2 == 0)

    assert not _run_in_threads(mover, lister)
    values = {record.body["indices"][0]["value"] for record in MarketOverview.objects.all()}
    assert values == {"2600.00"} and MarketOverview.objects.count() == 25
    assert index_value("KOSPI") == D("2600.00")
