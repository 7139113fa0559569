"""The per-tick overview record: what it counts and ranks, that the mover writes it with one INSERT
from the rows it moved, and the stock data it needs (trading value, 52-week range) kept up to date."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stocking.core.clock import SEOUL
from trading.models import MarketIndex, MarketOverview, MarketTick, PriceBar, Stock
from trading.services import overview
from trading.services.market_day import daily_bar_start, market_day_roll
from trading.services.overview import RANKING_SIZE, market_overview_write, stocks_52w_refresh
from trading.services.simulator import market_tick
from trading.services.stream_retention import stream_events_prune
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


def stock(code: str, price: str | None, close: str, *, market="KOSPI", sector="전기전자", shares=1000, **fields):
    return StockFactory(
        code=code,
        market=market,
        sector=sector,
        current_price=None if price is None else D(price),
        previous_close=D(close),
        listed_shares=shares,
        **fields,
    )


@pytest.fixture
def market():
    """KOSPI: one at the upper limit, a riser, a faller, a halted riser, an unpriced listing and a
    delisted stock; KOSDAQ: one at the lower limit and one unchanged."""
    return [
        stock("000001", "13000", "10000"),  # +30%: the upper limit
        stock("000002", "10500", "10000", sector="화학", trading_value=D("900000")),  # +5%
        stock("000003", "9800", "10000", sector="화학", volume=700),  # -2%
        stock("000004", "11000", "10000", is_halted=True),  # halted: unchanged, still ranked
        stock("000005", None, "1"),  # listed without a price: unchanged, unranked
        stock("000006", "20000", "10000", is_listed=False),  # delisted: not counted at all
        stock("100001", "7000", "10000", market="KOSDAQ", sector="의약품"),  # -30%: the lower limit
        stock("100002", "5000", "5000", market="KOSDAQ", sector="의약품", shares=0),
    ]


def test_breadth_adds_up_to_the_listed_stocks_with_halted_ones_unchanged(market):
    record = market_overview_write()
    assert record.body["breadth"] == {
        "advancers": 2,
        "decliners": 2,
        "unchanged": 3,
        "upper_limit": 1,
        "lower_limit": 1,
    }
    assert (
        sum(list(record.body_kospi["breadth"].values())[:3])
        == Stock.objects.filter(market="KOSPI", is_listed=True).count()
    )
    assert record.body_kosdaq["breadth"] == {
        "advancers": 0,
        "decliners": 1,
        "unchanged": 1,
        "upper_limit": 0,
        "lower_limit": 1,
    }


def test_gainers_and_losers_rank_every_priced_stock_of_the_market_not_only_by_sign(market):
    record = market_overview_write()
    codes = {name: [quote["code"] for quote in quotes] for name, quotes in record.body_kospi["rankings"].items()}
    assert codes["gainers"] == ["000001", "000004", "000002", "000003"]  # the halted one too
    assert codes["losers"] == ["000003", "000002", "000004", "000001"]
    assert codes["market_cap"] == ["000001", "000004", "000002", "000003"]
    assert codes["trading_value"][0] == "000002" and codes["volume"][0] == "000003"
    everything = [quote["code"] for quote in record.body["rankings"]["losers"]]
    assert everything == ["100001", "000003", "100002", "000002", "000004", "000001"]
    assert record.body["rankings"]["gainers"][0] == {
        "code": "000001",
        "name": Stock.objects.get(code="000001").name,
        "market": "KOSPI",
        "price": "13000",
        "change": "3000",
        "change_rate": "30.00",
        "volume": 0,
        "trading_value": "0",
        "market_cap": "13000000",
    }


def test_rankings_keep_the_top_of_each_list_only(db):
    for n in range(RANKING_SIZE + 5):
        stock(f"{n + 1:06d}", str(10000 + 10 * n), "10000")
    record = market_overview_write()
    gainers = record.body["rankings"]["gainers"]
    assert len(gainers) == RANKING_SIZE and gainers[0]["code"] == f"{RANKING_SIZE + 5:06d}"


def test_sectors_change_by_market_cap_with_their_advancers_and_decliners(db):
    stock("000001", "11000", "10000", sector="화학", shares=3000, trading_value=D("500"))  # 30m → 33m
    stock("000002", "9000", "10000", sector="화학", shares=1000, trading_value=D("700"))  # 10m → 9m
    stock("000003", "5000", "5000", sector="", shares=1000)  # unclassified: in no sector
    chemicals = market_overview_write().body["sectors"]
    assert chemicals == [
        {
            "sector": "화학",
            "change_rate": "5.00",  # 42m against 40m at the previous close
            "advancers": 1,
            "decliners": 1,
            "unchanged": 0,
            "trading_value": "1200",
            "stocks": 2,
            "market_cap": "42000000",
        }
    ]


def test_new_52_week_highs_and_lows_are_today_past_the_year_before(db):
    stock("000001", "12000", "10000", day_high=D("12500"), high_52w=D("12000"), low_52w=D("8000"))
    stock("000002", "12000", "10000", day_high=D("12000"), high_52w=D("12000"), low_52w=D("8000"))  # ties: no
    stock("000003", "7000", "7500", day_low=D("6900"), high_52w=D("12000"), low_52w=D("7000"))
    stock("000004", "9000", "9000", day_high=D("99000"))  # no history: never a new high
    body = market_overview_write().body
    assert [quote["code"] for quote in body["new_highs"]] == ["000001"]
    assert [quote["code"] for quote in body["new_lows"]] == ["000003"]


def ticking_market() -> list[Stock]:
    return [
        StockFactory(code=f"{100000 + n:06d}", current_price=D("50000"), volatility=D("0.3"), listed_shares=10**6)
        for n in range(5)
    ]


def test_the_mover_writes_one_record_per_tick_with_a_single_insert_from_what_it_loaded():
    ticking_market()
    halted = StockFactory(code="999999", current_price=D("1000"), is_halted=True, listed_shares=10)
    with CaptureQueriesContext(connection) as queries:
        result = market_tick(rng=random.Random(4), interval_seconds=60)
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT") and "marketoverview" in q["sql"]]
    assert len(inserts) == 1
    table = f"FROM {connection.ops.quote_name('trading_stock')}"
    stock_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    assert len(stock_reads) == 3  # the tick's own load and row lock, then the halted and unpriced stocks
    record = MarketOverview.objects.get()
    assert record.at == result.at
    breadth = record.body["breadth"]
    assert breadth["advancers"] + breadth["decliners"] + breadth["unchanged"] == 6
    by_code = {q["code"]: q for q in record.body["rankings"]["market_cap"]}
    for moved in Stock.objects.exclude(pk=halted.pk):
        assert D(by_code[moved.code]["price"]) == moved.current_price
        assert by_code[moved.code]["volume"] == moved.volume and D(by_code[moved.code]["trading_value"]) > 0


def test_the_tick_keeps_each_stocks_trading_value_and_the_roll_resets_it():
    ticking_market()
    market_tick(rng=random.Random(4), interval_seconds=60)
    first = {s.code: s.trading_value for s in Stock.objects.all()}
    assert all(value > 0 for value in first.values())
    market_tick(rng=random.Random(5), interval_seconds=60)
    for s in Stock.objects.all():
        assert s.trading_value > first[s.code]
    Stock.objects.update(trading_date=date(2026, 3, 3))
    market_day_roll(now=datetime(2026, 3, 4, 0, 0, 1, tzinfo=SEOUL))
    assert set(Stock.objects.values_list("trading_value", flat=True)) == {D("0")}


def test_a_tick_that_trades_nothing_writes_no_record():
    market_tick(rng=random.Random(1))
    assert not MarketOverview.objects.exists()


def test_a_failing_overview_never_stops_the_tick(monkeypatch, caplog):
    ticking_market()
    market_tick(rng=random.Random(3), interval_seconds=60)
    index_before = MarketIndex.objects.values_list("value", flat=True).get(code="KOSPI")
    prices_before = dict(Stock.objects.values_list("code", "current_price"))

    def broken(**kwargs):
        raise DatabaseError("the overview's table is gone")

    # It fails after the index rows were written: those writes go back with it, the tick's stay.
    monkeypatch.setattr(overview, "overview_bodies", broken)
    result = market_tick(rng=random.Random(4), interval_seconds=60)
    assert result.moved > 0 and MarketTick.objects.count() == 2 and MarketOverview.objects.count() == 1
    assert dict(Stock.objects.values_list("code", "current_price")) != prices_before
    assert MarketIndex.objects.values_list("value", flat=True).get(code="KOSPI") == index_before
    assert "could not be written" in caplog.text


def test_52_week_ranges_come_from_the_daily_bars_of_the_year_before_today(db):
    samsung = stock("005930", "70000", "70000")
    today = date(2026, 3, 4)

    def bar(day: date, high: str, low: str) -> None:
        PriceBarFactory(stock=samsung, start=daily_bar_start(day), open=D(low), close=D(high), high=D(high), low=D(low))

    bar(today - timedelta(days=1), "72000", "69000")
    bar(today - timedelta(days=300), "90000", "50000")
    bar(today - timedelta(days=400), "99000", "40000")  # more than 52 weeks ago
    bar(today, "80000", "60000")  # today's own bar (a re-run) is not "before today"
    assert stocks_52w_refresh(trading_date=today) == 1
    samsung.refresh_from_db()
    assert (samsung.high_52w, samsung.low_52w) == (D("90000"), D("50000"))
    assert stocks_52w_refresh(trading_date=today) == 0


def test_the_day_roll_refreshes_the_52_week_range_with_the_finished_day():
    samsung = stock("005930", "91000", "70000", day_high=D("91000"), day_low=D("70000"), high_52w=D("80000"))
    Stock.objects.filter(pk=samsung.pk).update(trading_date=date(2026, 3, 3))
    market_day_roll(now=datetime(2026, 3, 4, 0, 0, 1, tzinfo=SEOUL))
    samsung.refresh_from_db()
    assert samsung.high_52w == D("91000") and PriceBar.objects.filter(interval="1d").count() == 1


def test_overview_records_are_pruned_with_the_ticks(db):
    stock("005930", "70000", "70000")
    old = market_overview_write(at=timezone.now() - timedelta(hours=2))
    new = market_overview_write()
    events, ticks = stream_events_prune(events_before=timezone.now(), ticks_before=timezone.now() - timedelta(hours=1))
    assert ticks == 1 and list(MarketOverview.objects.values_list("pk", flat=True)) == [new.pk]
    assert old.pk != new.pk
