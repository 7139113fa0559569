import pytest

from trading.tests.factories import StockFactory


@pytest.fixture
def stock(db):
    return StockFactory(code="005930", name="삼성전자", current_price="70000", previous_close="70000")
