from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "show_on_leaderboard")
    search_fields = ("username", "email")
    fieldsets = DjangoUserAdmin.fieldsets + (("StocKing", {"fields": ("show_on_leaderboard",)}),)
