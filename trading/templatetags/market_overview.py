"""The market overview block for any page (`{% market_overview "full" market %}` above the stock
list, `{% market_overview "strip" %}` on the dashboard), and compact won amounts for its tables."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language

from stocking.core.templatetags.stocking_format import number
from trading.overview_pages import overview_context

register = template.Library()


@register.inclusion_tag("trading/_overview.html", takes_context=True)
def market_overview(context, part: str = "full", market: str | None = None) -> dict:
    request = context.get("request")
    params = request.GET if request is not None else {}
    link_query = {key: params.get(key, "") for key in ("q", "market", "sector")}
    return overview_context(
        market=(market or "").upper() or None, rank=params.get("rank", ""), part=part, link_query=link_query
    )


@register.filter
def compact_won(value) -> str:
    """Large won amounts the way Korean market pages print them: "583.7조", "4,289억"; in English
    "₩583.7T", "₩428.9B". Below 100 million (1 million in English) the plain amount."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return number(None)
    size = abs(amount)
    if (get_language() or "ko").startswith("ko"):
        if size >= Decimal("1e12"):
            return f"{amount / Decimal('1e12'):,.1f}조"
        if size >= Decimal("1e8"):
            return f"{amount / Decimal('1e8'):,.0f}억"
        return f"{number(amount)}원"
    for threshold, suffix in ((Decimal("1e12"), "T"), (Decimal("1e9"), "B"), (Decimal("1e6"), "M")):
        if size >= threshold:
            return f"₩{amount / threshold:,.1f}{suffix}"
    return f"₩{number(amount)}"
