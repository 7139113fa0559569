"""Page forms for trading. Field names are the API's, so the ticket reads like POST /api/v1/orders;
the rules themselves (tick grid, price limits, cash, which time in force a type allows) are checked by
trading.services. These forms only ask for the fields the chosen type takes and drop the others."""

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from stocking.core.forms import PageForm
from trading.models import Market, Order, OrderSide, OrderType, TimeInForce
from trading.services.order_types import ALLOWED_TIME_IN_FORCE, HELD_AT_UPPER_LIMIT, TAKES_LIMIT, TAKES_STOP
from trading.templatetags.trading_labels import ORDER_TYPES

SIDE_CHOICES = [(OrderSide.BUY, _("Buy")), (OrderSide.SELL, _("Sell"))]
# The ticket shows the types in these rows; the flat choices keep the same order.
ORDER_TYPE_GROUPS = [
    (_("Basic order types"), [OrderType.LIMIT, OrderType.MARKET]),
    (_("KRX order types"), [OrderType.BEST_LIMIT, OrderType.BEST_OWN, OrderType.CONDITIONAL_LIMIT]),
    (_("Stop orders"), [OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP]),
]
ORDER_TYPE_CHOICES = [(value, ORDER_TYPES[value]) for _group, values in ORDER_TYPE_GROUPS for value in values]
TIME_IN_FORCE_CHOICES = [
    (TimeInForce.DAY, _("Today only (DAY)")),
    (TimeInForce.GTC, _("Until cancelled (GTC)")),
    (TimeInForce.IOC, _("Fill now, cancel the rest (IOC)")),
    (TimeInForce.FOK, _("Fill all now or cancel (FOK)")),
]
TRAILING = {OrderType.TRAILING_STOP}
# Which types take each optional price field of the ticket.
TYPE_FIELDS = {"limit_price": TAKES_LIMIT, "stop_price": TAKES_STOP, "trail_price": TRAILING, "trail_percent": TRAILING}
# One line per type under the ticket's type buttons (the fill rules in full: order_types.py).
ORDER_TYPE_HELP = {
    OrderType.MARKET: _("Fills at once at the current price; a buy holds cash at the upper limit until it fills."),
    OrderType.LIMIT: _("Fills at your price or better; what does not fill waits at that price."),
    OrderType.BEST_LIMIT: _(
        "Best limit (최유리지정가): takes the best opposite price, the current price here, and fills at once; "
        "any remainder waits at that price."
    ),
    OrderType.BEST_OWN: _(
        "Best own (최우선지정가): waits one tick from the current price on your side (below for a buy, "
        "above for a sell) until the price reaches it."
    ),
    OrderType.CONDITIONAL_LIMIT: _(
        "Conditional limit (조건부지정가): a limit order during the session; what is left at the close fills "
        "at the closing price. Today only; a buy holds cash at the upper limit."
    ),
    OrderType.STOP: _(
        "Waits until the price reaches the stop (a sell at or below it, a buy at or above it), then fills at "
        "the market price."
    ),
    OrderType.STOP_LIMIT: _("Waits until the price reaches the stop, then waits as a limit order at the limit price."),
    OrderType.TRAILING_STOP: _(
        "A stop that follows the best price since you placed it (the highest for a sell, the lowest for a buy) "
        "at a fixed number of won or a percentage behind it."
    ),
}


def order_type_rules() -> dict[str, dict]:
    """What ticket.js needs per type, taken from the service's own tables."""
    return {
        value: {
            "tif": sorted(ALLOWED_TIME_IN_FORCE[value], key=TimeInForce.values.index),
            "limit": value in TAKES_LIMIT,
            "stop": value in TAKES_STOP,
            "trail": value in TRAILING,
            "held_at_upper": value in HELD_AT_UPPER_LIMIT,
        }
        for value in OrderType.values
    }


def shown_for(types) -> str:
    """CSS classes that show a ticket field only while one of `types` is chosen (stocking.css)."""
    return " ".join(f"for-{value}" for value in OrderType.values if value in types)


class PriceField(forms.DecimalField):
    """A whole-won price; the browser's number input is only a hint."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 0)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "1"}))
        super().__init__(**kwargs)


def trail_percent_field() -> forms.DecimalField:
    # The range (above 0, at most 50) is the service's rule; its error lands next to this field.
    return forms.DecimalField(
        label=_("Trail (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0.01", "max": "50"}),
    )


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=settings.MAX_ORDER_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "1"}),
        **kwargs,
    )


def clean_trail(form: forms.Form, data: dict, *, required: bool) -> None:
    trail_price, trail_percent = data.get("trail_price"), data.get("trail_percent")
    if form.has_error("trail_price") or form.has_error("trail_percent"):
        return
    if trail_price is not None and trail_percent is not None:
        form.add_error("trail_price", _("Give the trail in won or in percent, not both."))
    elif required and trail_price is None and trail_percent is None:
        form.add_error("trail_price", _("Enter a trail in won or in percent."))


class OrderForm(PageForm):
    side = forms.ChoiceField(label=_("Side"), choices=SIDE_CHOICES, initial=OrderSide.BUY, widget=forms.RadioSelect)
    order_type = forms.ChoiceField(
        label=_("Order type"), choices=ORDER_TYPE_CHOICES, initial=OrderType.LIMIT, widget=forms.RadioSelect
    )
    quantity = quantity_field()
    limit_price = PriceField(label=_("Limit price"), required=False)
    stop_price = PriceField(label=_("Stop price"), required=False)
    trail_price = PriceField(label=_("Trail (won)"), required=False)
    trail_percent = trail_percent_field()
    time_in_force = forms.ChoiceField(label=_("Valid"), choices=TIME_IN_FORCE_CHOICES, initial=TimeInForce.DAY)
    # A fresh id per rendered ticket: a double click or a resubmitted form places one order, not two.
    client_order_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    field_types = {
        "limit_price": shown_for(TAKES_LIMIT),
        "stop_price": shown_for(TAKES_STOP),
        "trail": shown_for(TRAILING),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_order_id", f"web-{uuid.uuid4().hex}")

    def order_type_groups(self) -> list[tuple[str, list]]:
        """The type radios in the ticket's rows, each with its one-line explanation."""
        radios = {radio.data["value"]: radio for radio in self["order_type"]}
        return [(label, [radios[value] for value in values]) for label, values in ORDER_TYPE_GROUPS]

    def type_help(self) -> list[tuple[str, str, str]]:
        return [(value, shown_for({value}), ORDER_TYPE_HELP[value]) for value in OrderType.values]

    def clean(self) -> dict:
        data = super().clean()
        order_type = data.get("order_type")
        if order_type is None:
            return data
        # Hidden boxes may still hold something, even junk; only the fields this type takes are part
        # of the order, so the others are neither checked nor sent.
        for name, types in TYPE_FIELDS.items():
            if order_type not in types:
                self.errors.pop(name, None)
                data[name] = None
        if order_type in TAKES_LIMIT and data.get("limit_price") is None and not self.has_error("limit_price"):
            self.add_error("limit_price", _("Enter a limit price for this order type."))
        if order_type in TAKES_STOP and data.get("stop_price") is None and not self.has_error("stop_price"):
            self.add_error("stop_price", _("Enter a stop price."))
        if order_type in TRAILING:
            clean_trail(self, data, required=True)
        return data


def modify_fields(order: Order) -> list[str]:
    """The prices an open order can still change (order_modify's rules), after its quantity."""
    waiting = order.triggered_at is None
    if order.order_type == OrderType.STOP:
        return ["stop_price"] if waiting else []
    if order.order_type == OrderType.TRAILING_STOP:
        return ["trail_price", "trail_percent"] if waiting else []
    if order.order_type == OrderType.STOP_LIMIT:
        return ["stop_price", "limit_price"] if waiting else ["limit_price"]
    if order.order_type == OrderType.MARKET:
        return []
    return ["limit_price"]


def is_modifiable(order: Order) -> bool:
    if order.order_type == OrderType.MARKET or order.oco_group is not None:
        return False
    return bool(modify_fields(order))


class ModifyForm(PageForm):
    quantity = quantity_field(required=False)
    limit_price = PriceField(label=_("Limit price"), required=False)
    stop_price = PriceField(label=_("Stop price"), required=False)
    trail_price = PriceField(label=_("Trail (won)"), required=False)
    trail_percent = trail_percent_field()

    def __init__(self, *args, order: Order | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None:
            # Only the prices this order takes; anything else posted is ignored, not an error.
            keep = {"quantity", *modify_fields(order)}
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]

    @classmethod
    def for_order(cls, order: Order, **kwargs) -> "ModifyForm":
        initial = {name: getattr(order, name) for name in ("quantity", *modify_fields(order))}
        return cls(order=order, initial=initial, auto_id=f"order{order.pk}_%s", **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if "trail_price" in self.fields:
            clean_trail(self, data, required=False)
        if not self.errors and all(value is None for value in data.values()):
            raise forms.ValidationError(_("Give a new quantity or a new price."))
        return data


class OcoForm(PageForm):
    """A stop-loss / take-profit pair on a held position: POST /api/v1/orders/oco's fields."""

    quantity = quantity_field()
    stop_price = PriceField(label=_("Stop-loss price"))
    limit_price = PriceField(label=_("Take-profit price"))
    time_in_force = forms.ChoiceField(label=_("Valid"), choices=TIME_IN_FORCE_CHOICES[:2], initial=TimeInForce.DAY)

    def clean(self) -> dict:
        data = super().clean()
        stop, take = data.get("stop_price"), data.get("limit_price")
        if stop is not None and take is not None and take <= stop:
            self.add_error("limit_price", _("The take-profit price must be above the stop-loss price."))
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
