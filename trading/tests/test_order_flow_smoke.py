from decimal import Decimal

import pytest

from conftest import client_for
from trading.tests.factories import StockFactory


@pytest.mark.django_db
def test_buy_then_sell_round_trip_settles_cash_fees_and_tax(user):
    StockFactory(code="005930", current_price=Decimal("70000"))
    client = client_for(user)
    buy = client.post(
        "/api/v1/orders", {"stock": "005930", "side": "buy", "order_type": "market", "quantity": 10}, format="json"
    )
    assert buy.status_code == 201, buy.json()
    assert buy.json()["status"] == "filled"
    balance = client.get("/api/v1/balance").json()
    # 700,000 gross + 105 commission
    assert balance["cash"] == "9299895.00"
    assert balance["reserved_cash"] == "0.00"
    sell = client.post(
        "/api/v1/orders", {"stock": "005930", "side": "sell", "order_type": "market", "quantity": 10}, format="json"
    )
    assert sell.status_code == 201, sell.json()
    # +700,000 − 105 commission − 1,400 tax
    assert client.get("/api/v1/balance").json()["cash"] == "9998390.00"
