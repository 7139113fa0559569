"""Charlie must never see or touch Alice's things: another user's id is 404 on every method of
every object endpoint, nothing of Alice's changes, and no list shows her rows to him."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments.models import Payment
from portfolio.models import Balance, CashLedgerEntry
from portfolio.services import balance_deposit
from trading.models import Execution, Order
from trading.services import order_place
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem
from watchlist.services import watchlist_add_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    stock = StockFactory(code="005930", current_price=D("70000"))
    StockFactory(code="000660", current_price=D("190000"))
    alice, charlie = UserFactory(username="alice"), UserFactory(username="charlie")
    filled = order_place(user=alice, stock_code="005930", side="buy", order_type="market", quantity=3).order
    resting = order_place(
        user=alice, stock_code="005930", side="buy", order_type="limit", quantity=2, limit_price=D("60000")
    ).order
    balance_deposit(user=alice, amount=D("1000"))
    watchlist = Watchlist.objects.get(user=alice)
    watchlist_add_stock(user=alice, watchlist_id=watchlist.pk, stock_code=stock.code, memo="alice's")
    payment = Payment.objects.create(
        user=alice, merchant_uid="stk_alice_1", name="top-up", amount=D("10000"), virtual_amount=D("10000")
    )
    return {
        "alice": alice,
        "charlie": client_for(charlie),
        "order": resting,
        "execution": filled.executions.get(),
        "watchlist": watchlist,
        "payment": payment,
    }


def snapshot(alice) -> tuple:
    """Everything of Alice's that a request could change."""
    return (
        list(Order.objects.filter(user=alice).order_by("pk").values_list("status", "quantity", "limit_price")),
        Balance.objects.filter(user=alice).values_list("cash", "reserved_cash").get(),
        CashLedgerEntry.objects.filter(user=alice).count(),
        list(Watchlist.objects.filter(user=alice).values_list("name", "position")),
        list(WatchlistItem.objects.filter(watchlist__user=alice).values_list("stock_id", "memo", "target_price")),
        list(Payment.objects.filter(user=alice).values_list("status", "amount")),
    )


OBJECT_ENDPOINTS = [
    ("get", "/api/v1/orders/{order}", None),
    ("patch", "/api/v1/orders/{order}", {"limit_price": "61000"}),
    ("post", "/api/v1/orders/{order}/cancel", None),
    ("get", "/api/v1/executions/{execution}", None),
    ("get", "/api/v1/watchlists/{watchlist}", None),
    ("patch", "/api/v1/watchlists/{watchlist}", {"name": "charlie's now"}),
    ("delete", "/api/v1/watchlists/{watchlist}", None),
    ("post", "/api/v1/watchlists/{watchlist}/stocks", {"stock": "000660"}),
    ("patch", "/api/v1/watchlists/{watchlist}/stocks/005930", {"memo": "mine"}),
    ("delete", "/api/v1/watchlists/{watchlist}/stocks/005930", None),
    ("get", "/api/v1/payments/{payment}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OBJECT_ENDPOINTS)
def test_another_users_object_is_404_and_untouched(world, method, path, body):
    ids = {key: world[key].pk for key in ("order", "execution", "watchlist", "payment")}
    before = snapshot(world["alice"])
    response = getattr(world["charlie"], method)(path.format(**ids), body, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] in {"not_found", "payment_not_found"}
    assert snapshot(world["alice"]) == before


LISTS = [
    "/api/v1/orders",
    "/api/v1/orders?status=pending",
    "/api/v1/executions",
    "/api/v1/balance/transactions",
    "/api/v1/watchlists",
    "/api/v1/payments",
]


@pytest.mark.parametrize("path", LISTS)
def test_lists_never_show_another_users_rows(world, path):
    body = world["charlie"].get(path).json()
    alice_ids = {
        "/api/v1/orders": set(Order.objects.filter(user=world["alice"]).values_list("pk", flat=True)),
        "/api/v1/executions": set(Execution.objects.filter(user=world["alice"]).values_list("pk", flat=True)),
        "/api/v1/balance/transactions": set(
            CashLedgerEntry.objects.filter(user=world["alice"]).values_list("pk", flat=True)
        ),
        "/api/v1/watchlists": {world["watchlist"].pk},
        "/api/v1/payments": {world["payment"].pk},
    }[path.split("?")[0]]
    seen = {row["id"] for row in body["results"]}
    assert alice_ids and not seen & alice_ids


def test_charlies_portfolio_and_allocation_hold_none_of_alices_positions(world):
    assert world["charlie"].get("/api/v1/portfolio").json()["positions"] == []
    assert world["charlie"].get("/api/v1/portfolio/allocation").json()["by_stock"] == []
    assert world["charlie"].get("/api/v1/portfolio/stats").json()["trades"] == 0
