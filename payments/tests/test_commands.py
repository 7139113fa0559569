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
