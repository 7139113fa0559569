"""seed_demo for the overview: listed shares and KRX sectors on every stock, indices at 2,600 and
850 at the last close with a year of daily bars, the first overview record, and --stocks N."""

import io
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from trading import krx
from trading.demo_data import DEMO_STOCKS
from trading.demo_synthetic import FIRST_CODE, demo_universe, synthetic_stock
from trading.models import IndexBar, Market, MarketIndex, MarketOverview, PriceBar, Stock
from trading.sectors import Sector
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-users", "--days", "10", *args, stdout=out)
    return out.getvalue()


def test_the_seed_sets_the_indices_at_their_base_on_the_last_close_with_their_history():
    output = seed()
    assert "Market overview: first record written" in output
    kospi, kosdaq = MarketIndex.objects.get(code="KOSPI"), MarketIndex.objects.get(code="KOSDAQ")
    assert (kospi.previous_close, kosdaq.previous_close) == (D("2600.00"), D("850.00"))
    for index in (kospi, kosdaq):
        bars = list(IndexBar.objects.filter(index=index, interval=PriceBar.Interval.DAY).order_by("start"))
        assert len(bars) == PriceBar.objects.filter(stock__code="005930", interval="1d").count() > 0
        assert bars[-1].close == index.previous_close
        assert all(bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high for bar in bars)
        assert abs(index.value - index.previous_close) / index.previous_close < D("0.1")
    record = MarketOverview.objects.get()
    assert sum(list(record.body["breadth"].values())[:3]) == len(DEMO_STOCKS)


def test_every_demo_stock_has_a_krx_sector_shares_a_float_ratio_and_its_52_week_range():
    seed()
    for stock in Stock.objects.all():
        assert stock.sector in Sector.values
        assert stock.listed_shares > 0 and D("0") < stock.float_ratio <= D("100")
        assert stock.low_52w <= stock.high_52w and stock.trading_value > 0
    assert Stock.objects.get(code="005930").sector == Sector.ELECTRONICS  # the theme 반도체, mapped


def test_a_second_run_changes_nothing():
    seed()
    counts = [model.objects.count() for model in (Stock, PriceBar, MarketIndex, IndexBar, MarketOverview)]
    divisors = list(MarketIndex.objects.values_list("divisor", flat=True))
    assert "Market overview: a record exists" in seed()
    assert [model.objects.count() for model in (Stock, PriceBar, MarketIndex, IndexBar, MarketOverview)] == counts
    assert list(MarketIndex.objects.values_list("divisor", flat=True)) == divisors


def test_stocks_n_adds_synthetic_stocks_after_the_real_ones_and_keeps_the_indices_still():
    seed("--stocks", "66")
    before = {index.code: index.value for index in MarketIndex.objects.all()}
    assert "Stocks: 4 created, 66 found" in seed("--stocks", "70")
    assert Stock.objects.filter(code__gte=f"{FIRST_CODE:06d}").count() == 5
    # The listings went through the divisors: no index moved.
    assert {index.code: index.value for index in MarketIndex.objects.all()} == before


def test_stocks_n_below_the_real_universe_takes_its_first_n():
    assert "Stocks: 10 created, 0 found" in seed("--stocks", "10")
    assert set(Stock.objects.values_list("code", flat=True)) == {demo.code for demo in DEMO_STOCKS[:10]}


def test_stocks_must_be_positive():
    with pytest.raises(CommandError, match="--stocks"):
        seed("--stocks", "0")


def test_an_existing_stock_without_shares_gets_the_universes():
    StockFactory(code="005930", current_price=D("98500"), previous_close=D("98500"), listed_shares=0)
    assert "Listed shares: set on 1 existing stocks" in seed("--stocks", "1")
    assert Stock.objects.get(code="005930").listed_shares == DEMO_STOCKS[0].listed_shares


def test_the_synthetic_universe_looks_like_krx_and_is_the_same_every_run():
    universe = demo_universe(2700)
    synthetic = universe[len(DEMO_STOCKS) :]
    assert len(universe) == 2700 and len({stock.code for stock in universe}) == 2700
    assert synthetic_stock(7) == synthetic[7]
    kospi = sum(stock.market == Market.KOSPI for stock in synthetic) / len(synthetic)
    assert 0.3 < kospi < 0.4
    assert all(krx.is_on_tick(D(stock.price)) and stock.sector in Sector.values for stock in synthetic)
    assert all(stock.listed_shares >= 100_000 and D("20") <= D(stock.float_ratio) <= D("90") for stock in synthetic)
    assert len({stock.sector for stock in synthetic}) == len(Sector.values)
