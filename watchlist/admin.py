"""Watchlists are the users' own: staff can read them (support questions), not edit them."""

from django.contrib import admin
from django.db.models import Count

from stocking.core.admin import ReadOnlyAdminMixin
from watchlist.models import Watchlist, WatchlistItem


class WatchlistItemInline(admin.TabularInline):
    model = WatchlistItem
    fields = ("position", "stock", "memo", "target_price", "added_at")
    readonly_fields = fields
    ordering = ("position", "id")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stock")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Watchlist)
class WatchlistAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "user", "name", "position", "item_count", "updated_at")
    search_fields = ("^user__username", "name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("user__username", "position")
    inlines = (WatchlistItemInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(items_count=Count("items"))

    @admin.display(description="stocks", ordering="items_count")
    def item_count(self, obj: Watchlist) -> int:
        return obj.items_count
