"""Translated names for order fields. The models' choice labels are English and belong to the API
and the admin; pages show these instead (static/js/live.js gets the same map through json_script)."""

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

SIDES = {"buy": _("Buy"), "sell": _("Sell")}
ORDER_TYPES = {
    "market": pgettext_lazy("order type", "Market"),
    "limit": pgettext_lazy("order type", "Limit"),
    "best_limit": pgettext_lazy("order type", "Best limit"),
    "best_own": pgettext_lazy("order type", "Best own"),
    "conditional_limit": pgettext_lazy("order type", "Conditional limit"),
    "stop": pgettext_lazy("order type", "Stop"),
    "stop_limit": pgettext_lazy("order type", "Stop limit"),
    "trailing_stop": pgettext_lazy("order type", "Trailing stop"),
}
TIME_IN_FORCE = {"day": _("DAY"), "gtc": _("GTC"), "ioc": _("IOC"), "fok": _("FOK")}
STATUSES = {
    "pending": _("Pending"),
    "partially_filled": _("Partially filled"),
    "filled": _("Filled"),
    "cancelled": _("Cancelled"),
    "rejected": _("Rejected"),
    "expired": _("Expired"),
}
CANCEL_REASONS = {
    "user": _("by you"),
    "expired": _("end of day"),
    "ioc_unfilled": _("IOC remainder"),
    "fok_unfilled": _("FOK not filled"),
    "oco": _("other order of the pair settled"),
    "vi_active": _("volatility interruption"),
    "reset": _("account reset"),
    "staff": _("by staff"),
}


@register.filter
def side_label(value: str) -> str:
    return SIDES.get(value, value)


@register.filter
def order_type_label(value: str) -> str:
    return ORDER_TYPES.get(value, value)


@register.filter
def tif_label(value: str) -> str:
    return TIME_IN_FORCE.get(value, value)


@register.filter
def status_label(value: str) -> str:
    return STATUSES.get(value, value)


@register.filter
def cancel_reason_label(value: str | None) -> str:
    return CANCEL_REASONS.get(value, value or "")


def status_labels() -> dict[str, str]:
    return {key: str(label) for key, label in STATUSES.items()}
