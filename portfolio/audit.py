"""Check every money invariant across all users. Aggregate queries only: cost is a few scans, not N+1."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from portfolio.models import CAPITAL_KINDS, AccountReset, Balance, CashLedgerEntry, LedgerKind, Position
from trading.models import OPEN_STATUSES, Execution, Order, OrderSide

ZERO = Decimal("0")


@dataclass
class AuditReport:
    checks: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _check_cash(report: AuditReport) -> None:
    ledger_sums = dict(
        CashLedgerEntry.objects.values_list("user_id").annotate(total=Sum("amount")).values_list("user_id", "total")
    )
    newest = CashLedgerEntry.objects.filter(user_id=OuterRef("user_id")).order_by("-id").values("balance_after")[:1]
    last_after = dict(
        Balance.objects.annotate(last=Subquery(newest)).filter(last__isnull=False).values_list("user_id", "last")
    )
    open_buys = dict(
        Order.objects.filter(side=OrderSide.BUY, status__in=OPEN_STATUSES)
        .values_list("user_id")
        .annotate(total=Sum("reserved_cash"))
        .values_list("user_id", "total")
    )
    balances = list(Balance.objects.values_list("user_id", "cash", "reserved_cash"))
    report.checks["balances"] = len(balances)
    seen = set()
    for user_id, cash, reserved in balances:
        seen.add(user_id)
        ledger = ledger_sums.get(user_id, ZERO)
        if ledger != cash:
            report.violations.append(f"user {user_id}: ledger sum {ledger} != cash {cash}")
        if user_id in last_after and last_after[user_id] != cash:
            report.violations.append(f"user {user_id}: last ledger balance_after {last_after[user_id]} != cash {cash}")
        if cash < 0 or reserved < 0 or reserved > cash:
            report.violations.append(f"user {user_id}: cash {cash}, reserved {reserved} (negative or over cash)")
        held = open_buys.get(user_id, ZERO)
        if held != reserved:
            report.violations.append(f"user {user_id}: reserved cash {reserved} != open buy orders' {held}")
    for user_id in set(ledger_sums) - seen:
        report.violations.append(f"user {user_id}: ledger entries but no balance")


def _check_shares(report: AuditReport) -> None:
    open_sells = Order.objects.filter(side=OrderSide.SELL, status__in=OPEN_STATUSES)
    reserved_by_orders: dict[tuple[int, int], int] = defaultdict(int)
    for u, s, q in (
        open_sells.filter(oco_group__isnull=True)
        .values_list("user_id", "stock_id")
        .annotate(total=Sum("reserved_quantity"))
        .values_list("user_id", "stock_id", "total")
    ):
        reserved_by_orders[(u, s)] += q
    # The two orders of a stop-loss / take-profit pair share one hold of the shares: count it once.
    for u, s, q in (
        open_sells.filter(oco_group__isnull=False)
        .values_list("user_id", "stock_id", "oco_group")
        .annotate(held=Max("reserved_quantity"))
        .values_list("user_id", "stock_id", "held")
    ):
        reserved_by_orders[(u, s)] += q
    net_filled: dict[tuple[int, int], int] = defaultdict(int)
    # A reset removes positions without fills: only the fills after a user's last reset count.
    reset_floor = AccountReset.objects.filter(user_id=OuterRef("user_id")).order_by("-id").values("last_execution_id")
    for user_id, stock_id, bought, sold in (
        Execution.objects.filter(id__gt=Coalesce(Subquery(reset_floor[:1]), 0))
        .values_list("user_id", "stock_id")
        .annotate(
            bought=Sum("quantity", filter=Q(side=OrderSide.BUY), default=0),
            sold=Sum("quantity", filter=Q(side=OrderSide.SELL), default=0),
        )
        .values_list("user_id", "stock_id", "bought", "sold")
    ):
        net_filled[(user_id, stock_id)] = bought - sold
    positions = list(Position.objects.values_list("user_id", "stock_id", "quantity", "reserved_quantity"))
    report.checks["positions"] = len(positions)
    held = set()
    for user_id, stock_id, quantity, reserved in positions:
        key = (user_id, stock_id)
        held.add(key)
        if quantity <= 0:
            report.violations.append(f"user {user_id} stock {stock_id}: empty position left in holdings")
        if reserved > quantity:
            report.violations.append(f"user {user_id} stock {stock_id}: reserved {reserved} > quantity {quantity}")
        by_orders = reserved_by_orders.get(key, 0)
        if by_orders != reserved:
            report.violations.append(f"user {user_id} stock {stock_id}: reserved {reserved} != open sells' {by_orders}")
        if net_filled.get(key, 0) != quantity:
            report.violations.append(
                f"user {user_id} stock {stock_id}: quantity {quantity} != buys − sells {net_filled.get(key, 0)}"
            )
    for key, quantity in net_filled.items():
        if key not in held and quantity != 0:
            report.violations.append(f"user {key[0]} stock {key[1]}: buys − sells {quantity} but no position")
    for key, quantity in reserved_by_orders.items():
        if key not in held and quantity:
            report.violations.append(f"user {key[0]} stock {key[1]}: open sells hold {quantity} shares of no position")


def _check_capital(report: AuditReport) -> None:
    """net_capital == the last reset's cash (or 0) + every capital movement since it; every reset
    entry belongs to a reset record."""
    last = AccountReset.objects.filter(user_id=OuterRef("user_id")).order_by("-id")
    flows = dict(
        CashLedgerEntry.objects.filter(
            kind__in=CAPITAL_KINDS, id__gt=Coalesce(Subquery(last.values("last_ledger_entry_id")[:1]), 0)
        )
        .values_list("user_id")
        .annotate(total=Sum("amount"))
        .values_list("user_id", "total")
    )
    rows = Balance.objects.annotate(base=Subquery(last.values("cash_after")[:1])).values_list(
        "user_id", "net_capital", "base"
    )
    for user_id, net_capital, base in rows:
        expected = (base or ZERO) + flows.get(user_id, ZERO)
        if net_capital != expected:
            report.violations.append(f"user {user_id}: net capital {net_capital} != capital moved in {expected}")
    orphans = CashLedgerEntry.objects.filter(kind=LedgerKind.RESET, account_reset__isnull=True)
    for entry_id, user_id in orphans.values_list("id", "user_id"):
        report.violations.append(f"user {user_id}: reset ledger entry {entry_id} without its reset record")
    report.checks["resets"] = AccountReset.objects.count()


def _check_orders(report: AuditReport) -> None:
    filled_by_executions = dict(
        Execution.objects.values_list("order_id").annotate(total=Sum("quantity")).values_list("order_id", "total")
    )
    has_executions = Exists(Execution.objects.filter(order_id=OuterRef("pk")))
    orders = list(
        Order.objects.filter(Q(filled_quantity__gt=0) | has_executions).values_list("id", "filled_quantity", "quantity")
    )
    report.checks["filled_orders"] = len(orders)
    for order_id, filled, quantity in orders:
        executed = filled_by_executions.get(order_id, 0)
        if executed != filled or filled > quantity:
            report.violations.append(f"order {order_id}: filled {filled} of {quantity}, executions {executed}")
    closed_holding = Order.objects.exclude(status__in=OPEN_STATUSES).filter(
        Q(reserved_cash__gt=0) | Q(reserved_quantity__gt=0)
    )
    for order_id, status in closed_holding.values_list("id", "status"):
        report.violations.append(f"order {order_id}: {status} but still holds a reservation")


AuditCheck = Callable[[AuditReport], None]
_extra_checks: list[AuditCheck] = []


def register_check(check: AuditCheck) -> AuditCheck:
    """Add an invariant check from an app that sits above portfolio (payments), called from its
    AppConfig.ready(): portfolio must not import the apps that depend on it."""
    if check not in _extra_checks:
        _extra_checks.append(check)
    return check


def run_audit() -> AuditReport:
    """Every invariant money must keep; an empty `violations` list means the books balance."""
    report = AuditReport()
    _check_cash(report)
    _check_shares(report)
    _check_capital(report)
    _check_orders(report)
    for check in _extra_checks:
        check(report)
    report.checks["ledger_entries"] = CashLedgerEntry.objects.count()
    report.checks["executions"] = Execution.objects.count()
    return report
