"""`sync_payments` (stale payments re-checked with the sandbox) and `portone_sandbox` (served for real)."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.services import payment_apply, payment_complete
from payments.services.stale import ABANDONED_REASON
from payments.tests.helpers import console_cancel, paid, prepared, refunds, topups
from portfolio.models import Balance
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


def age(payment: Payment, minutes: int) -> None:
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def sync(*args: str) -> str:
    out = StringIO()
    call_command("sync_payments", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_a_payment_whose_browser_closed_after_paying_is_credited_by_the_sync(user):
    payment, _ = paid(user)  # PortOne has it paid; no callback or webhook ever reached us
    age(payment, 11)
    output = sync("--older-than", "10m")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.imp_uid
    assert f"{payment.merchant_uid}: ready → paid" in output
    assert topups(user) == [D("10000")]
    sync("--older-than", "10m")
    assert topups(user) == [D("10000")]
    assert_books_balance()


def test_failed_and_abandoned_payments_are_closed_and_fresh_ones_left_alone(user):
    failed = prepared(user)
    gateway.sandbox_pay(merchant_uid=failed.merchant_uid, fail=True)
    abandoned, recent_unpaid, fresh = prepared(user), prepared(user), prepared(user)
    age(failed, 15)
    age(abandoned, 60 * 25)
    age(recent_unpaid, 15)
    output = sync("--older-than", "10m", "--abandon-after", "1d")
    statuses = {p.pk: p.status for p in Payment.objects.all()}
    assert statuses[failed.pk] == PaymentStatus.FAILED
    assert statuses[abandoned.pk] == PaymentStatus.FAILED
    assert Payment.objects.get(pk=abandoned.pk).fail_reason == ABANDONED_REASON
    assert statuses[fresh.pk] == PaymentStatus.READY
    assert "2 changed" in output
    # PortOne has never seen it but a day has not passed: it stays open, and that is no error.
    assert statuses[recent_unpaid.pk] == PaymentStatus.READY


def test_an_abandoned_payment_paid_later_is_still_credited(user, auth_client):
    payment = prepared(user)
    age(payment, 60 * 25)
    sync()
    imp_uid = gateway.sandbox_pay(merchant_uid=payment.merchant_uid)
    response = auth_client.post(
        "/api/v1/payments/complete", {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid}, format="json"
    )
    assert response.status_code == 200 and topups(user) == [D("10000")]


def test_dry_run_lists_and_changes_nothing(user):
    payment, _ = paid(user)
    age(payment, 30)
    output = sync("--dry-run")
    assert f"{payment.merchant_uid}: ready (would check)" in output
    assert "dry run: 1 payment(s) would be checked" in output
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.READY and topups(user) == []


def test_the_sync_retries_a_blocked_refund_once_the_cash_is_back(user):
    payment, imp_uid = paid(user)
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)
    balance_withdraw(user=user, amount=Balance.objects.get(user=user).cash)
    console_cancel(imp_uid)
    APIClient().post("/api/v1/payments/webhook", {"imp_uid": imp_uid, "status": "cancelled"}, format="json")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.NEEDS_REVIEW
    balance_deposit(user=user, amount=D("10000"))
    assert "needs_review → refunded" in sync()
    assert refunds(user) == [D("-10000")]
    assert_books_balance()


def test_a_gateway_outage_is_reported_and_exits_non_zero(user, sandbox):
    payment, _ = paid(user)
    age(payment, 30)
    sandbox.configure({"outage": 503})
    with pytest.raises(CommandError, match="1 error"):
        sync()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.READY and topups(user) == []
    sandbox.configure({"outage": 0})
    sync()
    assert topups(user) == [D("10000")]


def test_a_bad_duration_is_refused():
    with pytest.raises(CommandError):
        call_command("sync_payments", "--older-than", "soon")


def test_a_tampered_payment_whose_cancel_failed_is_cancelled_by_the_sync(user, sandbox):
    payment, imp_uid = paid(user, "10000", paid_amount="100")
    # PortOne answers the look-up, then is down when the tampered payment is to be cancelled.
    data = gateway.find(imp_uid=imp_uid)
    sandbox.configure({"outage": 503})
    flagged = payment_apply(data=data)
    assert flagged.status == PaymentStatus.NEEDS_REVIEW and "failed" in flagged.review_note
    sandbox.configure({"outage": 0})
    assert gateway.find(imp_uid=imp_uid).status == "paid"
    sync()
    assert gateway.find(imp_uid=imp_uid).status == "cancelled"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.NEEDS_REVIEW and "cancelled at PortOne" in payment.review_note
    assert topups(user) == []


def credited(user, amount: str = "10000") -> Payment:
    payment, imp_uid = paid(user, amount)
    return payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)


def quiet(payment: Payment, minutes: int = 11, *, paid_days_ago: int = 0) -> None:
    """As if PortOne had last been asked about it `minutes` ago, and it was paid `paid_days_ago` days ago."""
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(
        synced_at=now - timedelta(minutes=minutes), paid_at=now - timedelta(days=paid_days_ago, minutes=minutes)
    )


def test_a_console_refund_whose_webhook_was_lost_is_taken_back_by_the_sync_once(user):
    payment = credited(user)
    before = Balance.objects.get(user=user).cash
    console_cancel(payment.imp_uid)  # the sandbox has no webhook URL here: the notification is lost
    quiet(payment)
    output = sync()
    assert f"{payment.merchant_uid}: paid → refunded" in output
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == D("10000")
    assert Balance.objects.get(user=user).cash == before - D("10000") and refunds(user) == [D("-10000")]
    quiet(payment)
    sync()
    assert refunds(user) == [D("-10000")], "a fully refunded payment is not re-checked, nor refunded twice"
    assert_books_balance()


def test_missed_partial_refunds_are_taken_back_one_by_one(user):
    payment = credited(user)
    console_cancel(payment.imp_uid, amount=4000)
    quiet(payment)
    assert f"{payment.merchant_uid}: paid → partially_refunded" in sync()
    console_cancel(payment.imp_uid, amount=6000)
    quiet(payment)
    assert f"{payment.merchant_uid}: partially_refunded → refunded" in sync()
    assert refunds(user) == [D("-4000"), D("-6000")]
    assert_books_balance()


def test_a_missed_refund_of_spent_cash_goes_to_the_review_queue(user):
    payment = credited(user)
    balance_withdraw(user=user, amount=Balance.objects.get(user=user).cash)
    console_cancel(payment.imp_uid)
    quiet(payment)
    assert "paid → needs_review" in sync()
    assert refunds(user) == [] and Payment.objects.get(pk=payment.pk).review_reason == "cash_unavailable"
    assert_books_balance()


def test_the_recheck_window_is_an_option_and_zero_turns_it_off(user):
    old = credited(user)
    console_cancel(old.imp_uid)
    quiet(old, paid_days_ago=8)
    assert "0 payment(s) checked" in sync()  # the default window is 7 days
    assert "0 payment(s) checked" in sync("--recheck-paid", "0d")
    assert f"{old.merchant_uid}: paid → refunded" in sync("--recheck-paid", "10d")
    assert refunds(user) == [D("-10000")]


def test_payments_synced_recently_are_not_rechecked(user):
    payment = credited(user)  # PortOne was asked a moment ago, when it was credited
    console_cancel(payment.imp_uid)
    assert "0 payment(s) checked" in sync("--older-than", "10m")
    assert f"{payment.merchant_uid}: paid → refunded" in sync("--older-than", "0s")


def test_the_recheck_is_bounded_per_run_and_goes_round_the_window(user):
    payments = [credited(user) for _ in range(3)]
    for minutes, payment in zip((30, 20, 40), payments, strict=True):
        quiet(payment, minutes)
    first = sync("--recheck-limit", "2", "-v", "2")
    # The longest unchecked first; checking them makes the third the longest unchecked.
    assert [p.merchant_uid in first for p in payments] == [True, False, True]
    assert "2 payment(s) checked" in first
    Payment.objects.filter(pk__in=[payments[0].pk, payments[2].pk]).update(
        synced_at=timezone.now() - timedelta(minutes=15)
    )
    second = sync("--recheck-limit", "2", "-v", "2")
    assert payments[1].merchant_uid in second and "2 payment(s) checked" in second
    assert "0 payment(s) checked" in sync("--recheck-limit", "0")


def test_a_dry_run_lists_the_credited_payments_it_would_recheck(user):
    payment = credited(user)
    quiet(payment)
    console_cancel(payment.imp_uid)
    assert f"{payment.merchant_uid}: paid (would check)" in sync("--dry-run")
    assert refunds(user) == []


def test_a_negative_recheck_limit_is_refused():
    with pytest.raises(CommandError):
        call_command("sync_payments", "--recheck-limit", "-1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_portone_sandbox_command_serves_until_terminated():
    port = free_port()
    env = {**os.environ, "PORTONE_V1_API_KEY": "cmd-key", "PORTONE_V1_API_SECRET": "cmd-secret"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "portone_sandbox", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/users/getToken"
        for _ in range(100):
            try:
                answer = requests.post(url, json={"imp_key": "cmd-key", "imp_secret": "cmd-secret"}, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("the sandbox never answered")
        assert answer.status_code == 200 and answer.json()["code"] == 0
        bad = requests.post(url, json={"imp_key": "cmd-key", "imp_secret": "x"}, timeout=1)
        assert bad.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert f"PortOne sandbox on http://127.0.0.1:{port}/" in output and "stopped" in output
