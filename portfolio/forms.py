"""Page forms for the portfolio pages. The service checks the confirmation again; the form only
puts a mistyped word next to its field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stocking.core.forms import PageForm
from trading.services.reset import RESET_CONFIRMATION


class ResetForm(PageForm):
    confirm = forms.CharField(
        label=_("Type RESET to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != RESET_CONFIRMATION:
            raise forms.ValidationError(_("Type RESET in capital letters to confirm."))
        return value
