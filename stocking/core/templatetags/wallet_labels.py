"""Translated names for cash ledger kinds and payment statuses. The models' choice labels are English
and belong to the API and the admin; pages show these."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LEDGER_KINDS = {
    "initial_grant": _("Initial cash"),
    "deposit": _("Deposit"),
    "withdrawal": _("Withdrawal"),
    "topup": _("Top-up"),
    "refund": _("Refund"),
    "buy": _("Buy"),
    "sell": _("Sell"),
    "fee": _("Fee"),
    "tax": _("Tax"),
    "adjustment": _("Adjustment by staff"),
    "reset": _("Account reset"),
}
PAYMENT_STATUSES = {
    "ready": _("Waiting for payment"),
    "paid": _("Paid and credited"),
    "failed": _("Failed"),
    "cancelled": _("Cancelled"),
    "partially_refunded": _("Partly refunded"),
    "refunded": _("Refunded"),
    "needs_review": _("Under review"),
}


@register.filter
def ledger_kind_label(value: str) -> str:
    return LEDGER_KINDS.get(value, value)


@register.filter
def payment_status_label(value: str) -> str:
    return PAYMENT_STATUSES.get(value, value)
