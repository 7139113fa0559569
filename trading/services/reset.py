"""Start over: cancel open orders, remove positions, set cash back to the capital really paid for.

It lives in trading because it closes orders; cash, positions and the reset record are written
through portfolio's services, the direction every money path takes (trading → portfolio)."""

from decimal import Decimal

from django.db.models import Max, Sum

from accounts.models import User
from portfolio.models import AccountReset, CashLedgerEntry, LedgerKind
from portfolio.services.ledger import balance_lock, ledger_post
from portfolio.services.positions import positions_clear
from portfolio.services.snapshots import snapshots_write
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError
from stocking.core.money import ZERO
from trading.models import OPEN_STATUSES, CancelReason, Execution, Order, OrderStatus
from trading.services.orders import order_close
from trading.sessions import market_clock

RESET_CONFIRMATION = "RESET"
MAX_ATTEMPTS = 5
# Virtual cash a user keeps through a reset: what they were granted and what they paid real money for.
KEPT_KINDS = (LedgerKind.INITIAL_GRANT, LedgerKind.TOPUP, LedgerKind.REFUND)


class ResetNotConfirmed(ApplicationError):
    code = "reset_not_confirmed"
    default_message = 'Send {"confirm": "RESET"} to reset the account.'


class ResetBusy(ApplicationError):
    code = "reset_busy"
    status_code = 409
    default_message = "Orders kept arriving during the reset; try again."


class _OrdersChanged(Exception):
    """An order was placed between locking the open orders and locking the balance."""


def reset_target_cash(*, user: User) -> Decimal:
    """The initial grant plus paid top-ups minus refunds: real money is never wiped."""
    total = CashLedgerEntry.objects.filter(user=user, kind__in=KEPT_KINDS).aggregate(total=Sum("amount"))["total"]
    return max(total or ZERO, ZERO)


def account_reset(*, user: User, confirm: str) -> AccountReset:
    """Cancel every open order, remove every position and set cash back to `reset_target_cash`,
    in one transaction with ledger entries that explain it. History is kept; the AccountReset row
    marks where the new account's statistics begin."""
    if confirm != RESET_CONFIRMATION:
        raise ResetNotConfirmed()
    for _ in range(MAX_ATTEMPTS):
        try:
            return _reset_once(user=user)
        except _OrdersChanged:
            continue
    raise ResetBusy()


@atomic_with_retry
def _reset_once(*, user: User) -> AccountReset:
    # Orders first, then the balance: the lock order of every money path. A fill or a cancel
    # racing the reset waits for these rows, then finds the order closed.
    orders = list(Order.objects.select_for_update().filter(user=user, status__in=OPEN_STATUSES).order_by("pk"))
    balance = balance_lock(user=user)
    locked_ids = [order.pk for order in orders]
    if Order.objects.filter(user=user, status__in=OPEN_STATUSES).exclude(pk__in=locked_ids).exists():
        # Placed after our order lock but committed before our balance lock: start again.
        raise _OrdersChanged()

    cash_before = balance.cash
    cancelled = 0
    for order in orders:
        if order.status not in OPEN_STATUSES:
            continue  # filled while we waited for its lock
        order.user = user
        order_close(order=order, status=OrderStatus.CANCELLED, cancel_reason=CancelReason.RESET, reason="Account reset")
        cancelled += 1
    removed = positions_clear(user=user)

    balance.refresh_from_db(fields=["cash", "reserved_cash", "net_capital"])
    target = reset_target_cash(user=user)
    entry = None
    if target != balance.cash:
        entry = ledger_post(
            balance=balance,
            kind=LedgerKind.RESET,
            amount=target - balance.cash,
            memo=f"Account reset: {cancelled} orders cancelled, {removed} positions removed",
        )
    balance.net_capital = target
    balance.save(update_fields=["net_capital", "updated_at"])

    last_ids = {
        "last_ledger_entry_id": CashLedgerEntry.objects.filter(user=user).aggregate(m=Max("id"))["m"] or 0,
        "last_execution_id": Execution.objects.filter(user=user).aggregate(m=Max("id"))["m"] or 0,
    }
    reset = AccountReset.objects.create(
        user=user,
        cash_before=cash_before,
        cash_after=target,
        orders_cancelled=cancelled,
        positions_removed=removed,
        ledger_entry=entry,
        **last_ids,
    )
    snapshots_write(on=market_clock().trading_date, users=[user])
    return reset
