"""The front door: a landing page for visitors, the dashboard for investors (the account's
headline figures, the largest positions, recent orders and the day's movers)."""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from portfolio.position_rows import position_rows
from portfolio.selectors.valuation import portfolio_headline
from trading import selectors as trading_selectors
from trading.models import Stock

MOVERS = 5
TOP_POSITIONS = 5


def market_movers(limit: int = MOVERS) -> dict[str, list[Stock]]:
    """The day's biggest rises and falls among priced, listed stocks (two indexed-size queries)."""
    rated: QuerySet[Stock] = (
        trading_selectors.stock_list()
        .filter(current_price__isnull=False, previous_close__gt=0)
        .annotate(
            change_rate=ExpressionWrapper(
                (F("current_price") - F("previous_close")) * Value(Decimal(100)) / F("previous_close"),
                output_field=DecimalField(max_digits=12, decimal_places=4),
            )
        )
    )
    return {
        "gainers": list(rated.order_by("-change_rate", "code")[:limit]),
        "losers": list(rated.order_by("change_rate", "code")[:limit]),
    }


def home(request: HttpRequest) -> HttpResponse:
    # The quote list is public, so movers refresh from the same endpoint for visitors and users.
    context = {"movers": market_movers(), "movers_poll_url": f"{reverse('stock-list')}?page_size=200"}
    if not request.user.is_authenticated:
        return render(request, "pages/landing.html", context)
    # The totals over every position but PositionValues for the few shown: the page's cost stays
    # near a bare page's with hundreds of positions.
    value = portfolio_headline(user=request.user, top=TOP_POSITIONS)
    context["value"] = value
    context["top_positions"] = value.top_positions
    context["top_rows"] = position_rows(value.top_positions)
    context["recent_orders"] = list(trading_selectors.order_list(user=request.user)[:5])
    return render(request, "pages/dashboard.html", context)
