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
        "order_not_modifiable": lambda: _(
            "This order cannot be changed: only an open order of today that is not a market order, not a "
            "triggered stop and not part of a stop-loss / take-profit pair can."
        ),
        "invalid_stop_price": lambda: (
            _("A stop price is on the tick grid and between %(lower)s and %(upper)s today.")
            % {"lower": won(extra["lower_limit"]), "upper": won(extra["upper_limit"])}
            if "lower_limit" in extra
            else _("A sell stop must be below the current price and a buy stop above it, or it would trigger at once.")
        ),
        "invalid_trail": lambda: _(
            "Give one trail: in whole won of at least one tick at this price, or in percent above 0 and at most 50."
        ),
        "invalid_time_in_force": lambda: _(
            "This order type does not take that validity: a conditional limit is DAY only, stop orders DAY or GTC."
        ),
        "invalid_order_type": lambda: _("Choose one of the order types offered."),
        "deposit_limit_exceeded": lambda: (
            _("That is over the daily deposit limit: %(remaining)s left today.")
            % {"remaining": won(extra["remaining_today"])}
            if "remaining_today" in extra
            else _("The daily deposit limit would be exceeded.")
        ),
        "invalid_amount": lambda: _("Enter a positive whole number of won."),
        "not_found": lambda: _("Not found."),
        "username_taken": lambda: _("A user with that username or email already exists."),
        "reset_not_confirmed": lambda: _("Type RESET in capital letters to confirm."),
        "reset_busy": lambda: _("Orders kept arriving during the reset. Try again."),
        "duplicate_watchlist_name": lambda: _("You already have a watchlist with that name."),
        "already_in_watchlist": lambda: _("That stock is already on this watchlist."),
        "watchlist_limit": lambda: _("The watchlist limit is reached."),
        "payment_amount_out_of_range": lambda: (
            _("A top-up is between %(low)s and %(high)s.")
            % {"low": won(extra.get("min_amount")), "high": won(extra.get("max_amount"))}
        ),
        "payment_amount_not_on_step": lambda: (
            _("A top-up is a multiple of %(step)s.") % {"step": won(extra.get("step"))}
        ),
        "payments_not_configured": lambda: _("Top-ups are not available on this server."),
        "payment_gateway_unavailable": lambda: _("PortOne is not answering right now. Try again in a moment."),
        "payment_gateway_error": lambda: _("PortOne gave an answer we could not use. Try again later."),
        "payment_not_paid": lambda: _("PortOne reports the payment as not paid, so nothing was credited."),
        "payment_amount_mismatch": lambda: _(
            "The paid amount differs from the prepared one: the payment was cancelled and is under review."
        ),
        "payment_not_found": lambda: _("No such top-up."),
    }
    build = messages.get(exc.code)
    # Codes without a page message (and free-form ones such as invalid_order) keep the service's words.
    return build() if build else exc.message


def add_error(form: forms.Form, exc: ApplicationError, fields: Mapping[str, str]) -> None:
    """Put the error next to the field its code concerns (`fields` maps code → field name), or on top."""
    form.add_error(fields.get(exc.code), error_message(exc))
