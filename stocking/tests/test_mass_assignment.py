"""No request body can set what only the server decides: cash, reservations, status, fees, fills,
ownership, staff flags. Extra keys are ignored; the result is what the honest request gives."""

from decimal import Decimal as D

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from portfolio.models import AccountReset, Balance, CashLedgerEntry
from trading.models import Order
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem

pytestmark = pytest.mark.django_db
SERVER_SIDE = {
    "id": 999999,
    "user": 1,
    "user_id": 1,
    "owner": 1,
    "is_staff": True,
    "is_superuser": True,
    "cash": "999999999",
    "reserved_cash": "0",
    "available_cash": "999999999",
    "balance_after": "999999999",
    "net_capital": "1",
    "status": "filled",
    "filled_quantity": 10,
    "average_fill_price": "1",
    "fee": "0",
    "tax": "0",
    "reserved_quantity": 0,
    "closed_at": "2026-01-01T00:00:00+09:00",
    "cancel_reason": "staff",
    "created_at": "2020-01-01T00:00:00+09:00",
}


@pytest.fixture
def stock():
    return StockFactory(code="005930", current_price=D("70000"))


def test_register_cannot_make_a_staff_user_or_extra_cash(api_client):
    body = {"username": "mallory", "email": "m@example.com", "password": "a-Strong-pass-99", **SERVER_SIDE}
    response = api_client.post("/api/v1/auth/register", body, format="json")
    assert response.status_code == 201, response.json()
    user = User.objects.get(username="mallory")
    assert not user.is_staff and not user.is_superuser
    assert user.balance.cash == D("10000000") and user.balance.net_capital == D("10000000")


def test_profile_patch_cannot_set_staff_flags_or_money(auth_client, user):
    response = auth_client.patch("/api/v1/auth/me", {**SERVER_SIDE, "language": "en"}, format="json")
    assert response.status_code == 200
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.is_staff, fresh.is_superuser, fresh.language) == (False, False, "en")
    assert Balance.objects.get(user=user).cash == D("10000000")


def test_an_order_body_cannot_set_status_fills_fees_reservations_or_owner(auth_client, user, stock):
    victim = UserFactory()
    body = {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 10, "limit_price": "60000"}
    response = auth_client.post("/api/v1/orders", {**body, **SERVER_SIDE, "user": victim.pk}, format="json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.user == user and order.status == "pending" and order.filled_quantity == 0
    assert order.reserved_cash == D("600090") and order.fee == 0 and order.cancel_reason is None
    assert not Order.objects.filter(user=victim).exists()


def test_an_order_patch_changes_only_quantity_and_price(auth_client, user, stock):
    body = {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 10, "limit_price": "60000"}
    order_id = auth_client.post("/api/v1/orders", body, format="json").json()["id"]
    extra = {**SERVER_SIDE, "side": "sell", "stock": "000660", "order_type": "market", "limit_price": "61000"}
    response = auth_client.patch(f"/api/v1/orders/{order_id}", extra, format="json")
    assert response.status_code == 200, response.json()
    order = Order.objects.get(pk=order_id)
    assert (order.side, order.order_type, order.status, order.limit_price) == ("buy", "limit", "pending", D("61000"))
    assert order.reserved_cash == D("610091")


def test_cash_movements_take_only_the_amount(auth_client, user):
    response = auth_client.post("/api/v1/balance/deposit", {**SERVER_SIDE, "amount": "1000"}, format="json")
    assert response.status_code == 201
    assert Balance.objects.get(user=user).cash == D("10001000")
    entry = CashLedgerEntry.objects.filter(user=user).order_by("-id").first()
    assert (entry.kind, entry.amount, entry.balance_after) == ("deposit", D("1000"), D("10001000"))


def test_reset_body_cannot_choose_the_cash(auth_client, user):
    response = auth_client.post("/api/v1/account/reset", {**SERVER_SIDE, "confirm": "RESET"}, format="json")
    assert response.status_code == 200
    assert Balance.objects.get(user=user).cash == D("10000000")
    assert AccountReset.objects.get().cash_after == D("10000000")


def test_watchlist_bodies_cannot_choose_owner_or_list(auth_client, user, stock):
    victim = UserFactory()
    victim_list = Watchlist.objects.get(user=victim)
    response = auth_client.post("/api/v1/watchlists", {"name": "mine", "user": victim.pk}, format="json")
    assert response.status_code == 201
    assert Watchlist.objects.get(name="mine").user == user
    own = Watchlist.objects.get(user=user, name="관심종목")
    body = {"stock": "005930", "watchlist": victim_list.pk, "id": 1, "added_at": "2020-01-01T00:00:00Z"}
    assert auth_client.post(f"/api/v1/watchlists/{own.pk}/stocks", body, format="json").status_code == 201
    item = WatchlistItem.objects.get()
    assert item.watchlist == own and item.added_at.year > 2020
