"""GET /portfolio and /portfolio/allocation, every figure checked by hand against the ledger."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from portfolio.models import CashLedgerEntry, Position
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.helpers import assert_books_balance
from portfolio.tests.trades import losing_round_trip, set_price, winning_round_trip
from trading.models import Execution
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kospi():
    return StockFactory(code="100100", name="Win Corp", sector="전기전자", current_price=D("10000"))


@pytest.fixture
def kosdaq():
    return StockFactory(code="200200", name="Loss Corp", market="KOSDAQ", sector="제약", current_price=D("5000"))


def test_a_new_account_is_all_cash(auth_client):
    body = auth_client.get("/api/v1/portfolio").json()
    assert body["cash"] == body["total_value"] == body["net_capital"] == "10000000.00"
    assert body["holdings_value"] == body["unrealized_pnl"] == body["realized_pnl"] == "0.00"
    assert body["unrealized_pnl_rate"] is None
    assert body["total_return_rate"] == "0.00"
    assert body["positions"] == []


def test_portfolio_after_a_win_a_loss_a_deposit_and_a_withdrawal(auth_client, user, kospi, kosdaq):
    winning_round_trip(user, kospi)
    losing_round_trip(user, kosdaq)
    balance_deposit(user=user, amount=D("1000000"))
    balance_withdraw(user=user, amount=D("500000"))
    set_price(kospi, "11000", previous_close="10500")

    body = auth_client.get("/api/v1/portfolio").json()

    # Cash: 10,000,000 − 1,000,150 + 439,054 − 1,000,150 + 898,065 + 1,000,000 − 500,000
    assert body["cash"] == "9836819.00"
    assert body["holdings_value"] == "660000.00"  # 60 × 11,000
    assert body["total_value"] == "10496819.00"
    assert body["total_cost"] == "600090.00"
    assert body["unrealized_pnl"] == "59910.00"
    assert body["unrealized_pnl_rate"] == "9.98"  # 59,910 / 600,090
    assert body["realized_pnl"] == "-63091.00"  # 38,994 − 102,085
    assert body["net_capital"] == "10500000.00"
    assert body["total_pnl"] == "-3181.00"  # realized + unrealized, net of every fee and tax
    assert D(body["total_pnl"]) == D(body["realized_pnl"]) + D(body["unrealized_pnl"])
    assert body["total_return_rate"] == "-0.03"
    assert body["day_change"] == "30000.00"  # 60 × (11,000 − 10,500)
    [position] = body["positions"]
    assert position["stock"] == "100100" and position["quantity"] == 60 and position["available_quantity"] == 60
    assert position["average_price"] == "10000.00"
    assert position["market_value"] == "660000.00"
    assert position["weight"] == "6.29"  # 660,000 / 10,496,819
    assert position["day_change_rate"] == "4.76"  # 500 / 10,500
    assert position["realized_pnl"] == "38994.00"
    # The same figures from the books themselves.
    ledger = CashLedgerEntry.objects.filter(user=user).aggregate(total=Sum("amount"))["total"]
    assert D(body["cash"]) == ledger
    realized = Execution.objects.filter(user=user).aggregate(total=Sum("realized_pnl"))["total"]
    assert D(body["realized_pnl"]) == realized
    assert_books_balance()


def test_reserved_cash_stays_in_total_value(auth_client, user, kospi):
    from trading.services import order_place

    order_place(user=user, stock_code=kospi.code, side="buy", order_type="limit", quantity=10, limit_price=D("9000"))
    body = auth_client.get("/api/v1/portfolio").json()
    assert body["reserved_cash"] == "90013.00"
    assert body["available_cash"] == "9909987.00"
    assert body["total_value"] == "10000000.00"


def test_open_sells_show_as_unavailable_quantity(auth_client, user, kospi):
    from trading.services import order_place

    winning_round_trip(user, kospi)
    order_place(user=user, stock_code=kospi.code, side="sell", order_type="limit", quantity=25, limit_price=D("12000"))
    [position] = auth_client.get("/api/v1/portfolio").json()["positions"]
    assert (position["quantity"], position["available_quantity"]) == (60, 35)


def test_allocation_weighs_stocks_sectors_and_cash(auth_client, user, kospi, kosdaq):
    winning_round_trip(user, kospi)  # 60 × 11,000 = 660,000
    set_price(kosdaq, "5000", previous_close="5000")
    from portfolio.tests.trades import market

    market(user, kosdaq, "buy", 100)  # 500,000 + fee 75
    body = auth_client.get("/api/v1/portfolio/allocation").json()
    cash = D("9438904") - D("500075")
    assert body["total_value"] == f"{cash + D('1160000'):.2f}"
    assert body["cash"] == {"key": "cash", "label": "현금", "value": f"{cash:.2f}", "weight": "88.51"}
    assert [(s["key"], s["value"], s["weight"]) for s in body["by_stock"]] == [
        ("100100", "660000.00", "6.54"),
        ("200200", "500000.00", "4.95"),
    ]
    assert [(s["key"], s["weight"]) for s in body["by_sector"]] == [("전기전자", "6.54"), ("제약", "4.95")]


def test_portfolio_and_allocation_cost_the_same_queries_for_1_and_100_positions(
    auth_client, user, django_assert_num_queries
):
    def add_positions(count: int, start: int) -> None:
        for i in range(start, start + count):
            stock = StockFactory(code=f"{300000 + i:06d}", current_price=D("1000"))
            Position.objects.create(user=user, stock=stock, quantity=1, cost_basis=D("1000"), average_price=D("1000"))

    add_positions(1, 0)
    counts = {}
    for path in ("/api/v1/portfolio", "/api/v1/portfolio/allocation"):
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get(path).status_code == 200
        counts[path] = len(captured)
    add_positions(99, 1)
    for path, count in counts.items():
        with django_assert_num_queries(count):
            response = auth_client.get(path)
        assert len(response.json().get("positions", response.json().get("by_stock"))) == 100


def test_portfolio_needs_authentication(api_client):
    for path in ("/api/v1/portfolio", "/api/v1/portfolio/allocation", "/api/v1/portfolio/history"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
