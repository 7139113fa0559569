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
