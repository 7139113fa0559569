"""The stock page during a volatility interruption: the notice with its end time (Seoul), which the
page's live refresh hides once the VI is over."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stocking.core.clock import SEOUL
from stocking.tests.browser.conftest import visit
from trading.models import Stock
from trading.tests.factories import StockFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_vi_notice_shows_its_end_and_goes_when_the_vi_ends(page, live_server):
    until = timezone.now() + timedelta(minutes=5)
    StockFactory(
        code="005930",
        name="삼성전자",
        current_price=Decimal("77000"),
        previous_close=Decimal("70000"),
        vi_reference=Decimal("77000"),
        vi_until=until,
        trading_date=timezone.localdate(),
    )
    visit(page, f"{live_server.url}/market/005930/")
    notice = page.get_by_test_id("vi")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("VI")
    expect(notice.locator("time")).to_have_text(until.astimezone(SEOUL).strftime("%H:%M:%S"))

    Stock.objects.filter(code="005930").update(vi_until=timezone.now() - timedelta(seconds=1))
    expect(notice).to_be_hidden(timeout=12_000)  # the quote refreshes every 3 s
