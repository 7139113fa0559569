"""Back office for top-ups: read-only rows, a `needs_review` work queue (status filter), and actions that
go through the same services as everything else: a full refund at PortOne, a re-sync from PortOne, and
closing an uncredited review item once PortOne holds none of its money."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from payments.models import Payment, PaymentRefund, PaymentStatus
from payments.services import payment_close_review, payment_refund, payment_resync
from stocking.core.admin import ReadOnlyAdminMixin
from stocking.core.exceptions import ApplicationError


class PaymentRefundInline(admin.TabularInline):
    model = PaymentRefund
    fields = ("created_at", "amount", "virtual_amount", "reason", "created_by", "cancelled_at", "gateway_cancel_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentRefund]:
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class NeedsReviewFirstFilter(admin.SimpleListFilter):
    """The review queue one click away, with how many wait in it."""

    title = "work queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin):
        waiting = Payment.objects.filter(status=PaymentStatus.NEEDS_REVIEW).count()
        return [("review", f"Needs review ({waiting})")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Payment]) -> QuerySet[Payment]:
        if self.value() == "review":
            return queryset.filter(status=PaymentStatus.NEEDS_REVIEW)
        return queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "merchant_uid",
        "created_at",
        "user",
        "amount",
        "virtual_amount",
        "refunded_amount",
        "status",
        "review_reason",
        "pay_method",
        "imp_uid",
        "paid_at",
    )
    list_filter = (NeedsReviewFirstFilter, "status", "review_reason", "pay_method")
    search_fields = ("=merchant_uid", "=imp_uid", "^user__username")
    search_help_text = "merchant_uid, imp_uid (exact) or username."
    list_select_related = ("user",)
    raw_id_fields = ("user", "credit_entry")
    ordering = ("-created_at", "-id")
    inlines = (PaymentRefundInline,)
    actions = ("refund_in_full", "resync_from_portone", "close_review")
    fieldsets = (
        (None, {"fields": ("merchant_uid", "imp_uid", "user", "name", "status", "review_reason", "review_note")}),
        ("Money", {"fields": ("amount", "virtual_amount", "refunded_amount", "currency", "credit_entry")}),
        ("PortOne", {"fields": ("pay_method", "fail_reason", "paid_at", "failed_at", "cancelled_at", "synced_at")}),
        ("Raw", {"classes": ("collapse",), "fields": ("gateway_payload", "created_at", "updated_at")}),
    )

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def has_resync_permission(self, request: HttpRequest) -> bool:
        return self.has_refund_permission(request)

    @admin.action(description="Refund selected payments in full (cancels at PortOne)", permissions=["refund"])
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        reason = f"Refunded by staff ({request.user.get_username()})"
        done = 0
        for payment in queryset.order_by("pk"):
            try:
                payment_refund(payment=payment, reason=reason, staff_user=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{payment.merchant_uid}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("Refunded %d payment.", "Refunded %d payments.", done) % done)

    @admin.action(description="Re-sync selected payments from PortOne", permissions=["resync"])
    def resync_from_portone(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset.order_by("pk"):
            before = payment.status
            try:
                synced = payment_resync(payment=payment)
            except ApplicationError as exc:
                self.message_user(request, f"{payment.merchant_uid}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{payment.merchant_uid}: {before} → {synced.status}")

    @admin.action(
        description="Close review of selected uncredited payments (nothing left at PortOne)", permissions=["resync"]
    )
    def close_review(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset.order_by("pk"):
            try:
                closed = payment_close_review(payment=payment, staff_user=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{payment.merchant_uid}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{payment.merchant_uid}: closed as {closed.status}")
