"""Page forms for the wallet: whole-won amounts for deposits, withdrawals and top-ups, and the
ledger filter. Limits (the daily deposit cap, the available cash, a top-up's range and step) are
the services' to check; the top-up's bounds are also given to the browser as hints."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portfolio.models import LedgerKind
from stocking.core.forms import PageForm
from stocking.core.templatetags.wallet_labels import LEDGER_KINDS


def amount_field(**attrs) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount (won)"),
        min_value=1,
        max_digits=15,
        decimal_places=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "1", **attrs}),
    )


class AmountForm(PageForm):
    amount = amount_field()


class TopupForm(PageForm):
    amount = amount_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high, step = settings.PAYMENT_MIN_AMOUNT, settings.PAYMENT_MAX_AMOUNT, settings.PAYMENT_AMOUNT_STEP
        self.fields["amount"].widget.attrs.update({"min": f"{low:.0f}", "max": f"{high:.0f}", "step": f"{step:.0f}"})
        self.fields["amount"].help_text = _("From %(low)s to %(high)s won, in steps of %(step)s won.") % {
            "low": f"{low:,.0f}",
            "high": f"{high:,.0f}",
            "step": f"{step:,.0f}",
        }
        self.initial.setdefault("amount", low)


class LedgerFilterForm(PageForm):
    """The ledger's kind filter; an unknown kind is ignored rather than an error."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *((k, LEDGER_KINDS.get(k, k)) for k in LedgerKind.values)]

    def selected(self) -> str:
        return self.cleaned_data.get("kind", "") if self.is_valid() else ""
