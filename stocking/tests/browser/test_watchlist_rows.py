"""The watchlist rows in a real browser: their move and remove buttons submit the list's shared
form to their own URL (form= / formaction=, which the test client cannot show), and a row's Edit
link opens that item's one edit form."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from stocking.tests.browser.conftest import fits_phone, visit
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem
from watchlist.services import watchlist_add_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def codes(watchlist: Watchlist) -> list[str]:
    return list(watchlist.items.order_by("position").values_list("stock__code", flat=True))


def test_move_remove_and_edit_from_the_rows(page, live_server):
    user = UserFactory(username="watcher")
    watchlist = Watchlist.objects.get(user=user)
    for code, name in (("005930", "삼성전자"), ("000660", "SK하이닉스"), ("035720", "카카오")):
        StockFactory(code=code, name=name, current_price=D("50000"))
        watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=code)
    base = live_server.url
    visit(page, f"{base}/accounts/login/?next=/watchlists/")
    page.get_by_label("아이디").fill("watcher")
    page.get_by_label("비밀번호").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="로그인").click()

    page.get_by_role("button", name="카카오 위로").click()
    expect(page.locator("tbody tr").nth(1)).to_have_attribute("data-live-row", "035720")
    assert codes(watchlist) == ["005930", "035720", "000660"]
    page.get_by_role("button", name="삼성전자 빼기").click()
    expect(page.locator(".message-success")).to_contain_text("삼성전자")
    assert codes(watchlist) == ["035720", "000660"]

    row = page.locator('tr[data-live-row="000660"]')
    expect(row.get_by_label("메모")).to_have_count(0)
    row.get_by_role("link", name="편집").click()
    row = page.locator('tr[data-live-row="000660"]')
    expect(row.get_by_label("메모")).to_have_count(1)
    expect(page.locator('tr[data-live-row="035720"]').get_by_label("메모")).to_have_count(0)
    fits_phone(page)
    row.get_by_label("메모").fill("장기 보유")
    row.get_by_label("목표가").fill("60000")
    row.get_by_role("button", name="저장").click()
    expect(page.locator(".message-success")).to_contain_text("₩60,000")
    item = WatchlistItem.objects.get(watchlist=watchlist, stock__code="000660")
    assert (item.memo, item.target_price) == ("장기 보유", D("60000"))
    expect(page.locator('tr[data-live-row="000660"]')).to_contain_text("장기 보유")
