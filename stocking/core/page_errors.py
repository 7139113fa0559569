"""Domain errors on pages: the service's stable code picks a translated message and the form field
it belongs next to. Services speak English to the API; pages speak the visitor's language."""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext as _

from stocking.core.exceptions import ApplicationError
from stocking.core.templatetags.stocking_format import won


def error_message(exc: ApplicationError) -> str:
    extra = exc.extra
    messages = {
        "insufficient_cash": lambda: (
            _("Not enough available cash (available: %(available)s).") % {"available": won(extra["available_cash"])}
            if "available_cash" in extra
            else _("Not enough available cash.")
        ),
        "insufficient_shares": lambda: _("You do not hold enough unreserved shares to sell."),
        "invalid_tick_size": lambda: (
            _("The price must be a multiple of the %(tick)s tick at this price level.")
            % {"tick": won(extra.get("tick_size"))}
        ),
        "price_out_of_limit": lambda: (
            _("The price must be between %(lower)s and %(upper)s today.")
            % {"lower": won(extra.get("lower_limit")), "upper": won(extra.get("upper_limit"))}
        ),
        "market_closed": lambda: _("The market is closed."),
        "stock_not_tradable": lambda: _("This stock cannot be traded now (halted, delisted or not yet priced)."),
        "unknown_stock": lambda: _("No stock with that code."),
        "order_not_cancellable": lambda: _("The order is no longer open, so it cannot be cancelled."),
        "order_not_modifiable": lambda: _("Only an open limit order of today can be modified."),
        "deposit_limit_exceeded": lambda: _("The daily deposit limit would be exceeded."),
        "invalid_amount": lambda: _("Enter a positive whole number of won."),
        "not_found": lambda: _("Not found."),
        "username_taken": lambda: _("A user with that username or email already exists."),
    }
    build = messages.get(exc.code)
    # Codes without a page message (and free-form ones such as invalid_order) keep the service's words.
    return build() if build else exc.message


def add_error(form: forms.Form, exc: ApplicationError, fields: Mapping[str, str]) -> None:
    """Put the error next to the field its code concerns (`fields` maps code → field name), or on top."""
    form.add_error(fields.get(exc.code), error_message(exc))
