"""Staff refunds: cancel at PortOne (with a checksum), then take the virtual cash back through the ledger."""

import logging
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.models import Payment, PaymentStatus, ReviewReason
from payments.services.apply import payment_apply, virtual_for
from portfolio.selectors import balance_get
from stocking.core.exceptions import (
    ApplicationError,
    InsufficientFunds,
    InvalidAmount,
    PaymentGatewayUnavailable,
    PaymentNotRefundable,
)
from stocking.core.money import ZERO, is_whole_won

logger = logging.getLogger(__name__)

REFUNDABLE_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


def is_refundable(payment: Payment) -> bool:
    return payment.is_credited and payment.status in REFUNDABLE_STATUSES and payment.refundable_amount > 0


def payment_refund(*, payment: Payment, amount: Decimal | None = None, reason: str, staff_user: User) -> Payment:
    """Refund `amount` KRW of a credited payment (everything still refundable when None).

    The user's available virtual cash must cover what is taken back, checked before PortOne is asked,
    so real money is not returned for virtual cash already spent. PortOne is called with no lock held;
    the cancellation it reports is then applied like any other (one ledger debit per cancellation).
    If the user spends the cash in between, the payment lands in the review queue instead.

    When the cancel gets no usable answer (timeout, outage), PortOne may have refunded all the same:
    see `_settle_unanswered_cancel`. Raises PaymentGatewayUnavailable when the refund is unconfirmed.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if not is_refundable(payment):
        raise PaymentNotRefundable(extra={"status": payment.status})
    remaining = payment.refundable_amount
    if amount is None:
        amount = remaining
    if amount <= 0 or not is_whole_won(amount):
        raise InvalidAmount("A refund is a positive whole number of won.")
    if amount > remaining:
        raise PaymentNotRefundable(f"At most {remaining:,.0f} won of this payment can be refunded.")
    refunded_virtual = payment.refunds.aggregate(total=Sum("virtual_amount"))["total"] or ZERO
    virtual = virtual_for(payment, amount, refunded_virtual=refunded_virtual)
    available = balance_get(user=payment.user).available_cash
    if virtual > available:
        raise InsufficientFunds(
            f"The user has {available:,.0f} virtual cash available; the refund takes back {virtual:,.0f}.",
            extra={"available_cash": f"{available:.2f}"},
        )
    recorded = set(payment.refunds.values_list("gateway_cancel_id", flat=True))
    try:
        data = gateway.cancel(
            imp_uid=payment.imp_uid,
            amount=None if amount == remaining else amount,
            checksum=remaining,
            reason=reason or f"Refund by {staff_user.get_username()}",
        )
    except PaymentGatewayUnavailable:
        return _settle_unanswered_cancel(payment=payment, amount=amount, recorded=recorded, staff_user=staff_user)
    return payment_apply(data=data, actor=staff_user)


def _settle_unanswered_cancel(*, payment: Payment, amount: Decimal, recorded: set[str], staff_user: User) -> Payment:
    """The cancel timed out or PortOne answered 5xx, so it may have gone through. Ask PortOne once and apply
    what it holds; when that shows our cancellation, the refund is done. Otherwise the payment is flagged
    for re-sync (the review queue, which every `sync_payments` run re-checks): a cancel still in flight
    at PortOne is then taken back when it lands. A second refund cannot double up meanwhile: the
    flagged payment is not refundable, and PortOne refuses any cancel whose checksum is stale.
    """
    refunded_before = payment.refunded_amount
    try:
        data = gateway.find(imp_uid=payment.imp_uid)
    except ApplicationError as exc:
        logger.warning("payment %s: refund unanswered and look-up failed (%s)", payment.merchant_uid, exc.code)
    else:
        applied = payment_apply(data=data, actor=staff_user)
        # Ours: a cancellation of this amount that was not there before we sent it.
        if any(c.key not in recorded and c.amount == amount for c in data.cancellations):
            return applied
    note = (
        f"refund of {amount:,.0f} KRW by {staff_user.get_username()} at {timezone.now():%Y-%m-%d %H:%M} "
        "sent to PortOne without an answer; re-sync (sync_payments does) to apply it if it went through"
    )
    # Conditional: once another cancellation is recorded, ours can no longer land (its checksum is stale),
    # and a webhook or re-sync that recorded ours meanwhile has settled it.
    flagged = Payment.objects.filter(
        pk=payment.pk, status__in=REFUNDABLE_STATUSES, refunded_amount=refunded_before
    ).update(
        status=PaymentStatus.NEEDS_REVIEW,
        review_reason=ReviewReason.REFUND_UNCONFIRMED,
        review_note=note,
        updated_at=timezone.now(),
    )
    message = "PortOne did not answer the refund and does not show it (yet); nothing was taken back here."
    if flagged:
        message += " The payment is flagged for re-sync; re-sync it before refunding again."
    raise PaymentGatewayUnavailable(message)
