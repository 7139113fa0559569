"""Reset racing orders and a matching pass, on MariaDB/MySQL with real row locks."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from portfolio.models import AccountReset, Balance
from portfolio.services import balance_deposit
from portfolio.tests.helpers import assert_books_balance
from stocking.tests.threads import mysql_only, run_concurrently
from trading.models import OPEN_STATUSES, Order, Stock
from trading.services import order_place
from trading.services.matching import match_orders
from trading.services.reset import account_reset
from trading.tests.factories import StockFactory

pytestmark = [mysql_only, pytest.mark.django_db(transaction=True)]


def place(user, code, side, order_type="market", quantity=1, limit_price=None):
    def call():
        return order_place(
            user=user, stock_code=code, side=side, order_type=order_type, quantity=quantity, limit_price=limit_price
        )

    return call


@pytest.mark.parametrize("round_", range(4))
def test_reset_racing_orders_and_matching_leaves_consistent_books(round_):
    stock = StockFactory(code=f"90020{round_}", current_price=D("1000"), previous_close=D("1000"))
    user = UserFactory()
    bystander = UserFactory()
    order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=50)
    resting = [
        order_place(
            user=user, stock_code=stock.code, side="buy", order_type="limit", quantity=5, limit_price=D(price)
        ).order
        for price in ("990", "980", "970")
    ]
    resting.append(
        order_place(
            user=user, stock_code=stock.code, side="sell", order_type="limit", quantity=20, limit_price=D("1010")
        ).order
    )
    order_place(user=bystander, stock_code=stock.code, side="buy", order_type="limit", quantity=3, limit_price=D("980"))
    # Move the price so the matching pass has crossing orders to fill while the reset runs.
    Stock.objects.filter(pk=stock.pk).update(current_price=D("975"))

    calls = [lambda: account_reset(user=user, confirm="RESET"), lambda: match_orders(stock_codes=[stock.code])]
    calls += [place(user, stock.code, "buy") for _ in range(3)]
    calls += [place(user, stock.code, "sell") for _ in range(2)]
    calls += [
        place(user, stock.code, "buy", "limit", 2, D("960")),
        lambda: balance_deposit(user=user, amount=D("1000")),
    ]
    results = run_concurrently(calls)

    assert not isinstance(results[0], Exception), results[0]
    assert not isinstance(results[1], Exception), results[1]
    unexpected = [
        r for r in results[2:] if isinstance(r, Exception) and getattr(r, "code", "") != "insufficient_shares"
    ]
    assert not unexpected, unexpected
    reset = AccountReset.objects.get(user=user)
    # Every order that existed before the reset is closed: filled before it, or cancelled by it.
    for order in resting:
        order.refresh_from_db()
        assert order.status not in OPEN_STATUSES, order
    still_open = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
    assert all(order.created_at >= reset.created_at for order in still_open)
    assert Balance.objects.get(user=user).cash >= 0
    assert_books_balance()
