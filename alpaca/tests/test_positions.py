"""Positions and closing them through alpaca-py: all, a qty, a percentage, everything at once."""

from uuid import NAMESPACE_URL, uuid5

import pytest

from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, OrderStatus, PositionSide, TimeInForce
from alpaca.trading.requests import ClosePositionRequest, LimitOrderRequest, MarketOrderRequest
from portfolio.models import Position
from trading.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def buy(client, qty, symbol="005930"):
    return client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY, time_in_force="day"))


def test_positions_read_as_alpacas(client, market, books):
    buy(client, 10)
    buy(client, 2, symbol="000660")
    market["005930"].current_price = 77000  # +10% since the fill, previous close 70,000
    market["005930"].save()

    positions = client.get_all_positions()

    assert [p.symbol for p in positions] == ["000660", "005930"]
    samsung = client.get_open_position("005930")
    assert samsung == positions[1]
    assert client.get_open_position(uuid5(NAMESPACE_URL, "stocking:asset:005930")).symbol == "005930"
    assert (
        samsung.side == PositionSide.LONG and samsung.exchange.value == "" and samsung.asset_class.value == "us_equity"
    )
    assert (samsung.qty, samsung.qty_available, samsung.avg_entry_price) == ("10", "10", "70000")
    assert samsung.cost_basis == "700105"  # 700,000 plus the 0.015% commission
    assert (samsung.market_value, samsung.current_price, samsung.lastday_price) == ("770000", "77000", "70000")
    assert samsung.unrealized_pl == "69895" and samsung.unrealized_plpc == "0.099835"
    assert samsung.unrealized_intraday_pl == "70000" and samsung.change_today == "0.100000"
    hynix = positions[0]
    assert hynix.lastday_price == "148000" and hynix.change_today == "0.013514"


def test_no_position_is_a_404(client, market):
    for symbol in ("005930", "999999", "AAPL"):
        with pytest.raises(APIError) as error:
            client.get_open_position(symbol)
        assert (error.value.status_code, error.value.code, error.value.message) == (
            404,
            40410000,
            "position does not exist",
        )
        with pytest.raises(APIError) as error:
            client.close_position(symbol)
        assert (error.value.status_code, error.value.code) == (404, 40410000)


def test_close_a_position_all_by_qty_and_by_percentage(client, market, books):
    buy(client, 10)

    by_qty = client.close_position("005930", ClosePositionRequest(qty="3"))
    assert (by_qty.side, by_qty.qty, by_qty.status) == (OrderSide.SELL, "3", OrderStatus.FILLED)
    by_share = client.close_position("005930", ClosePositionRequest(percentage="50"))
    assert by_share.qty == "3"  # half of 7, rounded down
    for options, status, code in (
        (ClosePositionRequest(qty="5"), 422, 42210000),  # only 4 left
        (ClosePositionRequest(qty="0.5"), 422, 42210000),
        (ClosePositionRequest(percentage="10"), 422, 42210000),  # 0.4 of a share
        (ClosePositionRequest(percentage="150"), 422, 42210000),
    ):
        with pytest.raises(APIError) as error:
            client.close_position("005930", options)
        assert (error.value.status_code, error.value.code) == (status, code), options
    rest = client.close_position(uuid5(NAMESPACE_URL, "stocking:asset:005930"))
    assert rest.qty == "4" and rest.status == OrderStatus.FILLED
    assert client.get_all_positions() == []


def test_closing_frees_shares_held_by_open_sells_first(client, market, books):
    buy(client, 5)
    resting = client.submit_order(
        LimitOrderRequest(symbol="005930", qty=3, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, limit_price=90000)
    )
    assert client.get_open_position("005930").qty_available == "2"

    sold = client.close_position("005930")

    assert sold.qty == "5" and sold.status == OrderStatus.FILLED
    assert client.get_order_by_id(resting.id).status == OrderStatus.CANCELED


def test_close_all_positions_reports_each(client, market, books):
    buy(client, 2)
    buy(client, 1, symbol="000660")
    held = client.submit_order(
        LimitOrderRequest(
            symbol="000660", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY, limit_price=190000
        )
    )
    client.submit_order(
        LimitOrderRequest(symbol="035720", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=30000)
    )

    without_cancel = {r.symbol: r for r in client.close_all_positions()}
    assert without_cancel["005930"].status == 200 and without_cancel["005930"].body.qty == "2"
    # 000660's one share was held by an open sell: closing the position cancels that sell first.
    assert without_cancel["000660"].status == 200
    assert client.get_order_by_id(held.id).status == OrderStatus.CANCELED

    buy(client, 1)
    results = client.close_all_positions(cancel_orders=True)
    assert [(r.symbol, r.status) for r in results] == [("005930", 200)]
    assert client.get_orders() == [] and client.get_all_positions() == []
    assert Position.objects.count() == 0
    assert Order.objects.filter(status="pending").count() == 0


def test_a_failed_close_is_reported_in_the_multi_status(client, trader, market, books):
    buy(client, 1)
    market["005930"].is_halted = True
    market["005930"].save()
    (result,) = client.close_all_positions()
    assert (result.symbol, result.status, result.body.code) == ("005930", 422, 42210000)
    assert Position.objects.get(stock=market["005930"]).quantity == 1
