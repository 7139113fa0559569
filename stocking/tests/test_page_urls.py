"""url_template() gives the URL reverse() gives, for any value, from one reverse per table."""

import pytest
from django.urls import reverse

from stocking.core.page_urls import link, url_template


@pytest.mark.parametrize("code", ["005930", "Q50001", "a b", "한글", "x?y#z", "{code}"])
def test_a_stock_link_is_what_reverse_gives(code):
    assert link(url_template("trading:stock", "code"), code=code) == reverse("trading:stock", args=[code])


def test_two_parameters_and_a_fixed_one():
    template = url_template("watchlist:item-move", "watchlist_id", "code")
    assert link(template, watchlist_id=12, code="005930") == "/watchlists/12/stocks/005930/move/"
    assert link(url_template("watchlist:item-move", "code", watchlist_id=3), code="000660") == (
        reverse("watchlist:item-move", args=[3, "000660"])
    )
    assert link(url_template("trading:order-cancel", "order_id"), order_id=7) == "/orders/7/cancel/"
