"""Back office for top-ups: read-only rows, a `needs_review` work queue (status filter), and actions that
go through the same services as everything else: a full or partial refund at PortOne, a re-sync from
PortOne, and closing an uncredited review item once PortOne holds none of its money."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from payments.models import Payment, PaymentRefund, PaymentStatus
from payments.services import payment_close_review, payment_refund, payment_resync
from payments.services.refunds import is_refundable
from stocking.core.admin import ReadOnlyAdminMixin
from stocking.core.exceptions import ApplicationError


class PartialRefundForm(forms.Form):
    amount = forms.IntegerField(
        label="Amount (KRW)",
        min_value=1,
        max_value=10**12,
        help_text="Whole won, at most what is still refundable. The virtual cash taken back is at the "
        "payment's own rate.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        help_text="Required. Sent to PortOne and kept on the refund with your username.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
    actions = ("refund_in_full", "refund_partially", "resync_from_portone", "close_review")
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

    @admin.action(description="Refund part of the selected payment (one; cancels at PortOne)", permissions=["refund"])
    def refund_partially(self, request: HttpRequest, queryset: QuerySet[Payment]):
        """First call shows the form; the form posts back here with "apply" to refund."""
        selected = list(queryset.select_related("user")[:2])
        if len(selected) != 1:
            self.message_user(request, "Select exactly one payment for a partial refund.", messages.ERROR)
            return None
        payment = selected[0]
        if not is_refundable(payment):
            self.message_user(
                request, f"{payment.merchant_uid}: not refundable ({payment.get_status_display()}).", messages.ERROR
            )
            return None
        form = PartialRefundForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            amount = Decimal(form.cleaned_data["amount"])
            try:
                refunded = payment_refund(
                    payment=payment, amount=amount, reason=form.cleaned_data["reason"], staff_user=request.user
                )
            except ApplicationError as exc:
                self.message_user(request, f"{payment.merchant_uid}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{payment.merchant_uid}: refunded {amount:,.0f} KRW; {refunded.refunded_amount:,.0f} of "
                    f"{refunded.amount:,.0f} refunded in all, now {refunded.get_status_display().lower()}.",
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Partial refund",
            "opts": self.opts,
            "form": form,
            "payment": payment,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/payments/payment/partial_refund.html", context)

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
