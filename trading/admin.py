"""Back office for market data and orders. Orders, executions and bars are read-only: staff change
them only through actions that call the same services users go through."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from stocking.core.admin import ReadOnlyAdminMixin
from stocking.core.exceptions import ApplicationError
from trading.models import OPEN_STATUSES, Execution, Order, PriceBar, Stock
from trading.services.indices import index_divisors_kept
from trading.services.orders import order_cancel


def _or_order_id(results: QuerySet, queryset: QuerySet, search_term: str, field: str) -> QuerySet:
    """Add an exact order-id match to admin search results when the term is a number.

    Searching "=id" would make Django cast every row's id to text; this uses the index instead.
    """
    term = search_term.strip().lstrip("#")
    if term.isdigit():
        return results | queryset.filter(**{field: int(term)})
    return results


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "market",
        "sector",
        "current_price",
        "change",
        "volume",
        "is_halted",
        "is_listed",
        "updated_at",
    )
    list_filter = ("market", "is_halted", "is_listed", "sector")
    search_fields = ("^code", "name")
    ordering = ("code",)
    # Quotes belong to the simulator and importers; staff edit metadata and flags only.
    readonly_fields = (
        "current_price",
        "previous_close",
        "day_open",
        "day_high",
        "day_low",
        "volume",
        "trading_date",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("code", "name", "market", "sector", "is_listed", "is_halted", "volatility")}),
        ("Shares", {"fields": ("listed_shares", "float_ratio")}),
        ("Quote", {"fields": readonly_fields}),
    )
    actions = ("halt_trading", "resume_trading")

    def get_readonly_fields(self, request: HttpRequest, obj: Stock | None = None):
        # The code is the key orders, URLs and imports refer to; it is set once.
        return (*self.readonly_fields, "code") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Stock, form, change: bool) -> None:
        # A listing, delisting or new share count re-weights the index; the divisor absorbs it.
        with index_divisors_kept():
            super().save_model(request, obj, form, change)

    @admin.display(description="change")
    def change(self, obj: Stock) -> str:
        if obj.current_price is None or not obj.previous_close:
            return "-"
        diff = obj.current_price - obj.previous_close
        rate = diff / obj.previous_close * 100
        return f"{diff:+,.0f} ({rate:+.2f}%)"

    @admin.action(description="Halt trading in selected stocks", permissions=["change"])
    def halt_trading(self, request: HttpRequest, queryset: QuerySet[Stock]) -> None:
        updated = queryset.filter(is_halted=False).update(is_halted=True, updated_at=timezone.now())
        self.message_user(request, ngettext("Halted %d stock.", "Halted %d stocks.", updated) % updated)

    @admin.action(description="Resume trading in selected stocks", permissions=["change"])
    def resume_trading(self, request: HttpRequest, queryset: QuerySet[Stock]) -> None:
        updated = queryset.filter(is_halted=True).update(is_halted=False, updated_at=timezone.now())
        self.message_user(request, ngettext("Resumed %d stock.", "Resumed %d stocks.", updated) % updated)


@admin.register(PriceBar)
class PriceBarAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("stock", "interval", "start", "open", "high", "low", "close", "volume")
    list_filter = ("interval", "stock__market")
    search_fields = ("=stock__code",)
    list_select_related = ("stock",)
    raw_id_fields = ("stock",)
    ordering = ("-start", "stock")
    # Counting a large 1m table on every page is the slowest query here; the paginator guesses instead.
    show_full_result_count = False


class ExecutionInline(admin.TabularInline):
    model = Execution
    fk_name = "order"
    # The order row already shows user, stock and side; showing them here would query per row.
    fields = ("executed_at", "quantity", "price", "gross_amount", "fee", "tax", "realized_pnl")
    readonly_fields = fields
    ordering = ("executed_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "user",
        "stock",
        "side",
        "order_type",
        "time_in_force",
        "quantity",
        "limit_price",
        "status",
        "filled_quantity",
        "average_fill_price",
        "reserved_cash",
        "reserved_quantity",
    )
    list_display_links = ("id", "created_at")
    list_filter = (
        "status",
        "side",
        "order_type",
        "time_in_force",
        "stock__market",
        # Date ranges are computed in Python, unlike date_hierarchy's drill-down, which needs MySQL's
        # time zone tables (CONVERT_TZ) to list its years and months.
        ("created_at", admin.DateFieldListFilter),
        # Only stocks that have orders, not the whole universe.
        ("stock", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("^user__username", "^stock__code", "=client_order_id")
    search_help_text = "Order id, username, stock code or client order id."
    list_select_related = ("user", "stock")
    raw_id_fields = ("user", "stock")
    inlines = (ExecutionInline,)
    actions = ("cancel_open_orders",)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Order], search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return _or_order_id(results, queryset, search_term, "pk"), may_have_duplicates

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Cancel selected open orders (releases reservations)", permissions=["cancel"])
    def cancel_open_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        reason = f"Cancelled by staff ({request.user.get_username()})"
        open_ids = list(queryset.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True))
        skipped = queryset.count() - len(open_ids)
        cancelled, refused = 0, []
        for order_id in open_ids:
            try:
                order_cancel(user=None, order_id=order_id, reason=reason)
            except ApplicationError as exc:
                # The matching engine may have filled it between the page load and the click.
                refused.append(f"#{order_id}: {exc.message}")
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, ngettext("Cancelled %d order.", "Cancelled %d orders.", cancelled) % cancelled)
        if skipped:
            self.message_user(
                request,
                ngettext("%d selected order was not open.", "%d selected orders were not open.", skipped) % skipped,
                messages.WARNING,
            )
        for message in refused:
            self.message_user(request, message, messages.ERROR)


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "executed_at",
        "order_link",
        "user",
        "stock",
        "side",
        "quantity",
        "price",
        "gross_amount",
        "fee",
        "tax",
        "realized_pnl",
    )
    list_filter = ("side", "stock__market")
    search_fields = ("^user__username", "^stock__code")
    search_help_text = "Order id, username or stock code."
    list_select_related = ("user", "stock")
    raw_id_fields = ("order", "user", "stock")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Execution], search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return _or_order_id(results, queryset, search_term, "order_id"), may_have_duplicates

    @admin.display(description="order", ordering="order_id")
    def order_link(self, obj: Execution) -> str:
        url = reverse("admin:trading_order_change", args=[obj.order_id])
        return format_html('<a href="{}">#{}</a>', url, obj.order_id)
