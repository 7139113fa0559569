"""Re-check payments PortOne will not tell us about: it sends no webhook when a payment fails or the
browser closes, a refund blocked by spent cash waits for a re-sync, and a cancellation whose webhook
was lost (our downtime, a 5xx, a throttle) or a staff refund whose answer timed out must still take
the virtual cash back."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.selectors import payments_to_recheck, payments_to_sync
from payments.services.apply import payment_apply
from stocking.core.exceptions import ApplicationError, PaymentNotFound

ABANDONED_REASON = "Never paid at PortOne (abandoned)"


@dataclass(frozen=True)
class SyncOutcome:
    payment: Payment
    before: str
    after: str
    error: str = ""


def payment_resync(*, payment: Payment, abandon_after: timedelta | None = None) -> Payment:
    """Ask PortOne about one payment (by imp_uid, or by merchant_uid when no attempt was seen) and apply it.

    A `ready` payment PortOne has never seen, older than `abandon_after`, is closed as failed: the
    browser never paid. A later paid notification still credits it (failed may become paid).
    """
    try:
        if payment.imp_uid:
            data = gateway.find(imp_uid=payment.imp_uid)
        else:
            data = gateway.find_by_merchant_uid(merchant_uid=payment.merchant_uid)
    except PaymentNotFound:
        if payment.imp_uid:
            raise
        if abandon_after is None or payment.created_at >= timezone.now() - abandon_after:
            return payment  # not paid yet: the window may still be open
        # Conditional: a callback that credited it meanwhile keeps it.
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.READY, imp_uid__isnull=True).update(
            status=PaymentStatus.FAILED,
            fail_reason=ABANDONED_REASON,
            failed_at=timezone.now(),
            synced_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return Payment.objects.get(pk=payment.pk)
    # A tampered payment whose cancel failed earlier is still "paid" at PortOne: payment_apply cancels it again.
    return payment_apply(data=data)


def payment_sync_stale(
    *,
    older_than: timedelta,
    abandon_after: timedelta,
    recheck_paid: timedelta = timedelta(0),
    recheck_limit: int = 0,
    dry_run: bool = False,
) -> list[SyncOutcome]:
    """Re-sync every stale payment; one payment's gateway error does not stop the others.

    Also re-checks up to `recheck_limit` credited payments paid within `recheck_paid` and not synced for
    `older_than`, applying any PortOne cancellation we missed through the same path as the webhook (each
    cancellation once: PortOne's cancellation id is unique among our refunds).
    """
    stale = list(payments_to_sync(older_than=older_than))
    credited = list(payments_to_recheck(credited_within=recheck_paid, quiet_for=older_than, limit=recheck_limit))
    outcomes = []
    for payment in stale + credited:
        before = payment.status
        if dry_run:
            outcomes.append(SyncOutcome(payment, before, before))
            continue
        try:
            synced = payment_resync(payment=payment, abandon_after=abandon_after)
        except ApplicationError as exc:
            outcomes.append(SyncOutcome(payment, before, before, error=f"{exc.code}: {exc.message}"))
            continue
        outcomes.append(SyncOutcome(synced, before, synced.status))
    return outcomes
