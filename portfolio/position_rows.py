"""The positions table's cells (templates/portfolio/_positions.html), formatted once in Python.

Each cell is what the template's filter chain gave (the same stocking_format functions), so the
page reads the same; a table of many positions no longer resolves a dozen template variables
through filters and a {% url %} per row, which cost more than everything else on /portfolio/.
"""

from django.utils.safestring import mark_safe

from portfolio.selectors.valuation import PositionValue
from stocking.core.page_urls import link, url_template
from stocking.core.templatetags.stocking_format import number, percent, rate, signed_won, trend, won


def position_rows(positions: list[PositionValue]) -> list[dict[str, str]]:
    stock_url = url_template("trading:stock", "code")
    # Formatted numbers are digits, signs, ₩ and %: marked safe, the template skips escaping them.
    # The name and the link are escaped as usual.
    return [
        {
            "code": p.stock_code,
            "name": p.stock_name,
            "url": link(stock_url, code=p.stock_code),
            "quantity": mark_safe(number(p.quantity)),
            "average_price": mark_safe(number(p.average_price)),
            "current_price": mark_safe(number(p.current_price)),
            "market_value": mark_safe(won(p.market_value)),
            "pnl_trend": trend(p.unrealized_pnl),
            "pnl": mark_safe(signed_won(p.unrealized_pnl)),
            "pnl_rate": mark_safe(rate(p.unrealized_pnl_rate)),
            "weight": mark_safe(percent(p.weight)),
            "day_trend": trend(p.day_change),
            "day_change": mark_safe(signed_won(p.day_change)),
            "day_rate": mark_safe(rate(p.day_change_rate)),
        }
        for p in positions
    ]
