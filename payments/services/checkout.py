"""A user's top-up: prepare it, then verify it with PortOne (browser callback or webhook) and credit once."""

from decimal import Decimal

from django.conf import settings

from accounts.models import User
from payments import gateway
from payments.ids import new_merchant_uid
from payments.models import Payment, ReviewReason
from payments.services.apply import payment_apply
from stocking.core.exceptions import (
    InvalidAmount,
    PaymentAmountNotOnStep,
    PaymentAmountOutOfRange,
    PaymentMismatch,
    PaymentNotFound,
    PaymentNotPaid,
    PaymentsNotConfigured,
)
from stocking.core.money import is_whole_won, round_money


def validate_topup_amount(amount: Decimal) -> Decimal:
    """A top-up is whole won, between PAYMENT_MIN_AMOUNT and PAYMENT_MAX_AMOUNT, on PAYMENT_AMOUNT_STEP."""
    if amount <= 0 or not is_whole_won(amount):
        raise InvalidAmount("The amount must be a positive whole number of won.")
    low, high, step = settings.PAYMENT_MIN_AMOUNT, settings.PAYMENT_MAX_AMOUNT, settings.PAYMENT_AMOUNT_STEP
    if not low <= amount <= high:
        raise PaymentAmountOutOfRange(
            f"A top-up is between {low:,.0f} and {high:,.0f} won.",
            extra={"min_amount": f"{low:.0f}", "max_amount": f"{high:.0f}"},
        )
    if step and amount % step:
        raise PaymentAmountNotOnStep(f"A top-up is a multiple of {step:,.0f} won.", extra={"step": f"{step:.0f}"})
    return amount.quantize(Decimal("1"))


def payment_prepare(*, user: User, amount: Decimal) -> Payment:
    """Create a top-up of `amount` KRW and register that amount with PortOne.

    PortOne is asked first: when it is down or refuses, nothing is written and the user can retry.
    """
    amount = validate_topup_amount(amount)
    if not gateway.is_configured():
        raise PaymentsNotConfigured()
    virtual_amount = round_money(amount * settings.VIRTUAL_CASH_PER_KRW)
    if virtual_amount <= 0:
        raise InvalidAmount("This amount buys no virtual cash.")
    merchant_uid = new_merchant_uid()
    gateway.prepare(merchant_uid=merchant_uid, amount=amount)
    return Payment.objects.create(
        user=user,
        merchant_uid=merchant_uid,
        name=f"StocKing 가상머니 {virtual_amount:,.0f}원",
        amount=amount,
        virtual_amount=virtual_amount,
    )


def payment_sync(*, imp_uid: str) -> Payment:
    """Fetch `imp_uid` from PortOne and apply what it says (webhook and callback share this).

    Trusts nothing the caller sent but the id. Raises PaymentNotFound when PortOne does not know the
    payment, UnknownMerchantUid (a PaymentNotFound) when PortOne knows it but it is not ours.
    """
    return payment_apply(data=gateway.find(imp_uid=imp_uid))


def payment_complete(*, user: User, imp_uid: str, merchant_uid: str) -> Payment:
    """The browser's callback after PortOne's window closed: verify and credit, or say why not.

    Returns the payment when it is credited (now or earlier); raises PaymentNotFound (not this user's
    order, or an imp_uid of another order), PaymentMismatch (tampered amount: cancelled, under review)
    or PaymentNotPaid (failed, cancelled, still open).
    """
    if not Payment.objects.filter(user=user, merchant_uid=merchant_uid).exists():
        raise PaymentNotFound()
    data = gateway.find(imp_uid=imp_uid)
    if data.merchant_uid != merchant_uid:
        raise PaymentNotFound("This imp_uid belongs to another order.")
    payment = payment_apply(data=data)
    if payment.is_credited:
        return payment
    if payment.review_reason == ReviewReason.AMOUNT_MISMATCH:
        raise PaymentMismatch(extra={"status": payment.status})
    raise PaymentNotPaid(extra={"status": payment.status})


def payment_sandbox_checkout(*, user: User, merchant_uid: str, amount: Decimal | None = None) -> Payment:
    """Sandbox mode only: pay a prepared top-up at the local sandbox and complete it, as the PortOne
    window and the browser callback would (the wallet page's offline top-up)."""
    if not Payment.objects.filter(user=user, merchant_uid=merchant_uid).exists():
        raise PaymentNotFound()
    imp_uid = gateway.sandbox_pay(merchant_uid=merchant_uid, amount=amount)
    return payment_complete(user=user, imp_uid=imp_uid, merchant_uid=merchant_uid)
