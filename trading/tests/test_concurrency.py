"""Races on the money paths, on MariaDB/MySQL with real row locks (skipped on SQLite)."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from portfolio.models import Balance, CashLedgerEntry, Position
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import InsufficientFunds, InsufficientShares, OrderNotCancellable
from stocking.tests.threads import mysql_only, run_concurrently
from trading.models import Execution, Order, OrderStatus
from trading.services import order_cancel, order_place
from trading.services.matching import match_orders
from trading.tests.factories import StockFactory

pytestmark = [mysql_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cheap_stock():
    # 100 won, tick 1, commission truncates to 0: each share costs exactly 100 won.
    return StockFactory(code="900100", current_price=D("100"), previous_close=D("100"))


@pytest.fixture
def poor_user(settings):
    settings.INITIAL_VIRTUAL_CASH = D("1000")
    return UserFactory()


def buy(user, code, quantity=1, **extra):
    def call():
        return order_place(
            user=user, stock_code=code, side="buy", order_type="limit", quantity=quantity, limit_price=D("100"), **extra
        )

    return call


def test_twenty_concurrent_100_won_buys_against_1000_won_fill_exactly_ten(poor_user, cheap_stock):
    results = run_concurrently([buy(poor_user, cheap_stock.code) for _ in range(20)])
    filled = [r for r in results if not isinstance(r, Exception)]
    rejected = [r for r in results if isinstance(r, Exception)]
    assert len(filled) == 10, results
    assert all(isinstance(r, InsufficientFunds) for r in rejected), rejected
    balance = Balance.objects.get(user=poor_user)
    assert balance.cash == 0 and balance.reserved_cash == 0
    assert Position.objects.get(user=poor_user).quantity == 10
    assert sum(CashLedgerEntry.objects.filter(user=poor_user).values_list("amount", flat=True)) == 0
    assert_books_balance()


def test_concurrent_sells_of_the_same_shares_never_oversell(poor_user, cheap_stock):
    order_place(user=poor_user, stock_code=cheap_stock.code, side="buy", order_type="market", quantity=5)

    def sell():
        return order_place(user=poor_user, stock_code=cheap_stock.code, side="sell", order_type="market", quantity=1)

    results = run_concurrently([sell for _ in range(12)])
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert all(isinstance(r, InsufficientShares) for r in results if isinstance(r, Exception))
    assert not Position.objects.filter(user=poor_user).exists()
    assert Execution.objects.filter(side="sell").count() == 5
    assert_books_balance()


def test_racing_duplicate_client_order_ids_create_one_order(poor_user, cheap_stock):
    results = run_concurrently([buy(poor_user, cheap_stock.code, client_order_id="same-id") for _ in range(10)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.order.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Order.objects.count() == 1
    assert Balance.objects.get(user=poor_user).cash == D("900")
    assert_books_balance()


def test_cancel_racing_a_fill_has_exactly_one_outcome(cheap_stock):
    user = UserFactory()
    for _ in range(5):
        order = order_place(
            user=user, stock_code=cheap_stock.code, side="buy", order_type="limit", quantity=3, limit_price=D("90")
        ).order
        cheap_stock.current_price = D("90")
        cheap_stock.save(update_fields=["current_price"])

        results = run_concurrently(
            [
                lambda o=order: order_cancel(user=user, order_id=o.pk),
                lambda: match_orders(stock_codes=[cheap_stock.code]),
            ]
        )
        order.refresh_from_db()
        if order.status == OrderStatus.CANCELLED:
            assert not order.executions.exists()
        else:
            assert order.status == OrderStatus.FILLED
            assert isinstance(results[0], OrderNotCancellable), results
        assert order.reserved_cash == 0
        cheap_stock.current_price = D("100")
        cheap_stock.save(update_fields=["current_price"])
        assert_books_balance()


def test_concurrent_deposits_respect_the_daily_cap(settings):
    settings.DAILY_DEPOSIT_LIMIT = D("1000000")
    user = UserFactory()
    results = run_concurrently([lambda: balance_deposit(user=user, amount=D("300000")) for _ in range(8)])
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert Balance.objects.get(user=user).cash == D("10900000")
    assert_books_balance()


def test_withdrawals_racing_buys_never_overdraw(poor_user, cheap_stock):
    calls = [buy(poor_user, cheap_stock.code) for _ in range(8)]
    calls += [lambda: balance_withdraw(user=poor_user, amount=D("300")) for _ in range(4)]
    run_concurrently(calls)
    balance = Balance.objects.get(user=poor_user)
    assert balance.cash >= 0
    spent = Position.objects.get(user=poor_user).quantity * 100 if Position.objects.filter(user=poor_user) else 0
    withdrawn = -sum(CashLedgerEntry.objects.filter(user=poor_user, kind="withdrawal").values_list("amount", flat=True))
    assert balance.cash == D("1000") - spent - withdrawn
    assert_books_balance()
