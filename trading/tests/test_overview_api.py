"""GET /api/v1/market/overview, /market/rankings and /indices: public reads of the per-tick record
and the index rows, in at most two queries; the quote's market cap, trading value and 52-week range."""

import pickle
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.utils import timezone

from stocking.core import throttling
from stocking.core.throttling import AnonPerViewRateThrottle
from trading.models import IndexBar, MarketIndex, PriceBar
from trading.services.indices import index_divisors_kept
from trading.services.overview import RANKING_SIZE, market_overview_write
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    with index_divisors_kept():
        StockFactory(code="005930", market="KOSPI", current_price=D("71000"), previous_close=D("70000"),
                     listed_shares=1_000_000, sector="전기전자")  # fmt: skip
        StockFactory(code="000660", market="KOSPI", current_price=D("29000"), previous_close=D("30000"),
                     listed_shares=1_000_000, sector="전기전자")  # fmt: skip
        StockFactory(code="247540", market="KOSDAQ", current_price=D("9500"), previous_close=D("10000"),
                     listed_shares=500_000, sector="화학")  # fmt: skip
    return market_overview_write()


def test_before_any_record_the_overview_still_answers_with_the_indices(api_client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = api_client.get("/api/v1/market/overview")
    assert response.status_code == 200
    body = response.json()
    assert body["at"] is None and body["indices"] == [] and body["rankings"]["gainers"] == []
    assert body["breadth"] == {"advancers": 0, "decliners": 0, "unchanged": 0, "upper_limit": 0, "lower_limit": 0}


def test_the_overview_is_the_newest_record_read_in_one_query(api_client, market, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = api_client.get("/api/v1/market/overview").json()
    assert body == market.body
    assert [index["code"] for index in body["indices"]] == ["KOSPI", "KOSDAQ"]
    assert body["breadth"]["advancers"] == 1 and body["breadth"]["decliners"] == 2


def test_market_data_looks_up_no_user(auth_client, market, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = auth_client.get("/api/v1/market/overview?market=KOSDAQ")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == market.body_kosdaq


@pytest.fixture
def rate(monkeypatch):
    def set_rate(value: str) -> None:
        monkeypatch.setattr(AnonPerViewRateThrottle, "THROTTLE_RATES", {"anon": value})
        cache.clear()
        throttling.reserved_slots.clear()

    return set_rate


def test_market_data_is_throttled_per_address_and_endpoint_in_the_shared_cache(api_client, market, rate):
    rate("2/min")
    for _ in range(2):
        assert api_client.get("/api/v1/market/overview").status_code == 200
    throttled = api_client.get("/api/v1/market/overview")
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert api_client.get("/api/v1/indices").status_code == 200  # another endpoint counts apart
    assert api_client.get("/api/v1/market/overview", REMOTE_ADDR="10.0.0.2").status_code == 200
    # One counter per address, endpoint and window, in the cache every worker shares.
    assert any("MarketOverviewView" in key for key in cache._cache)


def test_workers_take_blocks_of_the_shared_count_and_never_exceed_the_limit(api_client, market, rate, monkeypatch):
    """Three workers (each with its own reserved slots) serving one client in turn: 40 requests
    pass at most, each process writing the shared counter once per block of 2."""
    rate("40/min")
    worker_slots = [{}, {}, {}]
    passed = 0
    for n in range(60):
        # The process that takes this request: its own reserved slots.
        monkeypatch.setattr(throttling, "reserved_slots", worker_slots[n % 3])
        passed += api_client.get("/api/v1/market/overview").status_code == 200
    assert 40 - 3 * (2 - 1) <= passed <= 40
    counter = next(pickle.loads(value) for key, value in cache._cache.items() if "MarketOverviewView" in key)
    assert counter == 60  # 30 shared writes of 2 slots each: every slot handed out was counted


@pytest.mark.parametrize("market_param", ["KOSDAQ", "kosdaq"])
def test_the_overview_of_one_market_keeps_both_indices(api_client, market, market_param):
    body = api_client.get(f"/api/v1/market/overview?market={market_param}").json()
    assert body["market"] == "KOSDAQ" and len(body["indices"]) == 2
    assert [quote["code"] for quote in body["rankings"]["gainers"]] == ["247540"]
    assert body["sectors"][0]["sector"] == "화학"


@pytest.mark.parametrize("query", ["market=KONEX", "market=NYSE"])
def test_an_unknown_market_is_400(api_client, market, query):
    response = api_client.get(f"/api/v1/market/overview?{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_rankings_answer_the_top_of_one_list(api_client, market, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = api_client.get("/api/v1/market/rankings?by=losers&market=KOSPI&limit=1").json()
    assert body["by"] == "losers" and body["market"] == "KOSPI" and body["at"] == market.body["at"]
    assert [quote["code"] for quote in body["results"]] == ["000660"]
    default = api_client.get("/api/v1/market/rankings").json()
    assert default["by"] == "gainers" and [q["code"] for q in default["results"]] == ["005930", "000660", "247540"]


@pytest.mark.parametrize("query", ["by=price", f"limit={RANKING_SIZE + 1}", "limit=0", "market=KONEX"])
def test_rankings_refuse_what_the_record_cannot_answer(api_client, market, query):
    assert api_client.get(f"/api/v1/market/rankings?{query}").status_code == 400


def test_indices_list_and_detail(api_client, market, django_assert_num_queries):
    with django_assert_num_queries(1):
        indices = api_client.get("/api/v1/indices").json()
    assert [index["code"] for index in indices] == ["KOSPI", "KOSDAQ"]
    kospi = api_client.get("/api/v1/indices/KOSPI").json()
    assert kospi == indices[0]
    assert (kospi["value"], kospi["previous_close"], kospi["change"], kospi["change_rate"]) == (
        "2600.00",
        "2600.00",
        "0.00",
        "0.00",
    )
    assert kospi["trading_date"] is not None and kospi["updated_at"] is not None
    assert api_client.get("/api/v1/indices/kosdaq").json()["code"] == "KOSDAQ"
    assert api_client.get("/api/v1/indices/NIKKEI").status_code == 404


def test_index_candles_are_a_plain_list_oldest_first(api_client, market):
    kospi = MarketIndex.objects.get(code="KOSPI")
    now = timezone.now().replace(second=0, microsecond=0)
    for n, value in enumerate(("2590.00", "2600.50", "2610.25")):
        IndexBar.objects.create(
            index=kospi, interval=PriceBar.Interval.DAY, start=now - timedelta(days=3 - n),
            open=D(value), high=D(value), low=D(value), close=D(value),
        )  # fmt: skip
    body = api_client.get("/api/v1/indices/KOSPI/candles?interval=1d&limit=2").json()
    assert [bar["close"] for bar in body] == ["2600.50", "2610.25"]
    assert set(body[0]) == {"start", "open", "high", "low", "close"}
    minute = api_client.get("/api/v1/indices/KOSPI/candles?interval=1m").json()
    assert len(minute) == 1  # the record's tick folded into its minute bar
    assert api_client.get("/api/v1/indices/KOSPI/candles?interval=5m").status_code == 400
    assert api_client.get("/api/v1/indices/DOW/candles").status_code == 404


def test_a_quote_shows_market_cap_trading_value_and_the_52_week_range_with_today(api_client, db):
    StockFactory(
        code="005930", current_price=D("71000"), previous_close=D("70000"), day_high=D("72000"),
        day_low=D("69000"), listed_shares=1000, float_ratio=D("75.5"), trading_value=D("123456789"),
        high_52w=D("71500"), low_52w=D("50000"),
    )  # fmt: skip
    body = api_client.get("/api/v1/stocks/005930").json()
    assert body["market_cap"] == "71000000" and body["trading_value"] == "123456789"
    assert (body["high_52w"], body["low_52w"]) == ("72000", "50000")  # today's high is above last year's
    assert (body["listed_shares"], body["float_ratio"]) == (1000, "75.50")
