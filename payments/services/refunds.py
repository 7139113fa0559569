"""Staff refunds: cancel at PortOne (with a checksum), then take the virtual cash back through the ledger."""

from decimal import Decimal

from django.db.models import Sum

from accounts.models import User
from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.services.apply import payment_apply, virtual_for
from portfolio.selectors import balance_get
from stocking.core.exceptions import InsufficientFunds, InvalidAmount, PaymentNotRefundable
from stocking.core.money import ZERO, is_whole_won

REFUNDABLE_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


def payment_refund(*, payment: Payment, amount: Decimal | None = None, reason: str, staff_user: User) -> Payment:
    """Refund `amount` KRW of a credited payment (everything still refundable when None).

    The user's available virtual cash must cover what is taken back, checked before PortOne is asked,
    so real money is not returned for virtual cash already spent. PortOne is called with no lock held;
    the cancellation it reports is then applied like any other (one ledger debit per cancellation).
    If the user spends the cash in between, the payment lands in the review queue instead.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if not payment.is_credited or payment.status not in REFUNDABLE_STATUSES or payment.refundable_amount <= 0:
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
    data = gateway.cancel(
        imp_uid=payment.imp_uid,
        amount=None if amount == remaining else amount,
        checksum=remaining,
        reason=reason or f"Refund by {staff_user.get_username()}",
    )
    return payment_apply(data=data, actor=staff_user)
