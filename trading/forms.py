"""Page forms for trading. Field names are the API's, so the ticket reads like POST /api/v1/orders;
the rules themselves (tick grid, price limits, cash) are checked by trading.services."""

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stocking.core.forms import PageForm
from trading.models import Market, OrderSide, OrderType, TimeInForce

SIDE_CHOICES = [(OrderSide.BUY, _("Buy")), (OrderSide.SELL, _("Sell"))]
ORDER_TYPE_CHOICES = [
    (OrderType.LIMIT, pgettext_lazy("order type", "Limit")),
    (OrderType.MARKET, pgettext_lazy("order type", "Market")),
]
TIME_IN_FORCE_CHOICES = [(TimeInForce.DAY, _("Today only (DAY)")), (TimeInForce.GTC, _("Until cancelled (GTC)"))]


class PriceField(forms.DecimalField):
    """A whole-won price; the browser's number input is only a hint."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 0)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "1"}))
        super().__init__(**kwargs)


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=settings.MAX_ORDER_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "1"}),
        **kwargs,
    )


class OrderForm(PageForm):
    side = forms.ChoiceField(label=_("Side"), choices=SIDE_CHOICES, initial=OrderSide.BUY, widget=forms.RadioSelect)
    order_type = forms.ChoiceField(
        label=_("Order type"), choices=ORDER_TYPE_CHOICES, initial=OrderType.LIMIT, widget=forms.RadioSelect
    )
    quantity = quantity_field()
    limit_price = PriceField(label=_("Limit price"), required=False)
    time_in_force = forms.ChoiceField(label=_("Valid"), choices=TIME_IN_FORCE_CHOICES, initial=TimeInForce.DAY)
    # A fresh id per rendered ticket: a double click or a resubmitted form places one order, not two.
    client_order_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_order_id", f"web-{uuid.uuid4().hex}")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("order_type") == OrderType.MARKET:
            # The price box is only hidden for market orders; whatever it still holds is not part of them.
            data["limit_price"] = None
        elif (
            data.get("order_type") == OrderType.LIMIT
            and data.get("limit_price") is None
            and not self.has_error("limit_price")
        ):
            self.add_error("limit_price", _("Enter a limit price for a limit order."))
        return data


class ModifyForm(PageForm):
    quantity = quantity_field(required=False)
    limit_price = PriceField(label=_("Limit price"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and data.get("quantity") is None and data.get("limit_price") is None:
            raise forms.ValidationError(_("Give a new quantity, a new limit price or both."))
        return data


class MarketFilterForm(PageForm):
    """The stock list's search box and filters; anything invalid is ignored rather than an error."""

    q = forms.CharField(label=_("Search"), max_length=50, required=False)
    market = forms.ChoiceField(label=_("Market"), choices=[("", _("All markets")), *Market.choices], required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)

    def __init__(self, *args, sectors: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("All sectors")), *((sector, sector) for sector in sectors)]

    def filters(self) -> dict[str, str]:
        self.is_valid()  # cleaned_data then holds the valid fields only
        return {key: self.cleaned_data.get(key) or "" for key in ("q", "market", "sector")}
