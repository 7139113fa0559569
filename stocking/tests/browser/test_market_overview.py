"""The market overview in a real browser: above the stock list on /market/ (rankings tabs swapped in
place, the block following new ticks, the sector map leading to the list), on the dashboard as a
strip, and the index pages with their charts; phone width, no console error, CSP violation or
request to another host."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from stocking.tests.browser.conftest import visit
from trading.models import IndexBar, MarketIndex, PriceBar, Stock
from trading.services.indices import index_divisors_kept
from trading.services.overview import market_overview_write
from trading.tests.factories import StockFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STEPS = ((PriceBar.Interval.DAY, timedelta(days=1)), (PriceBar.Interval.MINUTE, timedelta(minutes=1)))


@pytest.fixture
def market():
    with index_divisors_kept():
        StockFactory(code="005930", name="삼성전자", current_price=D("73500"), previous_close=D("70000"),
                     listed_shares=5_919_637_922, sector="전기전자", volume=900_000)  # fmt: skip
        StockFactory(code="051910", name="LG화학", current_price=D("329000"), previous_close=D("336000"),
                     listed_shares=70_592_343, sector="화학", volume=120_000)  # fmt: skip
        StockFactory(code="247540", name="에코프로비엠", market="KOSDAQ", current_price=D("150100"),
                     previous_close=D("148600"), listed_shares=97_801_344, sector="전기전자")  # fmt: skip
    market_overview_write()
    now = timezone.now().replace(second=0, microsecond=0)
    for index in MarketIndex.objects.all():
        IndexBar.objects.bulk_create(
            IndexBar(index=index, interval=interval, start=now - step * (30 - n), open=index.value + n,
                     high=index.value + n + 2, low=index.value + n - 2, close=index.value + n + 1)  # fmt: skip
            for interval, step in STEPS
            for n in range(30)
        )  # fmt: skip


def test_the_overview_above_the_market_list_and_on_the_index_pages(page, live_server, market):
    base = live_server.url
    visit(page, f"{base}/market/")
    overview = page.locator("#overview")
    expect(overview.get_by_role("heading", name="시장 개요")).to_be_visible()
    expect(overview.locator(".index-tile")).to_have_count(2)
    expect(overview.locator(".chart-spark")).to_have_count(2)
    expect(overview.locator(".breadth-counts")).to_contain_text("상승 ▲2")
    heatmap = overview.locator(".heatmap-3")  # the wide drawing; a phone gets .heatmap-2
    expect(heatmap.locator(".tile")).to_have_count(2)
    expect(heatmap).to_contain_text("-2.08%")

    overview.get_by_role("link", name="거래대금").click()  # swapped in by overview.js
    expect(overview.locator('[data-rank="trading_value"]')).to_have_attribute("aria-current", "true")
    assert "rank=trading_value" in page.url

    # The next tick's record reaches the open page without a reload.
    Stock.objects.filter(code="051910").update(current_price=D("340000"))
    market_overview_write()
    expect(overview.locator(".breadth-counts")).to_contain_text("상승 ▲3", timeout=12_000)

    overview.locator(".heatmap-3 a").first.click()  # the strongest sector: its stocks
    expect(page).to_have_url(f"{base}/market/?market=&sector=%EC%A0%84%EA%B8%B0%EC%A0%84%EC%9E%90")

    visit(page, f"{base}/market/index/KOSPI/")
    expect(page.get_by_role("heading", level=1)).to_have_text("KOSPI")
    expect(page.locator(".chart .candle")).to_have_count(31)  # 30 daily bars and today's
    page.get_by_role("link", name="1분봉").click()
    expect(page.locator(".chart-line .line")).to_have_count(1)
    expect(page.locator("#overview h2")).to_contain_text("KOSPI")
    visit(page, f"{base}/market/index/KOSDAQ/")


def test_the_dashboard_strip_in_english_on_a_phone(page, live_server, market):
    client = Client()
    client.force_login(UserFactory())
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]  # fmt: skip
    )
    visit(page, f"{live_server.url}/")
    strip = page.locator("#overview")
    expect(strip.get_by_role("heading", name="Market overview")).to_be_visible()
    expect(strip.locator(".index-tile").first).to_contain_text("KOSPI")
    expect(strip.locator(".breadth-counts")).to_contain_text("Advancers ▲2")
    expect(strip.locator(".chart-heatmap")).to_have_count(0)
