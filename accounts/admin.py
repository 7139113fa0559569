from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import ApiKey, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "cash", "available_cash", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "show_on_leaderboard")
    search_fields = ("username", "email")
    list_select_related = ("balance",)
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("StocKing", {"fields": ("display_name", "show_on_leaderboard", "language")}),
    )

    @admin.display(description="cash", ordering="balance__cash")
    def cash(self, user: User):
        balance = getattr(user, "balance", None)
        return balance.cash if balance else None

    @admin.display(description="available cash")
    def available_cash(self, user: User):
        balance = getattr(user, "balance", None)
        return balance.available_cash if balance else None


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are made and revoked by their owners. The secret exists nowhere to show; its
    digest is left out too."""

    list_display = ("key_id", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("key_id", "name", "user__username")
    list_select_related = ("user",)
    fields = ("key_id", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
