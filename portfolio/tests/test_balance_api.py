from decimal import Decimal as D

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import client_for
from portfolio.models import Balance, CashLedgerEntry, LedgerKind
from portfolio.services import balance_adjust, balance_deposit
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import InsufficientFunds, InvalidAmount
from trading.services import order_place

pytestmark = pytest.mark.django_db


def test_balance_shows_cash_reserved_and_available(auth_client, user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="limit", quantity=10, limit_price=D("60000"))
    body = auth_client.get("/api/v1/balance").json()
    assert body == {
        "cash": "10000000.00",
        "reserved_cash": "600090.00",
        "available_cash": "9399910.00",
        "currency": "KRW",
    }


def test_deposit_adds_cash_with_a_ledger_entry(auth_client, user):
    response = auth_client.post("/api/v1/balance/deposit", {"amount": "500000"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["balance"]["cash"] == "10500000.00"
    assert response.json()["entry"]["kind"] == "deposit"
    assert CashLedgerEntry.objects.filter(user=user, kind=LedgerKind.DEPOSIT).count() == 1
    assert_books_balance()


def test_deposits_are_capped_per_day(auth_client, user, settings):
    settings.DAILY_DEPOSIT_LIMIT = D("1000000")
    assert auth_client.post("/api/v1/balance/deposit", {"amount": "700000"}, format="json").status_code == 201
    response = auth_client.post("/api/v1/balance/deposit", {"amount": "300001"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "deposit_limit_exceeded"
    assert response.json()["remaining_today"] == "300000.00"
    assert auth_client.post("/api/v1/balance/deposit", {"amount": "300000"}, format="json").status_code == 201
    assert Balance.objects.get(user=user).cash == D("11000000")


def test_withdraw_is_limited_to_available_cash(auth_client, user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="limit", quantity=10, limit_price=D("60000"))
    too_much = auth_client.post("/api/v1/balance/withdraw", {"amount": "9399911"}, format="json")
    assert too_much.status_code == 400
    assert too_much.json()["code"] == "insufficient_cash"
    ok = auth_client.post("/api/v1/balance/withdraw", {"amount": "9399910"}, format="json")
    assert ok.status_code == 201
    assert ok.json()["balance"]["available_cash"] == "0.00"
    assert ok.json()["entry"]["amount"] == "-9399910.00"
    assert_books_balance()


@pytest.mark.parametrize("amount", ["0", "-5", "10.5", "abc", "", None, "1e30"])
def test_bad_amounts_are_400_and_write_nothing(auth_client, user, amount):
    for path in ("/api/v1/balance/deposit", "/api/v1/balance/withdraw"):
        response = auth_client.post(path, {"amount": amount}, format="json")
        assert response.status_code == 400, (path, amount, response.json())
        assert response.json()["code"] == "invalid"
    assert CashLedgerEntry.objects.filter(user=user).count() == 1


def test_transactions_are_newest_first_and_only_mine(auth_client, user, stock, django_assert_num_queries):
    other = UserFactory()
    client_for(other).post("/api/v1/balance/deposit", {"amount": "1000"}, format="json")
    for _ in range(3):
        order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=1)
    with django_assert_num_queries(3):
        body = auth_client.get("/api/v1/balance/transactions").json()
    kinds = [entry["kind"] for entry in body["results"]]
    assert body["count"] == 7
    assert kinds[0] == "fee" and kinds[-1] == "initial_grant"
    ids = [entry["id"] for entry in body["results"]]
    assert ids == sorted(ids, reverse=True)
    assert auth_client.get("/api/v1/balance/transactions?kind=fee").json()["count"] == 3


def test_a_user_made_outside_sign_up_gets_a_balance_with_the_grant(client, settings):
    admin = User.objects.create_superuser("root", "root@example.com", "x-very-long-pass-1")
    client.force_login(admin)
    body = client.get("/api/v1/balance").json()
    assert body["cash"] == f"{settings.INITIAL_VIRTUAL_CASH:.2f}"
    assert_books_balance()


def test_anonymous_gets_401(api_client, db):
    assert api_client.get("/api/v1/balance").status_code == 401
    assert api_client.post("/api/v1/balance/deposit", {"amount": "1"}, format="json").status_code == 401


class TestStaffAdjustment:
    def test_adjust_writes_an_adjustment_entry_with_the_staff_user_and_reason(self, user):
        staff = UserFactory(is_staff=True)
        entry = balance_adjust(user=user, amount=D("-2500"), reason=" duplicate grant ", staff_user=staff)
        assert (entry.kind, entry.amount, entry.created_by, entry.memo) == (
            "adjustment",
            D("-2500"),
            staff,
            "duplicate grant",
        )
        balance = Balance.objects.get(user=user)
        # A correction, not capital: it shows in the account's P/L.
        assert (balance.cash, balance.net_capital) == (D("9997500"), D("10000000"))
        assert_books_balance()

    @pytest.mark.parametrize(("amount", "reason"), [("100", ""), ("100", "   "), ("0", "x"), ("10.5", "x")])
    def test_adjust_refuses_no_reason_zero_or_fractional_amounts(self, user, amount, reason):
        with pytest.raises(InvalidAmount):
            balance_adjust(user=user, amount=D(amount), reason=reason, staff_user=user)
        assert Balance.objects.get(user=user).cash == D("10000000")

    def test_adjust_cannot_take_more_than_the_available_cash(self, user):
        with pytest.raises(InsufficientFunds):
            balance_adjust(user=user, amount=D("-10000001"), reason="x", staff_user=user)
        assert_books_balance()


def test_the_capital_migration_recomputes_net_capital_without_adjustments(user):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portfolio.migrations.0004_capital_without_adjustments")
    balance_deposit(user=user, amount=D("5000"))
    Balance.objects.filter(user=user).update(net_capital=D("1"))  # as the old rule might have left it
    migration.recompute(apps, None)
    assert Balance.objects.get(user=user).net_capital == D("10005000")
    assert_books_balance()
