"""Races on MariaDB/MySQL with real row locks (skipped on SQLite): however many callbacks, webhooks and
refunds of one payment run at once, it is credited once and refunded once."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments.models import Payment, PaymentRefund, PaymentStatus
from payments.services import payment_complete, payment_refund, payment_sync_stale
from payments.tests.helpers import console_cancel, paid, refunds, topups
from portfolio.models import Balance
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import ApplicationError
from stocking.tests.threads import mysql_only, run_concurrently

pytestmark = [mysql_only, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_completes_and_webhooks_credit_once():
    user = UserFactory()
    before = Balance.objects.get(user=user).cash
    payment, imp_uid = paid(user, "30000")
    body = {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid}

    def complete():
        return client_for(user).post("/api/v1/payments/complete", body, format="json").status_code

    def webhook():
        return APIClient().post("/api/v1/payments/webhook", {**body, "status": "paid"}, format="json").status_code

    results = run_concurrently([complete, webhook] * 10)
    assert results == [200] * 20, results
    assert topups(user) == [D("30000")]
    assert Balance.objects.get(user=user).cash == before + D("30000")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PAID
    assert_books_balance()


def test_concurrent_full_refunds_refund_once():
    user = UserFactory()
    staff = UserFactory()
    payment, imp_uid = paid(user, "10000")
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)

    def refund():
        return payment_refund(payment=payment, reason="race", staff_user=staff)

    results = run_concurrently([refund] * 6)
    done = [r for r in results if isinstance(r, Payment)]
    assert done, results
    assert all(isinstance(r, ApplicationError) for r in results if not isinstance(r, Payment)), results
    assert refunds(user) == [D("-10000")]
    assert PaymentRefund.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
    assert_books_balance()


def test_concurrent_webhooks_for_a_console_refund_take_the_cash_back_once():
    user = UserFactory()
    payment, imp_uid = paid(user, "10000")
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)
    console_cancel(imp_uid)

    def webhook():
        body = {"imp_uid": imp_uid, "status": "cancelled"}
        return APIClient().post("/api/v1/payments/webhook", body, format="json").status_code

    assert run_concurrently([webhook] * 12) == [200] * 12
    assert refunds(user) == [D("-10000")]
    assert_books_balance()


def test_rechecks_racing_webhooks_for_a_missed_partial_refund_take_the_cash_back_once():
    user = UserFactory()
    payment, imp_uid = paid(user, "10000")
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)
    console_cancel(imp_uid, amount=4000)
    Payment.objects.filter(pk=payment.pk).update(synced_at=timezone.now() - timedelta(hours=1))

    def recheck():
        outcomes = payment_sync_stale(
            older_than=timedelta(minutes=10),
            abandon_after=timedelta(days=1),
            recheck_paid=timedelta(days=7),
            recheck_limit=10,
        )
        return [outcome.error for outcome in outcomes if outcome.error]

    def webhook():
        body = {"imp_uid": imp_uid, "status": "paid"}
        return APIClient().post("/api/v1/payments/webhook", body, format="json").status_code

    results = run_concurrently([recheck, webhook] * 5)
    assert results[0::2] == [[]] * 5 and results[1::2] == [200] * 5, results
    assert refunds(user) == [D("-4000")] and PaymentRefund.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PARTIALLY_REFUNDED
    assert_books_balance()
