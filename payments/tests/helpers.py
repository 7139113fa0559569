from decimal import Decimal as D

import requests
from django.conf import settings

from payments import gateway
from payments.models import Payment
from payments.services import payment_prepare
from portfolio.models import CashLedgerEntry, LedgerKind


def prepared(user, amount: str = "10000") -> Payment:
    return payment_prepare(user=user, amount=D(amount))


def paid(user, amount: str = "10000", *, paid_amount: str | None = None) -> tuple[Payment, str]:
    """A prepared payment that the sandbox reports paid (with `paid_amount`, a tampered one)."""
    payment = prepared(user, amount)
    imp_uid = gateway.sandbox_pay(merchant_uid=payment.merchant_uid, amount=D(paid_amount) if paid_amount else None)
    return payment, imp_uid


def console_cancel(imp_uid: str, amount: int | None = None) -> dict:
    """A refund made in PortOne's console (no checksum), as the sandbox's control endpoint offers."""
    body = {"imp_uid": imp_uid, "reason": "console refund"}
    if amount is not None:
        body["amount"] = amount
    answer = requests.post(f"{settings.PORTONE_API_URL}sandbox/cancel", json=body, timeout=5).json()
    assert answer["code"] == 0, answer
    return answer["response"]


def gateway_status(imp_uid: str) -> str:
    return gateway.find(imp_uid=imp_uid).status


def topups(user) -> list[D]:
    return list(CashLedgerEntry.objects.filter(user=user, kind=LedgerKind.TOPUP).values_list("amount", flat=True))


def refunds(user) -> list[D]:
    entries = CashLedgerEntry.objects.filter(user=user, kind=LedgerKind.REFUND).order_by("id")
    return list(entries.values_list("amount", flat=True))
