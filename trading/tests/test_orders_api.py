from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for
from portfolio.models import Balance
from portfolio.tests.helpers import assert_books_balance
from trading.models import Order
from trading.services import order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


def post_order(client, **body):
    payload = {"stock": "005930", "side": "buy", "order_type": "market", "quantity": 10}
    payload.update(body)
    return client.post(ORDERS, payload, format="json")


class TestPlaceOrder:
    def test_market_buy_returns_201_with_the_execution(self, auth_client, stock):
        response = post_order(auth_client)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "filled"
        assert body["cancel_reason"] is None
        assert body["stock"] == "005930"
        assert body["average_fill_price"] == "70000.00"
        assert body["fee"] == "105.00"
        assert [e["quantity"] for e in body["executions"]] == [10]
        assert body["executions"][0]["price"] == "70000"

    def test_repeat_with_the_same_client_order_id_returns_200_and_the_same_order(self, auth_client, stock):
        first = post_order(auth_client, client_order_id="bot-42")
        second = post_order(auth_client, client_order_id="bot-42", quantity=99)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["id"] == second.json()["id"]
        assert Order.objects.count() == 1

    def test_same_client_order_id_for_two_users_is_two_orders(self, auth_client, stock):
        other = client_for(UserFactory())
        assert post_order(auth_client, client_order_id="x").status_code == 201
        assert post_order(other, client_order_id="x").status_code == 201

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({"stock": "999999"}, 404, "unknown_stock"),
            ({"stock": "ABC"}, 400, "invalid"),
            ({"quantity": 0}, 400, "invalid"),
            ({"quantity": -5}, 400, "invalid"),
            ({"quantity": 1.5}, 400, "invalid"),
            ({"quantity": "ten"}, 400, "invalid"),
            ({"quantity": 10**12}, 400, "invalid"),
            ({"side": "short"}, 400, "invalid"),
            ({"order_type": "stop"}, 400, "invalid_stop_price"),
            ({"order_type": "iceberg"}, 400, "invalid_order_type"),
            ({"order_type": "limit"}, 400, "invalid"),
            ({"order_type": "limit", "limit_price": "70050"}, 400, "invalid_tick_size"),
            ({"order_type": "limit", "limit_price": "70000.5"}, 400, "invalid"),
            ({"order_type": "limit", "limit_price": "-100"}, 400, "invalid"),
            ({"order_type": "limit", "limit_price": "95000"}, 400, "price_out_of_limit"),
            ({"order_type": "market", "limit_price": "70000"}, 400, "invalid"),
            ({"time_in_force": "now"}, 400, "invalid"),
            ({"quantity": 200}, 400, "insufficient_cash"),
            ({"side": "sell"}, 400, "insufficient_shares"),
            ({"client_order_id": "x" * 65}, 400, "invalid"),
        ],
    )
    def test_bad_orders_get_a_stable_code_and_write_nothing(self, auth_client, user, stock, body, status, code):
        response = post_order(auth_client, **body)
        assert response.status_code == status, response.json()
        assert response.json()["code"] == code
        assert "detail" in response.json()
        assert not Order.objects.exists()
        assert Balance.objects.get(user=user).cash == D("10000000")

    def test_halted_stock_is_409_stock_not_tradable(self, auth_client, stock):
        stock.is_halted = True
        stock.save()
        response = post_order(auth_client)
        assert response.status_code == 409
        assert response.json()["code"] == "stock_not_tradable"

    def test_closed_market_is_409_market_closed(self, auth_client, stock, settings):
        settings.ENFORCE_MARKET_HOURS = True
        settings.MARKET_OPEN_TIME = settings.MARKET_CLOSE_TIME = "00:00"
        response = post_order(auth_client)
        assert response.status_code == 409
        assert response.json()["code"] == "market_closed"

    def test_anonymous_cannot_order(self, api_client, stock):
        assert post_order(api_client).status_code == 401


class TestOrderLifecycle:
    def test_cancel_then_cancel_again_is_409(self, auth_client, stock):
        order = post_order(auth_client, order_type="limit", limit_price="60000").json()
        response = auth_client.post(f"{ORDERS}/{order['id']}/cancel")
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "user"
        again = auth_client.post(f"{ORDERS}/{order['id']}/cancel")
        assert again.status_code == 409
        assert again.json()["code"] == "order_not_cancellable"
        assert_books_balance()

    def test_patch_modifies_an_open_limit_order(self, auth_client, user, stock):
        order = post_order(auth_client, order_type="limit", limit_price="60000").json()
        response = auth_client.patch(f"{ORDERS}/{order['id']}", {"limit_price": "61000"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["limit_price"] == "61000"
        assert Balance.objects.get(user=user).reserved_cash == D("610091")

    @pytest.mark.parametrize(
        ("body", "code"),
        [({}, "invalid"), ({"limit_price": "60010"}, "invalid_tick_size"), ({"quantity": 0}, "invalid")],
    )
    def test_bad_patch_is_400(self, auth_client, stock, body, code):
        order = post_order(auth_client, order_type="limit", limit_price="60000").json()
        response = auth_client.patch(f"{ORDERS}/{order['id']}", body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == code

    def test_patch_of_a_filled_order_is_409(self, auth_client, stock):
        order = post_order(auth_client).json()
        response = auth_client.patch(f"{ORDERS}/{order['id']}", {"quantity": 3}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "order_not_modifiable"

    def test_put_and_delete_are_not_allowed(self, auth_client, stock):
        order = post_order(auth_client, order_type="limit", limit_price="60000").json()
        assert auth_client.put(f"{ORDERS}/{order['id']}", {}, format="json").status_code == 405
        assert auth_client.delete(f"{ORDERS}/{order['id']}").status_code == 405


class TestOwnership:
    def test_charlie_must_not_see_or_touch_alices_orders(self, stock):
        alice, charlie = UserFactory(username="alice"), UserFactory(username="charlie")
        order = order_place(
            user=alice, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("60000")
        ).order
        order_place(user=alice, stock_code="005930", side="buy", order_type="market", quantity=1)
        as_charlie = client_for(charlie)
        assert as_charlie.get(f"{ORDERS}/{order.pk}").status_code == 404
        assert as_charlie.post(f"{ORDERS}/{order.pk}/cancel").status_code == 404
        assert as_charlie.patch(f"{ORDERS}/{order.pk}", {"quantity": 2}, format="json").status_code == 404
        assert as_charlie.get(ORDERS).json()["count"] == 0
        assert as_charlie.get("/api/v1/executions").json()["count"] == 0
        order.refresh_from_db()
        assert order.is_open
        assert client_for(alice).get(ORDERS).json()["count"] == 2

    def test_unknown_order_id_is_404_in_the_error_shape(self, auth_client, db):
        response = auth_client.get(f"{ORDERS}/987654")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert auth_client.post(f"{ORDERS}/987654/cancel").status_code == 404


class TestLists:
    def _orders(self, user, count):
        for i in range(count):
            stock = StockFactory(code=f"{100000 + i:06d}")
            order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=1)

    def test_order_list_query_count_does_not_grow_with_rows(self, auth_client, user, django_assert_num_queries):
        self._orders(user, 8)
        # auth user, count, page
        with django_assert_num_queries(3):
            response = auth_client.get(ORDERS)
        assert response.json()["count"] == 8
        assert set(response.json()) == {"count", "next", "previous", "results"}

    def test_execution_list_query_count_does_not_grow_with_rows(self, auth_client, user, django_assert_num_queries):
        self._orders(user, 8)
        with django_assert_num_queries(3):
            response = auth_client.get("/api/v1/executions")
        assert response.json()["count"] == 8

    def test_order_detail_prefetches_executions(self, auth_client, user, stock, django_assert_num_queries):
        order = order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=3).order
        with django_assert_num_queries(3):
            response = auth_client.get(f"{ORDERS}/{order.pk}")
        assert len(response.json()["executions"]) == 1

    def test_filters_by_status_side_and_stock(self, auth_client, user, stock):
        other = StockFactory(code="000660", current_price=D("150000"))
        order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=2)
        order_place(user=user, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("60000"))
        order_place(user=user, stock_code=other.code, side="buy", order_type="market", quantity=1)
        order_place(user=user, stock_code="005930", side="sell", order_type="market", quantity=1)

        def ids(query):
            response = auth_client.get(f"{ORDERS}?{query}")
            assert response.status_code == 200, response.json()
            return response.json()["count"]

        assert ids("status=pending") == 1
        assert ids("status=filled") == 3
        assert ids("status=pending,filled") == 4
        assert ids("side=sell") == 1
        assert ids("stock=000660") == 1
        assert auth_client.get(f"{ORDERS}?status=bogus").status_code == 400

    def test_pagination_page_size(self, auth_client, user):
        self._orders(user, 5)
        body = auth_client.get(f"{ORDERS}?page_size=2").json()
        assert len(body["results"]) == 2 and body["next"]
        assert auth_client.get(f"{ORDERS}?page=99").status_code == 404


class TestOrderable:
    def test_buy_side_reports_the_largest_affordable_quantity(self, auth_client, stock):
        body = auth_client.get(f"{ORDERS}/orderable?stock=005930&side=buy&price=70000").json()
        assert body["max_quantity"] == 142  # 142 × 70,000 + 1,491 fee = 9,941,491 ≤ 10,000,000
        assert body["tick_size"] == "100"
        assert (body["lower_limit"], body["upper_limit"]) == ("49000", "91000")
        assert body["estimated_fee"] == "1491.00"

    def test_market_buy_is_bounded_at_the_upper_limit(self, auth_client, stock):
        body = auth_client.get(f"{ORDERS}/orderable?stock=005930&side=buy").json()
        assert body["max_quantity"] == 109  # held at 91,000

    def test_sell_side_reports_available_shares_and_tax(self, auth_client, user, stock):
        order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
        body = auth_client.get(f"{ORDERS}/orderable?stock=005930&side=sell").json()
        assert body["max_quantity"] == 10
        assert body["estimated_tax"] == "1400.00"

    @pytest.mark.parametrize(
        ("query", "status"),
        [("stock=005930", 400), ("stock=999999&side=buy", 404), ("stock=005930&side=buy&price=abc", 400)],
    )
    def test_bad_queries(self, auth_client, stock, query, status):
        assert auth_client.get(f"{ORDERS}/orderable?{query}").status_code == status


class TestOrderableEdges:
    def test_a_stock_without_a_price_is_409_not_a_500(self, auth_client):
        StockFactory(code="123456", current_price=None, previous_close=None)
        response = auth_client.get(f"{ORDERS}/orderable?stock=123456&side=buy&price=1000")
        assert response.status_code == 409
        assert response.json()["code"] == "stock_not_tradable"

    @pytest.mark.parametrize(
        ("price", "code"),
        [("999999999000", "price_out_of_limit"), ("100000", "price_out_of_limit"), ("70050", "invalid_tick_size")],
    )
    def test_price_must_meet_the_order_rules(self, auth_client, stock, price, code):
        response = auth_client.get(f"{ORDERS}/orderable?stock=005930&side=sell&price={price}")
        assert response.status_code == 400
        assert response.json()["code"] == code
