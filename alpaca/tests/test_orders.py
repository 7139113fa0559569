"""Orders through alpaca-py: submit (market and limit, every time in force), list with every filter,
get by id and by client id, replace, cancel one and all; another user's orders answer 404."""

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, OrderStatus, OrderType, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from trading.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def market_order(symbol="005930", qty=1, side=OrderSide.BUY, tif=TimeInForce.DAY, **extra):
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, **extra)


def limit_order(price, symbol="005930", qty=1, side=OrderSide.BUY, tif=TimeInForce.DAY, **extra):
    return LimitOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, limit_price=price, **extra)


def test_a_market_buy_fills_in_the_same_request(client, market, books):
    order = client.submit_order(market_order(qty=3, client_order_id="first-buy"))

    assert order.status == OrderStatus.FILLED and order.filled_qty == "3" and order.qty == "3"
    assert order.filled_avg_price == "70000" and order.client_order_id == "first-buy"
    assert order.type == order.order_type == OrderType.MARKET and order.limit_price is None
    assert order.symbol == "005930" and order.asset_class.value == "us_equity" and order.side == OrderSide.BUY
    assert order.filled_at is not None and order.expires_at > order.submitted_at
    stored = Order.objects.get(public_id=order.id)
    assert (stored.quantity, stored.client_order_id, stored.status) == (3, "first-buy", "filled")


@pytest.mark.parametrize("tif", [TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK])
def test_every_time_in_force(client, market, books, tif):
    filled = client.submit_order(market_order(tif=tif))
    assert (filled.status, filled.time_in_force) == (OrderStatus.FILLED, tif)
    resting = client.submit_order(limit_order(60000, tif=tif))
    if tif in (TimeInForce.IOC, TimeInForce.FOK):  # nothing can fill at once: closed as canceled
        assert resting.status == OrderStatus.CANCELED and resting.canceled_at is not None
    else:
        assert resting.status == OrderStatus.NEW and resting.limit_price == "60000"
        assert (resting.expires_at is None) == (tif == TimeInForce.GTC)


def test_a_marketable_limit_fills_and_a_float_price_is_whole_won(client, market, books):
    order = client.submit_order(limit_order(70100.0, qty=2.0))
    assert order.status == OrderStatus.FILLED and order.limit_price == "70100" and order.filled_avg_price == "70000"


def test_listing_orders_with_every_filter(client, market, books):
    placed = [
        client.submit_order(limit_order(60000, client_order_id="a")),
        client.submit_order(limit_order(61000, client_order_id="b")),
        client.submit_order(market_order(client_order_id="c")),
        client.submit_order(limit_order(140000, symbol="000660", client_order_id="d")),
        client.submit_order(market_order(side=OrderSide.SELL, client_order_id="e")),
    ]
    ids = [order.client_order_id for order in client.get_orders()]
    assert ids == ["d", "b", "a"]  # open by default, newest first
    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert [o.client_order_id for o in closed] == ["e", "c"]
    every = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, direction=Sort.ASC))
    assert [o.client_order_id for o in every] == ["a", "b", "c", "d", "e"]
    limited = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=2))
    assert [o.client_order_id for o in limited] == ["e", "d"]
    sells = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, side=OrderSide.SELL))
    assert [o.client_order_id for o in sells] == ["e"]
    hynix = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["000660"]))
    assert [o.client_order_id for o in hynix] == ["d"]
    both = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["000660", "005930"], nested=True))
    assert len(both) == 5
    middle = placed[2].submitted_at
    after = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, after=middle, direction=Sort.ASC))
    assert [o.client_order_id for o in after] == ["d", "e"]
    until = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, until=middle))
    assert [o.client_order_id for o in until] == ["b", "a"]
    future = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, after=datetime.now() + timedelta(days=1)))
    assert future == []


def test_one_order_by_id_and_by_client_order_id(client, market, books):
    order = client.submit_order(limit_order(60000, client_order_id="mine-1"))
    assert client.get_order_by_id(order.id).client_order_id == "mine-1"
    assert client.get_order_by_id(str(order.id)).id == order.id
    assert client.get_order_by_client_id("mine-1").id == order.id
    unnamed = client.submit_order(limit_order(60000))
    assert unnamed.client_order_id == str(unnamed.id)  # no client id given: the order's own id stands in
    assert client.get_order_by_client_id(str(unnamed.id)).id == unnamed.id
    for call in (lambda: client.get_order_by_id(uuid4()), lambda: client.get_order_by_client_id("nope")):
        with pytest.raises(APIError) as error:
            call()
        assert (error.value.status_code, error.value.code) == (404, 40410000)


def test_replace_changes_the_order_in_place(client, market, books):
    order = client.submit_order(limit_order(60000, qty=5))
    replaced = client.replace_order_by_id(order.id, ReplaceOrderRequest(qty=7, limit_price=61000))
    assert replaced.id == order.id and replaced.replaced_by is None
    assert (replaced.qty, replaced.limit_price, replaced.status) == ("7", "61000", OrderStatus.NEW)
    stored = Order.objects.get(public_id=order.id)
    assert (stored.quantity, stored.limit_price, stored.reserved_cash) == (7, Decimal("61000"), Decimal("427064"))

    now_marketable = client.replace_order_by_id(order.id, ReplaceOrderRequest(limit_price=70000))
    assert now_marketable.status == OrderStatus.FILLED
    with pytest.raises(APIError) as error:
        client.replace_order_by_id(order.id, ReplaceOrderRequest(limit_price=60000))
    assert (error.value.status_code, error.value.code) == (422, 42210000)

    market_order_id = client.submit_order(market_order()).id
    with pytest.raises(APIError) as error:
        client.replace_order_by_id(market_order_id, ReplaceOrderRequest(qty=2))
    assert (error.value.status_code, error.value.code) == (422, 42210000)

    resting = client.submit_order(limit_order(60000, client_order_id="keep"))
    for request, code in (
        (ReplaceOrderRequest(time_in_force=TimeInForce.GTC), 42210000),
        (ReplaceOrderRequest(stop_price=59000), 42210000),
        (ReplaceOrderRequest(client_order_id=order.client_order_id), 40010001),
        (ReplaceOrderRequest(limit_price=60050), 42210000),  # off the 100-won grid
    ):
        with pytest.raises(APIError) as error:
            client.replace_order_by_id(resting.id, request)
        assert (error.value.status_code, error.value.code) == (422, code), request
    same = client.replace_order_by_id(resting.id, ReplaceOrderRequest(qty=2, time_in_force=TimeInForce.DAY))
    assert same.qty == "2" and same.client_order_id == "keep"


def test_cancel_one_and_all(client, market, books):
    first = client.submit_order(limit_order(60000))
    second = client.submit_order(limit_order(61000))
    third = client.submit_order(limit_order(62000))
    filled = client.submit_order(market_order())

    assert client.cancel_order_by_id(first.id) is None
    assert client.get_order_by_id(first.id).status == OrderStatus.CANCELED
    for order_id in (first.id, filled.id):
        with pytest.raises(APIError) as error:
            client.cancel_order_by_id(order_id)
        assert (error.value.status_code, error.value.code, error.value.message) == (
            422,
            42210000,
            "order is not cancelable",
        )
    with pytest.raises(APIError) as error:
        client.cancel_order_by_id(uuid4())
    assert (error.value.status_code, error.value.code) == (404, 40410000)

    results = client.cancel_orders()
    assert sorted(str(r.id) for r in results) == sorted([str(second.id), str(third.id)])
    assert {r.status for r in results} == {200}
    assert client.get_orders() == [] and client.cancel_orders() == []


def test_another_users_orders_are_not_found(client, other_client, market, books):
    order = client.submit_order(limit_order(60000, client_order_id="private"))
    assert other_client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL)) == []
    calls = (
        lambda: other_client.get_order_by_id(order.id),
        lambda: other_client.get_order_by_client_id("private"),
        lambda: other_client.replace_order_by_id(order.id, ReplaceOrderRequest(qty=2)),
        lambda: other_client.cancel_order_by_id(order.id),
    )
    for call in calls:
        with pytest.raises(APIError) as error:
            call()
        assert (error.value.status_code, error.value.code) == (404, 40410000)
    assert other_client.cancel_orders() == []
    assert client.get_order_by_id(order.id).status == OrderStatus.NEW


def test_stop_stop_limit_and_trailing_stop_orders(client, market, books):
    client.submit_order(market_order(qty=10))
    stop = client.submit_order(
        StopOrderRequest(symbol="005930", qty=2, side=OrderSide.SELL, time_in_force="gtc", stop_price=65000)
    )
    assert (stop.type, stop.status, stop.stop_price, stop.limit_price) == (
        OrderType.STOP,
        OrderStatus.NEW,
        "65000",
        None,
    )
    stop_limit = client.submit_order(
        StopLimitOrderRequest(
            symbol="005930", qty=2, side=OrderSide.SELL, time_in_force="day", stop_price=66000, limit_price=65500
        )
    )
    assert (stop_limit.type, stop_limit.stop_price, stop_limit.limit_price) == (OrderType.STOP_LIMIT, "66000", "65500")
    trailing = client.submit_order(
        TrailingStopOrderRequest(symbol="005930", qty=2, side=OrderSide.SELL, time_in_force="day", trail_percent=5)
    )
    assert trailing.type == OrderType.TRAILING_STOP and trailing.trail_percent == "5"
    assert trailing.hwm == "70000" and trailing.stop_price == "66500"  # 5% under the mark, on the grid
    by_won = client.submit_order(
        TrailingStopOrderRequest(symbol="005930", qty=1, side=OrderSide.SELL, time_in_force="gtc", trail_price=3000)
    )
    assert (by_won.trail_price, by_won.stop_price) == ("3000", "67000")

    moved = client.replace_order_by_id(stop.id, ReplaceOrderRequest(stop_price=64000))
    assert (moved.id, moved.stop_price) == (stop.id, "64000")
    trailed = client.replace_order_by_id(trailing.id, ReplaceOrderRequest(trail=10))
    assert (trailed.trail_percent, trailed.stop_price) == ("10", "63000")
    trailed = client.replace_order_by_id(by_won.id, ReplaceOrderRequest(trail=2000))
    assert (trailed.trail_price, trailed.stop_price) == ("2000", "68000")
    for order_id, request in (
        (stop.id, ReplaceOrderRequest(stop_price=71000)),  # a sell stop above the price would trigger at once
        (stop.id, ReplaceOrderRequest(trail=1000)),
        (trailing.id, ReplaceOrderRequest(stop_price=60000)),
    ):
        with pytest.raises(APIError) as error:
            client.replace_order_by_id(order_id, request)
        assert (error.value.status_code, error.value.code) == (422, 42210000), request
    assert {order.type for order in client.get_orders()} == {
        OrderType.STOP,
        OrderType.STOP_LIMIT,
        OrderType.TRAILING_STOP,
    }
    assert len(client.cancel_orders()) == 4
