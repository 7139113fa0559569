from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

MONEY = {"max_digits": 18, "decimal_places": 2}


class Balance(models.Model):
    """A user's virtual cash. Changed only by portfolio.services.ledger, always with a ledger entry."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="balance")
    cash = models.DecimalField(**MONEY, default=Decimal("0"))
    reserved_cash = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Held by open buy orders.")
    currency = models.CharField(max_length=3, default="KRW")
    event_seq = models.PositiveBigIntegerField(
        default=0, help_text="The user's last order-event seq: every order change takes the next one."
    )
    net_capital = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        help_text="Capital put in since the last reset: grant + deposits + top-ups − withdrawals − refunds.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(cash__gte=0), name="balance_cash_non_negative"),
            models.CheckConstraint(condition=Q(reserved_cash__gte=0), name="balance_reserved_non_negative"),
            models.CheckConstraint(condition=Q(reserved_cash__lte=F("cash")), name="balance_reserved_le_cash"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.cash} {self.currency}"

    @property
    def available_cash(self) -> Decimal:
        return self.cash - self.reserved_cash


class LedgerKind(models.TextChoices):
    INITIAL_GRANT = "initial_grant", "Initial grant"
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    TOPUP = "topup", "Top-up"
    REFUND = "refund", "Refund"
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"
    FEE = "fee", "Fee"
    TAX = "tax", "Tax"
    ADJUSTMENT = "adjustment", "Adjustment"
    RESET = "reset", "Account reset"


# Money the user put in or took out, as opposed to trading results: a deposit must never look like
# profit. Staff adjustments are not capital (DESIGN): a correction shows in the account's P/L.
CAPITAL_KINDS = frozenset(
    {
        LedgerKind.INITIAL_GRANT,
        LedgerKind.DEPOSIT,
        LedgerKind.WITHDRAWAL,
        LedgerKind.TOPUP,
        LedgerKind.REFUND,
    }
)


class CashLedgerEntry(models.Model):
    """Append-only: the sum of a user's entries equals their cash."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(**MONEY, help_text="Signed: credits positive, debits negative.")
    balance_after = models.DecimalField(**MONEY)
    order = models.ForeignKey("trading.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    execution = models.ForeignKey(
        "trading.Execution", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="External reference, e.g. a payment id.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "cash ledger entries"
        indexes = [models.Index(fields=["user", "-id"], name="ledger_user_newest_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_non_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_after_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} → {self.balance_after}"


class Position(models.Model):
    """Shares a user holds in one stock. Removed when the quantity reaches zero."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions")
    stock = models.ForeignKey("trading.Stock", on_delete=models.PROTECT, related_name="positions")
    quantity = models.PositiveIntegerField(default=0)
    reserved_quantity = models.PositiveIntegerField(default=0, help_text="Held by open sell orders.")
    average_price = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    cost_basis = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="What the held shares cost, fees included."
    )
    realized_pnl = models.DecimalField(**MONEY, default=Decimal("0"))
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stock__code"]
        constraints = [
            models.UniqueConstraint(fields=["user", "stock"], name="position_unique_user_stock"),
            models.CheckConstraint(condition=Q(reserved_quantity__lte=F("quantity")), name="position_reserved_le_qty"),
            models.CheckConstraint(condition=Q(cost_basis__gte=0), name="position_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.stock_id} ×{self.quantity}"

    @property
    def available_quantity(self) -> int:
        return self.quantity - self.reserved_quantity


class AccountReset(models.Model):
    """One "start over": open orders cancelled, positions removed, cash set back to the capital the
    user really paid for. The ids mark where the new account's history begins; nothing is deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_resets")
    created_at = models.DateTimeField(auto_now_add=True)
    cash_before = models.DecimalField(**MONEY)
    cash_after = models.DecimalField(**MONEY)
    orders_cancelled = models.PositiveIntegerField(default=0)
    positions_removed = models.PositiveIntegerField(default=0)
    # The newest ledger entry and execution of the old account: later ones belong to the new one.
    last_ledger_entry_id = models.BigIntegerField(default=0)
    last_execution_id = models.BigIntegerField(default=0)
    ledger_entry = models.OneToOneField(
        CashLedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="account_reset"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="reset_user_newest_idx")]

    def __str__(self) -> str:
        return f"reset of {self.user} at {self.created_at:%Y-%m-%d %H:%M}"


class PortfolioSnapshot(models.Model):
    """A user's value at the end of a trading day: one point of the equity curve."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    cash = models.DecimalField(**MONEY)
    holdings_value = models.DecimalField(**MONEY)
    total_value = models.DecimalField(**MONEY)
    net_capital = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "date"]
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="snapshot_unique_user_date")]

    def __str__(self) -> str:
        return f"{self.user} {self.date} {self.total_value}"
