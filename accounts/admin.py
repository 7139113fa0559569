from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


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
