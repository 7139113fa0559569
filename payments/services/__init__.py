from payments.services.apply import UnknownMerchantUid, payment_apply
from payments.services.checkout import (
    payment_complete,
    payment_prepare,
    payment_sandbox_checkout,
    payment_sync,
    validate_topup_amount,
)
from payments.services.refunds import payment_refund
from payments.services.review import PaymentReviewOpen, payment_close_review
from payments.services.stale import SyncOutcome, payment_resync, payment_sync_stale

__all__ = [
    "PaymentReviewOpen",
    "SyncOutcome",
    "UnknownMerchantUid",
    "payment_apply",
    "payment_close_review",
    "payment_complete",
    "payment_prepare",
    "payment_refund",
    "payment_resync",
    "payment_sandbox_checkout",
    "payment_sync",
    "payment_sync_stale",
    "validate_topup_amount",
]
