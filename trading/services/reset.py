"""Start over: cancel open orders, remove positions, set cash back to the capital really paid for.

It lives in trading because it closes orders; cash, positions and the reset record are written
through portfolio's services, the direction every money path takes (trading → portfolio)."""

from collections.abc import Callable

from django.db.models import Max

from accounts.models import User
from portfolio.models import AccountReset, Balance
from portfolio.services.ledger import balance_lock
from portfolio.services.positions import positions_clear
from portfolio.services.resets import balance_reset, reset_record
from portfolio.services.snapshots import snapshots_write
from stocking.core.clock import local_now
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError
from trading.models import OPEN_STATUSES, CancelReason, Execution, Order, OrderStatus
from trading.services.orders import order_close

RESET_CONFIRMATION = "RESET"
MAX_ATTEMPTS = 5


class ResetNotConfirmed(ApplicationError):
    code = "reset_not_confirmed"
    default_message = 'Send {"confirm": "RESET"} to reset the account.'


class ResetBusy(ApplicationError):
    code = "reset_busy"
    status_code = 409
    default_message = "Orders kept arriving during the reset; try again."


ResetStep = Callable[..., Callable[[Balance], None] | None]
_steps: list[ResetStep] = []


def register_reset_step(prepare: ResetStep) -> None:
    """Let an app above trading (payments) join every reset: `prepare(user=...)` runs first in the
    reset's transaction and locks its own rows (they come before orders in the lock order); the
    callable it returns runs with the locked balance once the reset has set the cash."""
    if prepare not in _steps:
        _steps.append(prepare)


class _OrdersChanged(Exception):
    """An order was placed between locking the open orders and locking the balance."""


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
    settle_steps = [settle for prepare in _steps if (settle := prepare(user=user)) is not None]
    # Orders first, then the balance: the lock order of every money path. A fill or a cancel
    # racing the reset waits for these rows, then finds the order closed.
    orders = list(Order.objects.select_for_update().filter(user=user, status__in=OPEN_STATUSES).order_by("pk"))
    balance = balance_lock(user=user)
    locked_ids = [order.pk for order in orders]
    if Order.objects.filter(user=user, status__in=OPEN_STATUSES).exclude(pk__in=locked_ids).exists():
        # Placed after our order lock but committed before our balance lock: start again.
        raise _OrdersChanged()

    cash_before = balance.cash
    cancelled, closed = 0, set()
    for order in orders:
        if order.status not in OPEN_STATUSES or order.pk in closed:
            continue  # filled while we waited for its lock, or closed with its OCO partner
        order.user = user
        order_close(
            order=order,
            status=OrderStatus.CANCELLED,
            cancel_reason=CancelReason.RESET,
            reason="Account reset",
            balance=balance,
        )
        closed.update(sibling.pk for sibling in order.closed_siblings)
        cancelled += 1 + len(order.closed_siblings)
    removed = positions_clear(user=user)

    balance.refresh_from_db(fields=["cash", "reserved_cash", "net_capital", "event_seq"])
    entry = balance_reset(
        balance=balance, memo=f"Account reset: {cancelled} orders cancelled, {removed} positions removed"
    )
    for settle in settle_steps:
        settle(balance)
    last_execution = Execution.objects.filter(user=user).aggregate(m=Max("id"))["m"] or 0
    reset = reset_record(
        balance=balance,
        cash_before=cash_before,
        orders_cancelled=cancelled,
        positions_removed=removed,
        entry=entry,
        last_execution_id=last_execution,
    )
    # Today's point is the new account's (the day roll overwrites it with the close).
    snapshots_write(on=local_now().date(), users=[user])
    return reset
