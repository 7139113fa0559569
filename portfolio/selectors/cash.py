"""Reads of cash: the balance (opened on first sight for users made outside sign-up) and the ledger."""

from django.db.models import QuerySet

from accounts.models import User
from portfolio.models import Balance, CashLedgerEntry


def balance_get(*, user: User) -> Balance:
    balance = Balance.objects.filter(user=user).first()
    if balance is None:
        from portfolio.services.ledger import balance_open_once

        balance_open_once(user=user)
        balance = Balance.objects.get(user=user)
    return balance


def ledger_list(*, user: User, kind: str = "") -> QuerySet[CashLedgerEntry]:
    queryset = CashLedgerEntry.objects.filter(user=user)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-id")
