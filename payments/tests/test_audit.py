"""`audit_ledger` covers payments: one credit per credited payment, one debit per refund, no top-up or
refund entry without its payment, and refunds that add up."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from payments.models import Payment, PaymentRefund, PaymentStatus
from payments.services import payment_complete, payment_refund
from payments.tests.helpers import paid, prepared
from portfolio.audit import run_audit
from portfolio.models import LedgerKind
from portfolio.services import balance_lock, ledger_post
from portfolio.tests.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(user):
    payment, imp_uid = paid(user)
    return payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)


def violations() -> list[str]:
    return run_audit().violations


def test_real_payments_and_refunds_audit_clean(user, credited):
    prepared(user)
    payment_refund(payment=credited, amount=D("4000"), reason="", staff_user=user)
    report = run_audit()
    assert report.ok, report.violations
    assert report.checks["payments"] == 2 and report.checks["payment_refunds"] == 1


def test_a_topup_without_a_payment_is_a_violation(user):
    with transaction.atomic():
        ledger_post(balance=balance_lock(user=user), kind=LedgerKind.TOPUP, amount=D("500"))
    assert any("top-up without a payment" in v for v in violations())
    with pytest.raises(CommandError):
        call_command("audit_ledger")


def test_a_paid_payment_without_its_credit_is_a_violation(user):
    payment = prepared(user)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PAID)
    assert any("never credited" in v for v in violations())


def test_a_credit_of_the_wrong_amount_is_a_violation(credited):
    Payment.objects.filter(pk=credited.pk).update(virtual_amount=D("20000"))
    assert any("is not a top-up of its virtual amount" in v for v in violations())


def test_a_refund_entry_without_its_refund_row_is_a_violation(credited):
    payment_refund(payment=credited, reason="", staff_user=credited.user)
    PaymentRefund.objects.all().delete()
    found = violations()
    assert any("refund without a payment refund" in v for v in found)
    assert any("refunds add up to 0" in v for v in found)


def test_refunds_that_do_not_add_up_are_a_violation(credited):
    payment_refund(payment=credited, amount=D("3000"), reason="", staff_user=credited.user)
    Payment.objects.filter(pk=credited.pk).update(status=PaymentStatus.REFUNDED)
    assert any("refunded 3000" in v for v in violations())
    Payment.objects.filter(pk=credited.pk).update(status=PaymentStatus.PARTIALLY_REFUNDED)
    PaymentRefund.objects.filter(payment=credited).update(virtual_amount=D("2999"))
    assert any("is not a refund of its virtual amount" in v for v in violations())


def test_the_audit_command_reports_payment_counts(credited, capsys):
    call_command("audit_ledger", verbosity=2)
    out = capsys.readouterr().out
    assert "checked payments: 1" in out and "audit ok" in out
    assert_books_balance()
