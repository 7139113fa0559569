"""Back office for cash and holdings: read-only. Cash moves only through portfolio.services, each
move a ledger entry; staff correct a balance with the "adjust balance" action, which asks for a
signed amount and a reason and posts an `adjustment` entry in the staff user's name."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portfolio.models import Balance, CashLedgerEntry, Position
from portfolio.services import balance_adjust
from stocking.core.admin import ReadOnlyAdminMixin
from stocking.core.exceptions import ApplicationError


class BalanceAdjustForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount (won)"),
        help_text=_("Whole won, signed: 50000 credits, -50000 debits. Applied to each selected balance."),
        max_value=10**15,
        min_value=-(10**15),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Required. Stored on the ledger entry with your username."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("An adjustment moves money: enter a non-zero amount."))
        return amount


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "cash", "reserved_cash", "available", "currency", "updated_at")
    search_fields = ("^user__username", "^user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("user__username",)
    actions = ("adjust_balance",)

    @admin.display(description="available cash")
    def available(self, obj: Balance):
        return obj.available_cash

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.action(description=_("Adjust selected balances (ledgered, with a reason)"), permissions=["adjust"])
    def adjust_balance(self, request: HttpRequest, queryset: QuerySet[Balance]):
        """First call shows the form; the form posts back here with "apply" to do the work."""
        form = BalanceAdjustForm(request.POST if "apply" in request.POST else None)
        balances = list(queryset.select_related("user").order_by("pk"))
        if form.is_bound and form.is_valid():
            amount, reason = Decimal(form.cleaned_data["amount"]), form.cleaned_data["reason"]
            done = 0
            for balance in balances:
                try:
                    balance_adjust(user=balance.user, amount=amount, reason=reason, staff_user=request.user)
                except ApplicationError as exc:
                    # A debit larger than the available cash would break cash ≥ reservations.
                    self.message_user(request, f"{balance.user}: {exc.message}", messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Adjusted %(count)d balance by %(amount)s won.",
                        "Adjusted %(count)d balances by %(amount)s won.",
                        done,
                    )
                    % {"count": done, "amount": f"{amount:+,.0f}"},
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust balances"),
            "opts": self.opts,
            "form": form,
            "balances": balances,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/portfolio/balance/adjust_balance.html", context)


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
