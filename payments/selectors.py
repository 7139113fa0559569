"""Reads of payments: a user's own, and the ones the stale-payment sync re-checks."""

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from payments.models import Payment, PaymentStatus
from stocking.core.exceptions import PaymentNotFound


def payment_list(*, user: User, status: str = "") -> QuerySet[Payment]:
    queryset = Payment.objects.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def payment_get(*, user: User, payment_id: int) -> Payment:
    """One of the user's own payments with its refunds; another user's id is simply not found."""
    payment = Payment.objects.filter(user=user, pk=payment_id).prefetch_related("refunds").first()
    if payment is None:
        raise PaymentNotFound()
    return payment


def payments_to_sync(*, older_than: timedelta) -> QuerySet[Payment]:
    """Stale `ready` payments and everything in the review queue, oldest first."""
    cutoff = timezone.now() - older_than
    return Payment.objects.filter(
        Q(status=PaymentStatus.READY, created_at__lt=cutoff) | Q(status=PaymentStatus.NEEDS_REVIEW)
    ).order_by("pk")


def payments_to_recheck(*, credited_within: timedelta, quiet_for: timedelta, limit: int) -> QuerySet[Payment]:
    """Credited payments (paid or partially refunded) paid within `credited_within`, not heard about
    from PortOne for `quiet_for`: at most `limit`, the longest unchecked first, so that successive runs
    go round the whole window however many there are."""
    now = timezone.now()
    return (
        Payment.objects.filter(
            status__in=(PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED),
            paid_at__gte=now - credited_within,
        )
        .filter(Q(synced_at__isnull=True) | Q(synced_at__lt=now - quiet_for))
        .order_by(F("synced_at").asc(nulls_first=True), "pk")[:limit]
    )
