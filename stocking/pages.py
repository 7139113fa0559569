"""The front door: a landing page for visitors, the dashboard for investors (the account's
headline figures, the largest positions, recent orders and the day's movers)."""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from portfolio.selectors import portfolio_value
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
    value = portfolio_value(user=request.user)
    context["value"] = value
    context["top_positions"] = sorted(value.positions, key=lambda p: (-p.market_value, p.stock_code))[:TOP_POSITIONS]
    context["recent_orders"] = list(trading_selectors.order_list(user=request.user)[:5])
    return render(request, "pages/dashboard.html", context)
