"""Refunds: staff refunds cancel at PortOne with a checksum and take the virtual cash back through the
ledger; a refund made in PortOne's console (a `cancelled` webhook) does the same, or goes to review."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from payments import gateway
from payments.models import Payment, PaymentStatus, ReviewReason
from payments.services import payment_complete, payment_refund, payment_resync
from payments.tests.helpers import console_cancel, gateway_status, paid, prepared, refunds, topups
from portfolio.models import Balance
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import (
    InsufficientFunds,
    InvalidAmount,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    PaymentNotRefundable,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(username="cs-agent")


@pytest.fixture
def credited(user):
    payment, imp_uid = paid(user, "10000")
    return payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)


def cash(user) -> D:
    return Balance.objects.get(user=user).cash


def webhook(imp_uid: str) -> int:
    return APIClient().post("/api/v1/payments/webhook", {"imp_uid": imp_uid, "status": "cancelled"}).status_code


def test_a_full_refund_cancels_at_portone_and_takes_the_cash_back(user, staff, credited):
    before = cash(user)
    refunded = payment_refund(payment=credited, reason="customer asked", staff_user=staff)
    assert refunded.status == PaymentStatus.REFUNDED and refunded.refunded_amount == D("10000")
    assert refunded.cancelled_at is not None
    assert gateway_status(credited.imp_uid) == "cancelled"
    assert cash(user) == before - D("10000")
    assert refunds(user) == [D("-10000")]
    (refund,) = refunded.refunds.all()
    assert (refund.amount, refund.virtual_amount, refund.created_by, refund.reason) == (
        D("10000"),
        D("10000"),
        staff,
        "customer asked",
    )
    assert refund.ledger_entry.created_by == staff
    assert_books_balance()


def test_partial_refunds_then_the_rest(user, staff, credited):
    first = payment_refund(payment=credited, amount=D("3000"), reason="part", staff_user=staff)
    assert (first.status, first.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("3000"))
    assert gateway_status(credited.imp_uid) == "paid"
    assert_books_balance()
    rest = payment_refund(payment=credited, reason="rest", staff_user=staff)
    assert (rest.status, rest.refunded_amount) == (PaymentStatus.REFUNDED, D("10000"))
    assert refunds(user) == [D("-3000"), D("-7000")]
    assert_books_balance()
    with pytest.raises(PaymentNotRefundable):
        payment_refund(payment=credited, reason="again", staff_user=staff)


def test_partial_refunds_at_another_rate_take_back_exactly_what_was_credited(user, staff, settings):
    settings.VIRTUAL_CASH_PER_KRW = D("1.5")
    payment, imp_uid = paid(user, "3000")
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)
    assert topups(user) == [D("4500")]
    settings.VIRTUAL_CASH_PER_KRW = D("3")  # a later rate change does not apply to an old payment
    payment_refund(payment=payment, amount=D("1001"), reason="part", staff_user=staff)
    payment_refund(payment=payment, reason="rest", staff_user=staff)
    assert refunds(user) == [D("-1501.50"), D("-2998.50")]
    assert_books_balance()


def test_refund_refuses_more_than_is_left_and_odd_amounts(user, staff, credited):
    with pytest.raises(PaymentNotRefundable):
        payment_refund(payment=credited, amount=D("10001"), reason="", staff_user=staff)
    with pytest.raises(InvalidAmount):
        payment_refund(payment=credited, amount=D("10.5"), reason="", staff_user=staff)
    with pytest.raises(InvalidAmount):
        payment_refund(payment=credited, amount=D("0"), reason="", staff_user=staff)
    assert gateway_status(credited.imp_uid) == "paid" and refunds(user) == []


def test_an_uncredited_payment_cannot_be_refunded(user, staff):
    with pytest.raises(PaymentNotRefundable):
        payment_refund(payment=prepared(user), reason="", staff_user=staff)


def test_refund_refuses_when_the_virtual_cash_is_already_spent(user, staff, credited):
    balance_withdraw(user=user, amount=cash(user) - D("9999"))
    with pytest.raises(InsufficientFunds):
        payment_refund(payment=credited, reason="", staff_user=staff)
    assert gateway_status(credited.imp_uid) == "paid", "real money must not go back for spent virtual cash"
    assert refunds(user) == []
    assert_books_balance()


def test_a_refund_racing_a_console_refund_is_rejected_by_the_checksum_then_resynced(user, staff, credited):
    console_cancel(credited.imp_uid, amount=4000)  # PortOne's console; its webhook has not arrived yet
    with pytest.raises(PaymentGatewayRejected):
        payment_refund(payment=credited, reason="", staff_user=staff)
    assert refunds(user) == []
    synced = payment_resync(payment=credited)
    assert (synced.status, synced.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("4000"))
    assert refunds(user) == [D("-4000")]
    assert_books_balance()


def test_a_cancelled_webhook_after_the_credit_takes_the_cash_back_once(user, credited):
    before = cash(user)
    console_cancel(credited.imp_uid)
    for _ in range(3):
        assert webhook(credited.imp_uid) == 200
    credited.refresh_from_db()
    assert credited.status == PaymentStatus.REFUNDED and credited.refunded_amount == D("10000")
    assert cash(user) == before - D("10000") and refunds(user) == [D("-10000")]
    assert_books_balance()


def test_a_partial_console_refund_is_recorded_as_partially_refunded(user, credited):
    console_cancel(credited.imp_uid, amount=2500)
    assert webhook(credited.imp_uid) == 200
    credited.refresh_from_db()
    assert (credited.status, credited.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("2500"))
    assert refunds(user) == [D("-2500")]


def test_a_console_refund_of_spent_cash_goes_to_review_until_the_cash_is_back(user, credited):
    balance_withdraw(user=user, amount=cash(user) - D("100"))
    console_cancel(credited.imp_uid)
    assert webhook(credited.imp_uid) == 200
    credited.refresh_from_db()
    assert credited.status == PaymentStatus.NEEDS_REVIEW
    assert credited.review_reason == ReviewReason.CASH_UNAVAILABLE and "10,000" in credited.review_note
    assert refunds(user) == [] and credited.is_credited
    assert_books_balance()
    assert webhook(credited.imp_uid) == 200  # PortOne's retry: still nothing to take
    assert refunds(user) == []
    balance_deposit(user=user, amount=D("50000"))
    synced = payment_resync(payment=credited)
    assert synced.status == PaymentStatus.REFUNDED and synced.review_reason == ""
    assert refunds(user) == [D("-10000")]
    assert_books_balance()


def test_a_cancelled_payment_that_was_never_credited_is_just_cancelled(user):
    payment, imp_uid = paid(user)
    console_cancel(imp_uid)
    assert webhook(imp_uid) == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and not payment.is_credited
    assert topups(user) == [] and refunds(user) == []
    assert_books_balance()


# PortOne carries out the cancel, but its answer never reaches us (a timeout).
LOST_CANCEL_ANSWER = {"lost_answers": {"/payments/cancel": 1.5}}


def sync() -> str:
    out = StringIO()
    call_command("sync_payments", stdout=out, stderr=out)
    return out.getvalue()


def test_a_refund_whose_answer_timed_out_is_confirmed_by_one_look_up(user, staff, credited, sandbox, settings):
    settings.PORTONE_TIMEOUT = 0.4
    sandbox.configure(LOST_CANCEL_ANSWER)
    refunded = payment_refund(payment=credited, amount=D("3000"), reason="timed out", staff_user=staff)
    assert (refunded.status, refunded.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("3000"))
    assert refunds(user) == [D("-3000")] and refunded.refunds.get().created_by == staff
    assert gateway.find(imp_uid=credited.imp_uid).cancel_amount == D("3000")
    assert_books_balance()


def test_a_refund_with_no_answer_and_no_look_up_is_flagged_then_settled_by_the_sync(
    user, staff, credited, sandbox, settings
):
    settings.PORTONE_TIMEOUT = 0.4
    # The cancel goes through unanswered, and PortOne stays unreachable for the look-up.
    sandbox.configure({"lost_answers": {"/payments/": 1.5}})
    with pytest.raises(PaymentGatewayUnavailable, match="flagged for re-sync"):
        payment_refund(payment=credited, reason="lost", staff_user=staff)
    flagged = Payment.objects.get(pk=credited.pk)
    assert (flagged.status, flagged.review_reason) == (PaymentStatus.NEEDS_REVIEW, ReviewReason.REFUND_UNCONFIRMED)
    assert refunds(user) == [], "nothing is taken back before PortOne confirms it"
    with pytest.raises(PaymentNotRefundable):  # no second cancel while the first is unaccounted for
        payment_refund(payment=credited, reason="again", staff_user=staff)
    sandbox.configure({"lost_answers": {}})
    assert f"{credited.merchant_uid}: needs_review → refunded" in sync()
    settled = Payment.objects.get(pk=credited.pk)
    assert (settled.status, settled.review_reason) == (PaymentStatus.REFUNDED, "")
    assert refunds(user) == [D("-10000")]
    assert_books_balance()


def test_a_refund_portone_never_received_is_flagged_and_the_sync_reopens_it(user, staff, credited, sandbox):
    sandbox.configure({"outage_on": {"/payments/cancel": 503}})
    with pytest.raises(PaymentGatewayUnavailable, match="flagged for re-sync"):
        payment_refund(payment=credited, reason="down", staff_user=staff)
    assert Payment.objects.get(pk=credited.pk).review_reason == ReviewReason.REFUND_UNCONFIRMED
    assert gateway.find(imp_uid=credited.imp_uid).cancel_amount == 0
    sandbox.configure({"outage_on": {}})
    assert f"{credited.merchant_uid}: needs_review → paid" in sync()
    assert payment_refund(payment=credited, reason="retry", staff_user=staff).status == PaymentStatus.REFUNDED
    assert refunds(user) == [D("-10000")]
    assert_books_balance()


def test_an_unanswered_refund_is_not_mistaken_for_a_console_refund_seen_by_the_look_up(
    user, staff, credited, sandbox, settings
):
    console_cancel(credited.imp_uid, amount=4000)  # its webhook is lost
    settings.PORTONE_TIMEOUT = 0.4
    sandbox.configure(LOST_CANCEL_ANSWER)  # our cancel's checksum is stale: PortOne refuses it, unheard
    with pytest.raises(PaymentGatewayUnavailable, match="does not show it"):
        payment_refund(payment=credited, amount=D("3000"), reason="", staff_user=staff)
    payment = Payment.objects.get(pk=credited.pk)
    # The look-up recorded the console refund; ours can no longer land, so nothing is flagged.
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("4000"))
    assert gateway.find(imp_uid=credited.imp_uid).cancel_amount == D("4000")
    assert refunds(user) == [D("-4000")]
    assert_books_balance()
