"""An account reset never wipes real money: paid top-ups minus refunds survive it."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from payments.models import PaymentStatus, ReviewReason
from payments.services import payment_complete, payment_refund, payment_sync
from payments.tests.helpers import console_cancel, paid, refunds
from portfolio.models import Balance
from portfolio.services import balance_deposit
from portfolio.tests.helpers import assert_books_balance
from portfolio.tests.trades import winning_round_trip
from trading.services import order_place
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


def test_a_refund_portone_made_while_the_cash_was_spent_is_taken_back_by_the_reset(user):
    payment, imp_uid = paid(user, "500000")
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)
    stock = StockFactory(code="100100", current_price=D("10000"))
    # Hold nearly all the cash in a resting buy: the take-back has nothing free to take.
    order_place(user=user, stock_code=stock.code, side="buy", order_type="limit", quantity=1040, limit_price=D("9990"))
    console_cancel(imp_uid)
    payment = payment_sync(imp_uid=imp_uid)
    assert (payment.status, payment.review_reason) == (PaymentStatus.NEEDS_REVIEW, ReviewReason.CASH_UNAVAILABLE)
    assert refunds(user) == []

    reset = account_reset(user=user, confirm="RESET")

    assert reset.cash_after == D("10000000")  # the refunded top-up is not handed back
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == D("500000")
    assert refunds(user) == [D("-500000")]
    assert Balance.objects.get(user=user).net_capital == D("10000000")
    assert_books_balance()
    # A later sync finds nothing left to take, and a second reset does not restore the top-up.
    payment_sync(imp_uid=imp_uid)
    assert account_reset(user=user, confirm="RESET").cash_after == D("10000000")
    assert refunds(user) == [D("-500000")]
    assert_books_balance()
