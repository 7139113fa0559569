"""The cash side of an account reset: the target, the reset ledger entry and the record that marks
where the new account begins. Orders and positions are closed by trading.services.reset first."""

from decimal import Decimal

from django.db.models import Max, Sum

from accounts.models import User
from portfolio.models import AccountReset, Balance, CashLedgerEntry, LedgerKind
from portfolio.services.ledger import ledger_post
from stocking.core.db import require_transaction
from stocking.core.money import ZERO

# Virtual cash a user keeps through a reset: what they were granted and what they paid real money for.
KEPT_KINDS = (LedgerKind.INITIAL_GRANT, LedgerKind.TOPUP, LedgerKind.REFUND)


def reset_target_cash(*, user: User) -> Decimal:
    """The initial grant plus paid top-ups minus refunds: real money is never wiped."""
    total = CashLedgerEntry.objects.filter(user=user, kind__in=KEPT_KINDS).aggregate(total=Sum("amount"))["total"]
    return max(total or ZERO, ZERO)


def balance_reset(*, balance: Balance, memo: str) -> CashLedgerEntry | None:
    """Move a locked balance with nothing reserved to `reset_target_cash` with one `reset` entry;
    its net capital starts again from there."""
    require_transaction("balance_reset")
    if balance.reserved_cash:
        raise AssertionError(f"reset of {balance.user_id} with {balance.reserved_cash} still reserved")
    target = reset_target_cash(user=balance.user_id)
    entry = None
    if target != balance.cash:
        entry = ledger_post(balance=balance, kind=LedgerKind.RESET, amount=target - balance.cash, memo=memo)
    balance.net_capital = target
    balance.save(update_fields=["net_capital", "updated_at"])
    return entry


def reset_record(
    *,
    balance: Balance,
    cash_before: Decimal,
    orders_cancelled: int,
    positions_removed: int,
    entry: CashLedgerEntry | None,
    last_execution_id: int,
) -> AccountReset:
    """Record the finished reset. Every later ledger entry and execution belongs to the new account."""
    last_entry = CashLedgerEntry.objects.filter(user_id=balance.user_id).aggregate(m=Max("id"))["m"] or 0
    return AccountReset.objects.create(
        user_id=balance.user_id,
        cash_before=cash_before,
        cash_after=balance.cash,
        orders_cancelled=orders_cancelled,
        positions_removed=positions_removed,
        ledger_entry=entry,
        last_ledger_entry_id=last_entry,
        last_execution_id=last_execution_id,
    )
