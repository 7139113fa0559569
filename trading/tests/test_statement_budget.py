"""What one order costs the database, authentication and throttling included: ≤ 14 statements for
a market order (12 before the order-event outbox added its INSERT), ≤ 10 for a limit order that
rests. SQLite counts its BEGIN and COMMIT as statements too; MariaDB's do not show up here."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.tests.helpers import assert_books_balance
from trading.services import order_place

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


def statements(client, body) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(ORDERS, body, format="json")
    assert response.status_code == 201, response.json()
    sql = [query["sql"] for query in captured.captured_queries]
    return len(sql), sql, response.json()


def writes(sql: list[str]) -> list[tuple[str, str]]:
    """(verb, table) of every write, quotes stripped, whatever the database's quoting."""
    found = []
    for statement in sql:
        words = statement.split()
        if words[0] in {"INSERT", "UPDATE", "DELETE"}:
            table = words[2] if words[0] in {"INSERT", "DELETE"} else words[1]
            found.append((words[0], table.strip('"`')))
    return found


def test_a_market_buy_is_one_write_per_table_and_within_budget(auth_client, user, stock):
    count, sql, body = statements(
        auth_client, {"stock": "005930", "side": "buy", "order_type": "market", "quantity": 3}
    )
    assert count <= 14, sql
    assert sorted(writes(sql)) == [
        ("INSERT", "portfolio_cashledgerentry"),
        ("INSERT", "portfolio_position"),
        ("INSERT", "trading_execution"),
        ("INSERT", "trading_order"),
        ("INSERT", "trading_orderevent"),  # `new` and `fill`, one statement
        ("UPDATE", "portfolio_balance"),  # cash, hold and the event seq, one statement
    ]
    # The answer is built from what was written: the same order and fill a re-read shows.
    assert body == auth_client.get(f"{ORDERS}/{body['id']}").json()
    assert_books_balance()


def test_a_market_sell_of_part_of_a_position_stays_within_budget(auth_client, user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    count, sql, body = statements(
        auth_client, {"stock": "005930", "side": "sell", "order_type": "market", "quantity": 4}
    )
    assert count <= 12, sql
    assert body["status"] == "filled" and len(body["executions"]) == 1
    assert_books_balance()


def test_a_resting_limit_order_stays_within_budget(auth_client, user, stock):
    body = {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 3, "limit_price": "60000"}
    count, sql, answer = statements(auth_client, body)
    assert count <= 10, sql
    assert answer["status"] == "pending" and answer["executions"] == []
    assert answer == auth_client.get(f"{ORDERS}/{answer['id']}").json()
    assert_books_balance()


def test_a_marketable_limit_fills_at_the_price_read_in_its_transaction(auth_client, user, stock):
    body = {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 2, "limit_price": "71000"}
    _, _, answer = statements(auth_client, body)
    assert answer["status"] == "filled" and answer["executions"][0]["price"] == "70000"
    assert D(answer["reserved_cash"]) == 0
    assert_books_balance()
