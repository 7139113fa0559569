"""The only code that changes a user's cash: every change is a ledger entry under the balance row lock."""

import contextlib
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from portfolio.models import CAPITAL_KINDS, Balance, CashLedgerEntry, LedgerKind
from stocking.core.clock import SEOUL, local_now
from stocking.core.db import atomic_with_retry, require_transaction, rows_update
from stocking.core.exceptions import DepositLimitExceeded, InsufficientFunds, InvalidAmount
from stocking.core.money import ZERO, is_whole_won


def balance_open(*, user: User) -> Balance:
    """Create the user's balance with the initial grant. Part of the caller's transaction (sign-up)."""
    with transaction.atomic():
        balance = Balance.objects.create(user=user)
        grant = settings.INITIAL_VIRTUAL_CASH
        if grant > 0:
            ledger_post(balance=balance, kind=LedgerKind.INITIAL_GRANT, amount=grant, memo="Initial virtual cash")
    return balance


def balances_lock(*, user_ids: set[int]) -> dict[int, Balance]:
    """Lock several users' balances (the matching engine's batch), in user order so two engines
    locking overlapping sets wait for each other instead of deadlocking."""
    require_transaction("balances_lock")
    if len(user_ids) == 1:
        (user_id,) = user_ids
        return {user_id: balance_lock(user=user_id)}
    balances = {
        b.user_id: b for b in Balance.objects.select_for_update().filter(user_id__in=user_ids).order_by("user_id")
    }
    for user_id in sorted(user_ids - balances.keys()):
        balances[user_id] = balance_lock(user=user_id)
    return balances


def balance_lock(*, user: User | int) -> Balance:
    """Lock and return the user's balance row, opening it if the user predates balances.

    Every money path of one user takes this lock first (after the order row, if any), so the
    user's cash, reservations and positions change one transaction at a time.
    """
    require_transaction("balance_lock")
    balance = Balance.objects.select_for_update().filter(user=user).first()
    if balance is None:
        # A user created outside sign-up (createsuperuser, admin): open it now, under the same rules.
        balance_open_once(user=user if isinstance(user, User) else User.objects.get(pk=user))
        balance = Balance.objects.select_for_update().get(user=user)
    return balance


def balance_open_once(*, user: User) -> None:
    """Open the balance unless a concurrent transaction just did (the unique user column decides)."""
    with contextlib.suppress(IntegrityError):
        balance_open(user=user)


def ledger_entry(
    *,
    balance: Balance,
    kind: str,
    amount: Decimal,
    order=None,
    execution=None,
    reference: str = "",
    created_by: User | None = None,
    memo: str = "",
) -> CashLedgerEntry:
    """Move `amount` (signed) into or out of a locked balance in memory and return its unsaved entry.

    Never leaves cash below what is reserved. The caller writes both, in the same transaction, with
    `ledger_flush` (the fill path batches them) or `ledger_post` does it for one entry.
    """
    if amount == 0:
        raise InvalidAmount("A ledger entry must move money.")
    new_cash = balance.cash + amount
    if new_cash < balance.reserved_cash:
        raise InsufficientFunds(extra={"available_cash": str(balance.available_cash)})
    balance.cash = new_cash
    if kind in CAPITAL_KINDS:
        balance.net_capital += amount
    return CashLedgerEntry(
        user_id=balance.user_id,
        kind=kind,
        amount=amount,
        balance_after=new_cash,
        order=order,
        execution=execution,
        reference=reference,
        created_by=created_by,
        memo=memo,
    )


BALANCE_FIELDS = ["cash", "reserved_cash", "net_capital", "event_seq", "updated_at"]


def ledger_flush(*, balances: list[Balance], entries: list[CashLedgerEntry]) -> None:
    """Write what `ledger_entry`, `cash_reserve(save=False)` and `cash_release(save=False)` changed:
    one INSERT for the entries and one UPDATE per balance (one in all when there are several)."""
    require_transaction("ledger_flush")
    if entries:
        CashLedgerEntry.objects.bulk_create(entries)
    now = timezone.now()
    for balance in balances:
        balance.updated_at = now
    if len(balances) == 1:
        balances[0].save(update_fields=BALANCE_FIELDS)
    elif balances:
        rows_update(
            model=Balance,
            fields=BALANCE_FIELDS,
            rows={b.pk: [getattr(b, name) for name in BALANCE_FIELDS] for b in balances},
        )


def ledger_post(
    *,
    balance: Balance,
    kind: str,
    amount: Decimal,
    order=None,
    execution=None,
    reference: str = "",
    created_by: User | None = None,
    memo: str = "",
) -> CashLedgerEntry:
    """Move `amount` (signed) into or out of a locked balance and record it. Never leaves cash negative."""
    entry = ledger_entry(
        balance=balance,
        kind=kind,
        amount=amount,
        order=order,
        execution=execution,
        reference=reference,
        created_by=created_by,
        memo=memo,
    )
    balance.save(update_fields=BALANCE_FIELDS)
    entry.save()
    return entry


def cash_reserve(*, balance: Balance, amount: Decimal, save: bool = True) -> None:
    """Hold `amount` of available cash for an open buy order (no ledger entry: cash does not move).
    With `save=False` the caller writes the balance later, in the same transaction (`ledger_flush`)."""
    if amount > balance.available_cash:
        raise InsufficientFunds(extra={"available_cash": str(balance.available_cash), "required_cash": str(amount)})
    balance.reserved_cash += amount
    if save:
        balance.save(update_fields=["reserved_cash", "updated_at"])


def cash_release(*, balance: Balance, amount: Decimal, save: bool = True) -> None:
    if amount < 0 or amount > balance.reserved_cash:
        raise AssertionError(f"cannot release {amount} of {balance.reserved_cash} reserved")
    if amount:
        balance.reserved_cash -= amount
        if save:
            balance.save(update_fields=["reserved_cash", "updated_at"])


def _validate_amount(amount: Decimal) -> None:
    if amount <= 0 or not is_whole_won(amount):
        raise InvalidAmount()


def deposited_today(*, user: User) -> Decimal:
    today_start = datetime.combine(local_now().date(), time(0), tzinfo=SEOUL)
    total = CashLedgerEntry.objects.filter(user=user, kind=LedgerKind.DEPOSIT, created_at__gte=today_start).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO


@atomic_with_retry
def balance_deposit(*, user: User, amount: Decimal) -> CashLedgerEntry:
    """Add free virtual cash, capped at DAILY_DEPOSIT_LIMIT per Seoul calendar day."""
    _validate_amount(amount)
    # Lock before summing today's deposits so two concurrent deposits cannot both fit under the cap.
    balance = balance_lock(user=user)
    limit = settings.DAILY_DEPOSIT_LIMIT
    remaining = max(limit - deposited_today(user=user), ZERO)
    if amount > remaining:
        raise DepositLimitExceeded(
            f"Deposits are limited to {limit:,.0f} won a day; {remaining:,.0f} won left today.",
            extra={"remaining_today": f"{remaining:.2f}"},
        )
    return ledger_post(balance=balance, kind=LedgerKind.DEPOSIT, amount=amount, memo="Virtual deposit")


@atomic_with_retry
def balance_withdraw(*, user: User, amount: Decimal) -> CashLedgerEntry:
    """Take virtual cash out; never more than the available (unreserved) cash."""
    _validate_amount(amount)
    # Lock so a withdrawal and an order reservation cannot both spend the same available cash.
    balance = balance_lock(user=user)
    if amount > balance.available_cash:
        raise InsufficientFunds(extra={"available_cash": str(balance.available_cash)})
    return ledger_post(balance=balance, kind=LedgerKind.WITHDRAWAL, amount=-amount, memo="Virtual withdrawal")


@atomic_with_retry
def balance_adjust(*, user: User, amount: Decimal, reason: str, staff_user: User) -> CashLedgerEntry:
    """A staff correction: a signed amount with a required reason, recorded with who made it."""
    reason = reason.strip()
    if not reason:
        raise InvalidAmount("An adjustment needs a reason.")
    if amount == 0 or not is_whole_won(amount):
        raise InvalidAmount("An adjustment is a non-zero whole number of won.")
    # Lock so the correction cannot take cash an order is reserving at the same moment.
    balance = balance_lock(user=user)
    return ledger_post(
        balance=balance,
        kind=LedgerKind.ADJUSTMENT,
        amount=amount,
        created_by=staff_user,
        memo=reason[:255],
    )
