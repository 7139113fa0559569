"""The stock list's sector filter: one selector argument, shared by GET /api/v1/stocks and /market/."""

import pytest

from trading import selectors
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sectors():
    StockFactory(code="005930", name="삼성전자", sector="전기전자")
    StockFactory(code="000660", name="SK하이닉스", sector="전기전자")
    StockFactory(code="035720", name="카카오", market="KOSDAQ", sector="서비스업")
    StockFactory(code="999999", name="상장폐지", sector="전기전자", is_listed=False)


def test_stock_list_filters_by_sector_exactly(sectors):
    assert [s.code for s in selectors.stock_list(sector="전기전자")] == ["000660", "005930"]
    assert [s.code for s in selectors.stock_list(sector="전기")] == []
    assert [s.code for s in selectors.stock_list(sector="전기전자", search="삼성")] == ["005930"]
    assert selectors.stock_list(sector="").count() == 3


def test_stocks_api_takes_a_sector(api_client, sectors):
    response = api_client.get("/api/v1/stocks", {"sector": "서비스업"})
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["035720"]
    assert api_client.get("/api/v1/stocks", {"sector": "서비스업", "market": "KOSPI"}).json()["count"] == 0


def test_stocks_api_refuses_an_overlong_sector(api_client, sectors):
    response = api_client.get("/api/v1/stocks", {"sector": "x" * 61})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
