"""Stop-loss / take-profit pairs: two sells sharing one hold; one ends the other, in one transaction."""

from datetime import datetime, time, timedelta
from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from portfolio.models import Position
from portfolio.tests.helpers import assert_books_balance
from stocking.core.clock import SEOUL
from stocking.core.exceptions import OrderNotCancellable
from stocking.tests.threads import mysql_only, run_concurrently
from trading.models import Order, OrderEvent
from trading.services import order_cancel, order_place
from trading.services.market_day import market_day_roll
from trading.services.matching import match_orders
from trading.services.oco_orders import oco_place
from trading.services.reset import account_reset
from trading.services.triggers import stops_trigger
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
OCO = "/api/v1/orders/oco"


@pytest.fixture
def stock():
    return StockFactory(code="100100", current_price=D("10000"), previous_close=D("10000"))


@pytest.fixture
def holder(user, stock):
    order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=10)
    return user


def pair(client, **body):
    payload = {"stock": "100100", "quantity": 6, "stop_price": "9500", "limit_price": "10500", **body}
    return client.post(OCO, payload, format="json")


def move(stock, price: str) -> None:
    type(stock).objects.filter(pk=stock.pk).update(current_price=D(price))
    stops_trigger()
    match_orders()


def statuses(group) -> list[tuple[str, str, str | None, int]]:
    rows = Order.objects.filter(oco_group=group).order_by("pk")
    return [(o.order_type, o.status, o.cancel_reason, o.reserved_quantity) for o in rows]


def test_a_pair_holds_the_shares_once(auth_client, holder, stock):
    response = pair(auth_client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [o["order_type"] for o in body["orders"]] == ["stop", "limit"]
    assert all(o["oco_group"] == body["oco_group"] for o in body["orders"])
    position = Position.objects.get(user=holder)
    assert (position.quantity, position.reserved_quantity) == (10, 6)
    assert_books_balance()
    # Only 4 shares are left free: a third sell of 5 is refused.
    refused = auth_client.post(
        "/api/v1/orders", {"stock": "100100", "side": "sell", "order_type": "market", "quantity": 5}, format="json"
    )
    assert refused.json()["code"] == "insufficient_shares"


def test_the_take_profit_filling_cancels_the_stop_loss(auth_client, holder, stock):
    group = pair(auth_client).json()["oco_group"]
    move(stock, "10500")
    assert statuses(group) == [("stop", "cancelled", "oco", 0), ("limit", "filled", None, 0)]
    position = Position.objects.get(user=holder)
    assert (position.quantity, position.reserved_quantity) == (4, 0)
    kinds = list(OrderEvent.objects.filter(user=holder).order_by("seq").values_list("event", flat=True))
    assert kinds[-2:] == ["fill", "cancelled"]
    assert_books_balance()


def test_the_stop_loss_triggering_cancels_the_take_profit(auth_client, holder, stock):
    group = pair(auth_client).json()["oco_group"]
    move(stock, "9400")
    assert statuses(group) == [("stop", "filled", None, 0), ("limit", "cancelled", "oco", 0)]
    assert Position.objects.get(user=holder).quantity == 4
    assert_books_balance()


def test_cancelling_one_cancels_both_and_frees_the_shares_once(auth_client, holder, stock):
    body = pair(auth_client).json()
    order_cancel(user=holder, order_id=body["orders"][1]["id"])
    assert statuses(body["oco_group"]) == [("stop", "cancelled", "oco", 0), ("limit", "cancelled", "user", 0)]
    assert Position.objects.get(user=holder).reserved_quantity == 0
    assert_books_balance()


def test_a_take_profit_the_price_already_meets_fills_at_once(auth_client, holder, stock):
    body = pair(auth_client, limit_price="10000", stop_price="9000").json()
    assert [o["status"] for o in body["orders"]] == ["cancelled", "filled"]
    assert_books_balance()


def test_both_expire_at_the_day_roll(auth_client, holder, stock):
    group = pair(auth_client).json()["oco_group"]
    day = Order.objects.filter(oco_group=group).first().trading_date
    type(stock).objects.filter(pk=stock.pk).update(trading_date=day)
    market_day_roll(now=datetime.combine(day + timedelta(days=1), time(0, 0, 1), tzinfo=SEOUL))
    assert {status for _, status, _, _ in statuses(group)} == {"expired"}
    assert Position.objects.get(user=holder).reserved_quantity == 0
    assert_books_balance()


def test_a_reset_closes_a_pair_once(auth_client, holder, stock):
    pair(auth_client)
    reset = account_reset(user=holder, confirm="RESET")
    assert reset.orders_cancelled == 2
    assert_books_balance()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"stop_price": "10500", "limit_price": "11000"}, "invalid_stop_price"),  # a stop above the price
        ({"stop_price": "9500", "limit_price": "9400"}, "invalid_order"),  # take-profit under the stop
        ({"quantity": 11}, "insufficient_shares"),
        ({"limit_price": "10505"}, "invalid_tick_size"),
        ({"time_in_force": "ioc"}, "invalid_time_in_force"),
    ],
)
def test_bad_pairs_are_refused_and_hold_nothing(auth_client, holder, stock, body, code):
    response = pair(auth_client, **body)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert Position.objects.get(user=holder).reserved_quantity == 0
    assert not Order.objects.filter(oco_group__isnull=False).exists()


def test_an_order_of_a_pair_cannot_be_modified(auth_client, holder, stock):
    stop_id = pair(auth_client).json()["orders"][0]["id"]
    response = auth_client.patch(f"/api/v1/orders/{stop_id}", {"quantity": 3}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "order_not_modifiable")


@mysql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_pair_racing_its_trigger_and_two_cancels_has_one_outcome(round_):
    stock = StockFactory(code=f"10020{round_}", current_price=D("10000"), previous_close=D("10000"))
    user = UserFactory()
    order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=10)
    placed = oco_place(user=user, stock_code=stock.code, quantity=6, stop_price=D("9500"), limit_price=D("10500"))
    stop, take = placed.orders
    type(stock).objects.filter(pk=stock.pk).update(current_price=D("9400"))
    results = run_concurrently(
        [
            lambda: stops_trigger(),
            lambda: order_cancel(user=user, order_id=stop.pk),
            lambda: order_cancel(user=user, order_id=take.pk),
        ]
    )
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, OrderNotCancellable)]
    assert not unexpected, results
    outcome = sorted(statuses(placed.oco_group))
    assert outcome in (
        [("limit", "cancelled", "oco", 0), ("stop", "filled", None, 0)],
        [("limit", "cancelled", "oco", 0), ("stop", "cancelled", "user", 0)],
        [("limit", "cancelled", "user", 0), ("stop", "cancelled", "oco", 0)],
    ), outcome
    assert Position.objects.get(user=user).reserved_quantity == 0
    assert_books_balance()
