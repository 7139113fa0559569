"""Page forms for watchlists. A stock can be named by its six-digit code or by (part of) its name;
the services check everything else (duplicates, limits, the tick grid of a target price)."""

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from stocking.core.forms import PageForm
from trading import selectors as trading_selectors
from trading.forms import PriceField

CANDIDATES = 5


class WatchlistNameForm(PageForm):
    name = forms.CharField(label=_("Name"), max_length=50)


class PositionForm(PageForm):
    """Where to move a list or an item (0 = first); the service clamps it to the list's end."""

    position = forms.IntegerField(min_value=0, max_value=max(settings.WATCHLIST_MAX_ITEMS, 1000))


class ItemForm(PageForm):
    memo = forms.CharField(label=_("Memo"), max_length=200, required=False)
    target_price = PriceField(label=_("Target price"), required=False, help_text=_("Empty clears it."))


class AddStockForm(ItemForm):
    watchlist = forms.IntegerField(label=_("Watchlist"), min_value=1)
    stock = forms.CharField(
        label=_("Stock"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name"), "autocomplete": "off"}),
    )

    field_order = ["watchlist", "stock", "target_price", "memo"]

    def __init__(self, *args, lists: list[tuple[int, str]] | None = None, **kwargs):
        """`lists` (id, name) makes the list a choice (the stock page); otherwise the form belongs to
        one list and carries its id hidden."""
        super().__init__(*args, **kwargs)
        field = self.fields["watchlist"]
        field.widget = forms.Select(choices=lists) if lists is not None else forms.HiddenInput()

    def clean_stock(self) -> str:
        """The code for a six-digit entry, else the one listed stock whose name matches."""
        query = self.cleaned_data["stock"].strip()
        if re.fullmatch(r"\d{6}", query):
            return query
        matches = list(trading_selectors.stock_list(search=query)[: CANDIDATES + 1])
        exact = [stock for stock in matches if stock.name == query]
        if exact or len(matches) == 1:
            return (exact or matches)[0].code
        if not matches:
            raise forms.ValidationError(_("No listed stock matches “%(query)s”.") % {"query": query})
        names = ", ".join(f"{stock.name} ({stock.code})" for stock in matches[:CANDIDATES])
        raise forms.ValidationError(_("Several stocks match: %(names)s. Enter the six-digit code.") % {"names": names})
