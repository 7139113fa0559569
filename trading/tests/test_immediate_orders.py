"""Time in force IOC and FOK: decided at acceptance. What cannot fill at once is closed as cancelled
(`ioc_unfilled` / `fok_unfilled`) in the same transaction, its hold released; the answer is 201."""

from decimal import Decimal as D

import pytest

from portfolio.models import Balance, Position
from portfolio.tests.helpers import assert_books_balance
from trading.models import Order
from trading.services import order_place

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


def post(client, **body):
    payload = {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 5, **body}
    return client.post(ORDERS, payload, format="json")


@pytest.mark.parametrize(("tif", "reason"), [("ioc", "ioc_unfilled"), ("fok", "fok_unfilled")])
def test_an_immediate_limit_that_cannot_fill_is_cancelled_at_once(auth_client, user, stock, tif, reason):
    response = post(auth_client, limit_price="60000", time_in_force=tif)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["cancel_reason"], body["filled_quantity"]) == ("cancelled", reason, 0)
    assert body["reserved_cash"] == "0.00" and body["closed_at"] and body["executions"] == []
    balance = Balance.objects.get(user=user)
    assert (balance.cash, balance.reserved_cash) == (D("10000000"), 0)
    assert auth_client.get(f"{ORDERS}/{body['id']}").json()["status"] == "cancelled"
    assert_books_balance()


@pytest.mark.parametrize("tif", ["ioc", "fok"])
def test_an_immediate_order_that_can_fill_fills_whole(auth_client, user, stock, tif):
    body = post(auth_client, limit_price="71000", time_in_force=tif).json()
    assert (body["status"], body["cancel_reason"], body["filled_quantity"]) == ("filled", None, 5)
    market = post(auth_client, order_type="market", time_in_force=tif).json()
    assert market["status"] == "filled"
    assert_books_balance()


def test_an_immediate_sell_that_cannot_fill_keeps_the_shares_free(auth_client, user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    body = post(auth_client, side="sell", limit_price="80000", time_in_force="ioc").json()
    assert (body["status"], body["cancel_reason"], body["reserved_quantity"]) == ("cancelled", "ioc_unfilled", 0)
    position = Position.objects.get(user=user)
    assert (position.quantity, position.reserved_quantity) == (10, 0)
    assert_books_balance()


def test_the_checks_still_run_for_an_order_that_will_be_cancelled(auth_client, user, stock):
    response = post(auth_client, quantity=200, limit_price="60000", time_in_force="ioc")
    assert (response.status_code, response.json()["code"]) == (400, "insufficient_cash")
    response = post(auth_client, side="sell", limit_price="80000", time_in_force="fok")
    assert (response.status_code, response.json()["code"]) == (400, "insufficient_shares")
    assert not Order.objects.exists()


def test_the_engine_never_sees_an_immediate_order(auth_client, user, stock):
    from trading.services.matching import match_orders
    from trading.tests.test_matching import set_price

    post(auth_client, limit_price="60000", time_in_force="ioc")
    set_price(stock, "59000")
    assert match_orders().filled == 0
    assert_books_balance()
