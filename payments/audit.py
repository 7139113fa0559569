"""Payment invariants for `audit_ledger` (registered from PaymentsConfig.ready(): portfolio must not
import payments). Aggregate queries only."""

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from payments.models import CREDITED_STATUSES, Payment, PaymentRefund, PaymentStatus
from portfolio.audit import AuditReport
from portfolio.models import CashLedgerEntry, LedgerKind

ZERO_MONEY = Value(0, output_field=DecimalField(max_digits=18, decimal_places=2))


def check_payments(report: AuditReport) -> None:
    """Every credited payment has exactly one top-up entry of its virtual amount, every refund exactly one
    debit of its own, no top-up or refund entry exists without its payment, and refunds add up."""
    violations = report.violations
    report.checks["payments"] = Payment.objects.count()
    report.checks["payment_refunds"] = PaymentRefund.objects.count()

    for merchant_uid, status in Payment.objects.filter(
        status__in=CREDITED_STATUSES, credit_entry__isnull=True
    ).values_list("merchant_uid", "status"):
        violations.append(f"payment {merchant_uid}: {status} but never credited")

    wrong_credit = Payment.objects.filter(credit_entry__isnull=False).exclude(
        credit_entry__kind=LedgerKind.TOPUP,
        credit_entry__user_id=F("user_id"),
        credit_entry__amount=F("virtual_amount"),
    )
    for merchant_uid, entry_id in wrong_credit.values_list("merchant_uid", "credit_entry_id"):
        violations.append(f"payment {merchant_uid}: credit entry {entry_id} is not a top-up of its virtual amount")

    for entry_id, user_id in CashLedgerEntry.objects.filter(
        kind=LedgerKind.TOPUP, payment_credit__isnull=True
    ).values_list("id", "user_id"):
        violations.append(f"ledger entry {entry_id} (user {user_id}): top-up without a payment")

    wrong_debit = PaymentRefund.objects.exclude(
        ledger_entry__kind=LedgerKind.REFUND,
        ledger_entry__user_id=F("payment__user_id"),
        ledger_entry__amount=-F("virtual_amount"),
    )
    for refund_id, entry_id in wrong_debit.values_list("id", "ledger_entry_id"):
        violations.append(f"payment refund {refund_id}: ledger entry {entry_id} is not a refund of its virtual amount")

    for entry_id, user_id in CashLedgerEntry.objects.filter(
        kind=LedgerKind.REFUND, payment_refund__isnull=True
    ).values_list("id", "user_id"):
        violations.append(f"ledger entry {entry_id} (user {user_id}): refund without a payment refund")

    refunds = PaymentRefund.objects.filter(payment_id=OuterRef("pk")).order_by().values("payment_id")
    krw = Coalesce(Subquery(refunds.annotate(total=Sum("amount")).values("total")), ZERO_MONEY)
    virtual = Coalesce(Subquery(refunds.annotate(total=Sum("virtual_amount")).values("total")), ZERO_MONEY)
    inconsistent = (
        Payment.objects.annotate(refunds_krw=krw, refunds_virtual=virtual)
        .filter(
            ~Q(refunded_amount=F("refunds_krw"))
            | Q(refunds_virtual__gt=F("virtual_amount"))
            | Q(refunds_krw__gt=0, credit_entry__isnull=True)
            | Q(status=PaymentStatus.REFUNDED) & ~Q(refunded_amount=F("amount"))
            | Q(status=PaymentStatus.PARTIALLY_REFUNDED) & (Q(refunded_amount=0) | Q(refunded_amount=F("amount")))
            | Q(status=PaymentStatus.PAID, refunded_amount__gt=0)
        )
        .values_list("merchant_uid", "status", "amount", "refunded_amount", "refunds_krw", "virtual_amount")
    )
    for merchant_uid, status, amount, refunded, refunds_krw, virtual_amount in inconsistent:
        violations.append(
            f"payment {merchant_uid}: {status}, amount {amount}, refunded {refunded}, refunds add up to "
            f"{refunds_krw} KRW (virtual amount {virtual_amount})"
        )
