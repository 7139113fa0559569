"""Bring a Payment in line with what PortOne reports. The only code that credits a top-up or takes it back.

Lock order: payment → balance. PortOne is always asked first, outside any transaction; what it
answered is then applied under the payment's row lock, so the browser callback, the webhook, the
stale-payment sync and a staff refund of one payment apply one at a time, in any order, any number
of times, on any number of workers.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.gateway import GatewayPayment
from payments.models import (
    CREDITABLE_STATUSES,
    Payment,
    PaymentRefund,
    PaymentStatus,
    ReviewReason,
)
from portfolio.models import Balance, LedgerKind
from portfolio.services import balance_lock, ledger_post
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError, PaymentNotFound
from stocking.core.money import ZERO, round_money

logger = logging.getLogger(__name__)

MISMATCH_CANCEL_REASON = "StocKing: paid amount differs from the prepared amount"


class UnknownMerchantUid(PaymentNotFound):
    """PortOne knows the payment, but its merchant_uid is not one of ours (webhooks ignore it)."""

    default_message = "This payment does not belong to this shop."


def amount_matches(payment: Payment, data: GatewayPayment) -> bool:
    return data.currency == payment.currency and data.amount == payment.amount


def virtual_for(payment: Payment, krw: Decimal, *, refunded_virtual: Decimal) -> Decimal:
    """Virtual cash worth `krw` of this payment, at the rate it was bought at; the refund that empties
    the payment takes exactly what is left, so rounding never strands a cent."""
    if krw == payment.amount - payment.refunded_amount:
        return payment.virtual_amount - refunded_virtual
    return round_money(krw * payment.virtual_amount / payment.amount)


def payment_apply(*, data: GatewayPayment, actor: User | None = None) -> Payment:
    """Apply PortOne's state of one payment attempt to our Payment and return it.

    A paid amount that differs from the prepared one is cancelled at PortOne (before any lock) and the
    payment goes to staff review; it is never credited.
    """
    payment = Payment.objects.filter(merchant_uid=data.merchant_uid).first()
    if payment is None:
        raise UnknownMerchantUid()
    if data.status == "paid" and not payment.is_credited and not amount_matches(payment, data):
        data, note = _cancel_mismatched(payment, data)
        return _record_mismatch(payment_id=payment.pk, data=data, note=note)
    return _apply_locked(payment_id=payment.pk, data=data, actor=actor)


def _cancel_mismatched(payment: Payment, data: GatewayPayment) -> tuple[GatewayPayment, str]:
    paid = f"paid {data.amount:,.0f} {data.currency or '?'}, prepared {payment.amount:,.0f} {payment.currency}"
    try:
        cancelled = gateway.cancel(
            imp_uid=data.imp_uid, amount=None, checksum=data.amount - data.cancel_amount, reason=MISMATCH_CANCEL_REASON
        )
    except ApplicationError as exc:
        logger.error("payment %s: %s; cancel at PortOne failed: %s", payment.merchant_uid, paid, exc.message)
        return data, f"{paid}; cancelling at PortOne failed ({exc.code}), sync_payments tries again"
    logger.warning("payment %s: %s; cancelled at PortOne", payment.merchant_uid, paid)
    return cancelled, f"{paid}; cancelled at PortOne"


@atomic_with_retry
def _record_mismatch(*, payment_id: int, data: GatewayPayment, note: str) -> Payment:
    # Lock the payment so a concurrent callback for the same payment sees the review, not "ready".
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.is_credited:
        return payment
    _take_gateway_fields(payment, data)
    _flag(payment, ReviewReason.AMOUNT_MISMATCH, note)
    if data.status == "cancelled":
        payment.cancelled_at = data.cancelled_at or timezone.now()
    payment.save()
    return payment


@atomic_with_retry
def _apply_locked(*, payment_id: int, data: GatewayPayment, actor: User | None) -> Payment:
    # Lock the payment first: callback, webhook, sync and refund of one payment serialize here.
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.imp_uid and payment.imp_uid != data.imp_uid and payment.is_credited:
        # An older or stray attempt for an order that is already paid: it must not touch the credited one.
        logger.warning(
            "payment %s: ignoring attempt %s (credited %s)", payment.merchant_uid, data.imp_uid, payment.imp_uid
        )
        return payment
    _take_gateway_fields(payment, data)
    if not payment.is_credited:
        _apply_uncredited(payment, data)
    if payment.is_credited:
        _apply_cancellations(payment, data, actor)
    payment.save()
    return payment


def _take_gateway_fields(payment: Payment, data: GatewayPayment) -> None:
    payment.imp_uid = data.imp_uid
    payment.gateway_payload = data.raw
    payment.synced_at = timezone.now()
    payment.pay_method = data.pay_method or payment.pay_method


def _flag(payment: Payment, reason: str, note: str) -> None:
    payment.status = PaymentStatus.NEEDS_REVIEW
    payment.review_reason = reason
    payment.review_note = note


def _apply_uncredited(payment: Payment, data: GatewayPayment) -> None:
    if data.status == "paid":
        if not amount_matches(payment, data):  # normally caught before the lock, with a cancel
            _flag(payment, ReviewReason.AMOUNT_MISMATCH, f"paid {data.amount} {data.currency}, not cancelled")
        elif payment.status in CREDITABLE_STATUSES:
            _credit(payment, data)
    elif data.status == "failed":
        if payment.status == PaymentStatus.READY:
            payment.status = PaymentStatus.FAILED
            payment.failed_at = data.failed_at or timezone.now()
            payment.fail_reason = data.fail_reason
    elif data.status == "cancelled" and payment.status in CREDITABLE_STATUSES:
        payment.cancelled_at = data.cancelled_at or timezone.now()
        if amount_matches(payment, data):
            payment.status = PaymentStatus.CANCELLED
        else:
            # A tampered payment someone else cancelled before we saw it paid: still one for staff.
            _flag(payment, ReviewReason.AMOUNT_MISMATCH, f"paid {data.amount} {data.currency}; cancelled at PortOne")


def _credit(payment: Payment, data: GatewayPayment) -> None:
    balance = balance_lock(user=payment.user)
    entry = ledger_post(
        balance=balance,
        kind=LedgerKind.TOPUP,
        amount=payment.virtual_amount,
        reference=payment.merchant_uid,
        memo=f"PortOne top-up {payment.amount:,.0f} KRW",
    )
    # The credit-once backstop: only the UPDATE that finds the column empty may fill it.
    claimed = Payment.objects.filter(pk=payment.pk, credit_entry__isnull=True).update(credit_entry=entry)
    if claimed != 1:
        raise IntegrityError(f"payment {payment.merchant_uid} is already credited")
    payment.credit_entry = entry
    payment.status = PaymentStatus.PAID
    payment.paid_at = data.paid_at or timezone.now()
    payment.review_reason, payment.review_note = ReviewReason.NONE, ""


def _apply_cancellations(
    payment: Payment, data: GatewayPayment, actor: User | None, balance: Balance | None = None
) -> None:
    """Take back the virtual cash of every PortOne cancellation not yet recorded, once each."""
    recorded = set(payment.refunds.values_list("gateway_cancel_id", flat=True))
    refunded_virtual = payment.refunds.aggregate(total=Sum("virtual_amount"))["total"] or ZERO
    blocked = None
    for cancellation in data.cancellations:
        if cancellation.key in recorded:
            continue
        if not 0 < cancellation.amount <= payment.refundable_amount:
            blocked = (
                ReviewReason.GATEWAY_INCONSISTENT,
                f"PortOne cancellation {cancellation.key} of {cancellation.amount}",
            )
            break
        virtual = virtual_for(payment, cancellation.amount, refunded_virtual=refunded_virtual)
        balance = balance or balance_lock(user=payment.user)
        if virtual > balance.available_cash:
            blocked = (
                ReviewReason.CASH_UNAVAILABLE,
                f"PortOne refunded {cancellation.amount:,.0f} KRW, but only {balance.available_cash:,.0f} of the "
                f"{virtual:,.0f} virtual cash to take back is available; re-sync once it is, or settle by hand",
            )
            break
        entry = ledger_post(
            balance=balance,
            kind=LedgerKind.REFUND,
            amount=-virtual,
            reference=payment.merchant_uid,
            created_by=actor,
            memo=f"PortOne refund {cancellation.amount:,.0f} KRW",
        )
        PaymentRefund.objects.create(
            payment=payment,
            amount=cancellation.amount,
            virtual_amount=virtual,
            gateway_cancel_id=cancellation.key,
            ledger_entry=entry,
            reason=cancellation.reason,
            created_by=actor,
            cancelled_at=cancellation.cancelled_at,
        )
        payment.refunded_amount += cancellation.amount
        refunded_virtual += virtual
    if blocked is None and data.imp_uid == payment.imp_uid and data.cancel_amount != payment.refunded_amount:
        blocked = (
            ReviewReason.GATEWAY_INCONSISTENT,
            f"PortOne reports {data.cancel_amount} KRW cancelled, refunds recorded {payment.refunded_amount}",
        )
    if blocked:
        _flag(payment, *blocked)
        return
    payment.review_reason, payment.review_note = ReviewReason.NONE, ""
    if payment.refunded_amount == payment.amount:
        payment.status = PaymentStatus.REFUNDED
        payment.cancelled_at = payment.cancelled_at or data.cancelled_at or timezone.now()
    elif payment.refunded_amount > 0:
        payment.status = PaymentStatus.PARTIALLY_REFUNDED
    else:
        payment.status = PaymentStatus.PAID


def payments_lock_for_reset(*, user: User) -> list[Payment]:
    """Lock the user's credited payments whose PortOne refund could not be taken back for want of
    free cash. Called by the account reset before it locks anything else (payment → order → balance)."""
    return list(
        Payment.objects.select_for_update()
        .filter(
            user=user,
            status=PaymentStatus.NEEDS_REVIEW,
            review_reason=ReviewReason.CASH_UNAVAILABLE,
            credit_entry__isnull=False,
        )
        .order_by("pk")
    )


def payments_take_back_on_reset(*, payments: list[Payment], balance: Balance) -> None:
    """Book the refunds PortOne already made (as last fetched) out of the reset account's cash.

    The reset has just set the cash back to the grant plus every credited top-up, so the cash to take
    back is there now; without this, each reset would hand back money PortOne returned for real.
    """
    for payment in payments:
        _apply_cancellations(payment, gateway.parse_payment(payment.gateway_payload), None, balance=balance)
        payment.save()
