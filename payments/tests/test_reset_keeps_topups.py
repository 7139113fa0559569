"""An account reset never wipes real money: paid top-ups minus refunds survive it."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from payments.services import payment_complete, payment_refund
from payments.tests.helpers import paid
from portfolio.models import Balance
from portfolio.services import balance_deposit
from portfolio.tests.helpers import assert_books_balance
from portfolio.tests.trades import winning_round_trip
from trading.services.reset import account_reset
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_reset_keeps_the_grant_plus_top_ups_minus_refunds(user):
    staff = UserFactory(is_staff=True)
    first, first_uid = paid(user, "30000")
    payment_complete(user=user, imp_uid=first_uid, merchant_uid=first.merchant_uid)
    second, second_uid = paid(user, "20000")
    second = payment_complete(user=user, imp_uid=second_uid, merchant_uid=second.merchant_uid)
    payment_refund(payment=second, amount=D("5000"), reason="partial refund", staff_user=staff)
    balance_deposit(user=user, amount=D("1000000"))  # virtual: wiped by the reset
    winning_round_trip(user, StockFactory(code="100100", current_price=D("10000")))

    reset = account_reset(user=user, confirm="RESET")

    assert reset.cash_after == D("10045000")  # 10,000,000 + 30,000 + 20,000 − 5,000
    balance = Balance.objects.get(user=user)
    assert (balance.cash, balance.net_capital, balance.reserved_cash) == (D("10045000"), D("10045000"), 0)
    assert_books_balance()
