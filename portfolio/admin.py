"""Back office for cash and holdings: all read-only. Cash moves only through portfolio.services, each
move a ledger entry; a staff "adjust balance" action (with a required reason) comes later."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from portfolio.models import Balance, CashLedgerEntry, Position
from stocking.core.admin import ReadOnlyAdminMixin


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "cash", "reserved_cash", "available", "currency", "updated_at")
    search_fields = ("^user__username", "^user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("user__username",)

    @admin.display(description="available cash")
    def available(self, obj: Balance):
        return obj.available_cash


@admin.register(CashLedgerEntry)
class CashLedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "user",
        "kind",
        "amount",
        "balance_after",
        "order_link",
        "reference",
        "memo",
    )
    list_filter = ("kind",)
    search_fields = ("^user__username", "reference")
    list_select_related = ("user",)
    raw_id_fields = ("user", "order", "execution", "created_by")
    ordering = ("-id",)
    show_full_result_count = False

    @admin.display(description="order", ordering="order_id")
    def order_link(self, obj: CashLedgerEntry) -> str:
        if obj.order_id is None:
            return "-"
        url = reverse("admin:trading_order_change", args=[obj.order_id])
        return format_html('<a href="{}">#{}</a>', url, obj.order_id)


@admin.register(Position)
class PositionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "stock",
        "quantity",
        "reserved_quantity",
        "average_price",
        "cost_basis",
        "realized_pnl",
        "updated_at",
    )
    list_filter = ("stock__market",)
    search_fields = ("^user__username", "^stock__code", "stock__name")
    list_select_related = ("user", "stock")
    raw_id_fields = ("user", "stock")
    ordering = ("user__username", "stock__code")
