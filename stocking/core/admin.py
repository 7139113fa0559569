from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """View-only: no add, change or delete, whatever the staff user's model permissions."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
