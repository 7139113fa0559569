"""Closing the review queue: staff confirm an uncredited payment once PortOne holds none of its money."""

from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.models import Payment, PaymentStatus, ReviewReason
from stocking.core.exceptions import ApplicationError


class PaymentReviewOpen(ApplicationError):
    code = "payment_review_open"
    status_code = 409
    default_message = "This payment cannot be closed yet."


def payment_close_review(*, payment: Payment, staff_user: User) -> Payment:
    """Close an uncredited payment in the review queue as `cancelled` (PortOne cancelled it) or `failed`
    (PortOne never took money). Refused while PortOne still reports it paid: re-sync cancels it first.

    Credited payments (a refund of spent cash) are not closed here: they leave the queue when a
    re-sync can take the cash back.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != PaymentStatus.NEEDS_REVIEW or payment.is_credited:
        raise PaymentReviewOpen("Only uncredited payments waiting for review can be closed here.")
    data = gateway.find(imp_uid=payment.imp_uid) if payment.imp_uid else None
    if data is not None and data.status == "paid":
        raise PaymentReviewOpen("PortOne still reports this payment paid; re-sync to cancel it first.")
    closed_as = PaymentStatus.CANCELLED if data is not None and data.status == "cancelled" else PaymentStatus.FAILED
    note = f"{payment.review_note}\nclosed by {staff_user.get_username()} at {timezone.now():%Y-%m-%d %H:%M}".strip()
    # Conditional: a concurrent credit or re-sync wins, and this close then changes nothing.
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.NEEDS_REVIEW, credit_entry__isnull=True).update(
        status=closed_as, review_reason=ReviewReason.NONE, review_note=note, updated_at=timezone.now()
    )
    return Payment.objects.get(pk=payment.pk)
