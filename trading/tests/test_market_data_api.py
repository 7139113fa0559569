from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from trading.models import PriceBar
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def universe(db):
    return [
        StockFactory(
            code="005930", name="삼성전자", market="KOSPI", current_price=D("71000"), previous_close=D("70000")
        ),
        StockFactory(code="000660", name="SK하이닉스", market="KOSPI", current_price=D("150000")),
        StockFactory(
            code="247540", name="에코프로비엠", market="KOSDAQ", current_price=D("98000"), previous_close=D("100000")
        ),
        StockFactory(code="123456", name="상장폐지", is_listed=False),
    ]


def test_list_is_public_paginated_and_hides_delisted(api_client, universe, django_assert_num_queries):
    with django_assert_num_queries(2):
        body = api_client.get("/api/v1/stocks").json()
    assert body["count"] == 3
    assert [s["code"] for s in body["results"]] == ["000660", "005930", "247540"]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("search=005", ["005930"]),
        ("search=삼성", ["005930"]),
        ("search=sk", ["000660"]),
        ("market=KOSDAQ", ["247540"]),
        ("market=kospi&search=하이닉스", ["000660"]),
    ],
)
def test_search_by_code_or_name_and_filter_by_market(api_client, universe, query, codes):
    body = api_client.get(f"/api/v1/stocks?{query}").json()
    assert [s["code"] for s in body["results"]] == codes


def test_bad_market_filter_is_400(api_client, universe):
    response = api_client.get("/api/v1/stocks?market=NYSE")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_quote_has_change_rate_tick_and_limits(api_client, universe):
    body = api_client.get("/api/v1/stocks/005930").json()
    assert body["price"] == "71000"
    assert body["change"] == "1000"
    assert body["change_rate"] == "1.43"
    assert body["tick_size"] == "100"
    assert (body["lower_limit"], body["upper_limit"]) == ("49000", "91000")
    down = api_client.get("/api/v1/stocks/247540").json()
    assert (down["change"], down["change_rate"]) == ("-2000", "-2.00")


def test_unknown_or_malformed_code_is_404(api_client, universe):
    assert api_client.get("/api/v1/stocks/999999").status_code == 404
    assert api_client.get("/api/v1/stocks/abc").status_code == 404


def test_candles_are_oldest_first_limited_and_by_interval(api_client, universe):
    stock = universe[0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        PriceBarFactory(stock=stock, interval="1d", start=start + timedelta(days=day), close=D(70000 + day * 100))
    PriceBarFactory(stock=stock, interval="1m", start=start)
    body = api_client.get("/api/v1/stocks/005930/candles?interval=1d&limit=3").json()
    assert [bar["close"] for bar in body] == ["70200", "70300", "70400"]
    assert len(api_client.get("/api/v1/stocks/005930/candles?interval=1m").json()) == 1
    assert api_client.get("/api/v1/stocks/005930/candles?interval=5m").status_code == 400
    assert api_client.get("/api/v1/stocks/005930/candles?limit=0").status_code == 400
    assert api_client.get("/api/v1/stocks/999999/candles").status_code == 404
    assert PriceBar.objects.count() == 6


def test_market_clock_always_open_by_default(api_client, db):
    body = api_client.get("/api/v1/market/clock").json()
    assert body["is_open"] is True and body["enforced"] is False
    assert body["next_close"].endswith("T00:00:00+09:00")


def test_market_clock_with_enforced_hours(api_client, db, settings):
    settings.ENFORCE_MARKET_HOURS = True
    body = api_client.get("/api/v1/market/clock").json()
    assert body["enforced"] is True
    assert body["next_close"].endswith("T15:30:00+09:00")
    assert body["next_open"].endswith("T09:00:00+09:00")
