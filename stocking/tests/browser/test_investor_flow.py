"""An investor's first session in a real browser: sign up, see the cash, buy at market from a stock
page, see the position and its P/L (live) on the portfolio page, rest a limit order and cancel it on
the orders page, add a stock to a watchlist, deposit and top up through the PortOne sandbox on the
wallet page, switch to English; every page fits a 390 px phone and nothing logs a console error,
breaks the CSP or calls another host.

To add a step: drive `page` with Playwright's sync API (https://playwright.dev/python/), load pages
with `visit()` so the phone-width check runs, and prefer `expect(...)` over sleeps.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stocking.core.templatetags import stocking_format
from stocking.tests.browser.conftest import fits_phone, visit
from trading.models import Order, OrderStatus, PriceBar, Stock
from trading.tests.factories import StockFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market():
    samsung = StockFactory(
        code="005930",
        name="삼성전자",
        sector="전기전자",
        current_price=Decimal("70000"),
        volume=1_000_000,
        trading_date=timezone.localdate(),
    )
    StockFactory(code="000660", name="SK하이닉스", current_price=Decimal("210000"), previous_close=Decimal("200000"))
    StockFactory(code="035720", name="카카오", market="KOSDAQ", current_price=Decimal("40000"))
    now = timezone.now()
    PriceBar.objects.bulk_create(
        PriceBar(
            stock=samsung,
            interval=interval,
            start=now - step * (30 - i),
            open=Decimal(69000 + 100 * (i % 7)),
            high=Decimal(70500),
            low=Decimal(68500),
            close=Decimal(69000 + 100 * ((i + 3) % 7)),
            volume=1000 + i,
        )
        for interval, step in (("1d", timedelta(days=1)), ("1m", timedelta(minutes=1)))
        for i in range(30)
    )
    return samsung


def test_sign_up_trade_cancel_and_switch_language(page, live_server, market, portone_sandbox):
    base = live_server.url

    visit(page, f"{base}/orders/")  # a user page sends visitors to log in, and back afterwards
    assert page.url == f"{base}/accounts/login/?next=/orders/"
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    visit(page, f"{base}/accounts/signup/")
    page.get_by_label("아이디").fill("jiwoo")
    page.get_by_label("이메일").fill("jiwoo@example.com")
    page.get_by_label("비밀번호", exact=True).fill("a-Strong-pass-99")
    page.get_by_label("비밀번호 확인").fill("a-Strong-pass-99")
    page.get_by_role("button", name="회원가입").click()
    expect(page.get_by_test_id("cash")).to_have_text("₩10,000,000")
    fits_phone(page)

    visit(page, f"{base}/market/")
    page.get_by_role("link", name="삼성전자").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("삼성전자")
    fits_phone(page)
    expect(page.locator(".chart .candle")).to_have_count(31)  # 30 daily bars and today's
    page.get_by_role("link", name="1분봉").click()  # swapped in by chart.js without a reload
    expect(page.locator(".chart .candle")).to_have_count(30)

    # The ticket: a market buy of 10 at 70,000, with the estimate kept current by ticket.js.
    ticket = page.locator("form[data-ticket]")
    ticket.get_by_label("시장가").check()
    expect(ticket.get_by_label("주문 가격")).to_be_hidden()
    ticket.get_by_label("수량").fill("10")
    expect(ticket.locator('[data-estimate="amount"]')).to_have_text("₩700,000")
    expect(ticket.locator('[data-estimate="fee"]')).to_have_text("₩105")
    ticket.get_by_role("button", name="매수 주문").click()
    expect(page.locator(".message-success")).to_contain_text("체결")
    expect(page.locator("#my-orders")).to_contain_text("10/10")
    bought = Order.objects.get(user__username="jiwoo")
    assert (bought.status, bought.filled_quantity) == (OrderStatus.FILLED, 10)

    # A limit buy below the market rests. The price snaps onto the 100-won grid and steps by ticks.
    page.wait_for_load_state()  # ticket.js is a deferred script
    ticket = page.locator("form[data-ticket]")
    price = ticket.get_by_label("주문 가격")
    price.fill("60050")
    price.press("Tab")
    expect(price).to_have_value("60100")
    ticket.get_by_role("button", name="한 호가 내리기").click()
    expect(price).to_have_value("60000")
    ticket.get_by_label("수량").fill("3")
    expect(ticket.locator('[data-estimate="total"]')).to_have_text("₩180,027")
    ticket.get_by_role("button", name="매수 주문").click()
    expect(page.locator(".message-success")).to_contain_text("체결 대기")
    resting = Order.objects.get(user__username="jiwoo", status=OrderStatus.PENDING)

    # Prices refresh without a reload (live.js polls the quote every few seconds).
    Stock.objects.filter(pk=market.pk).update(current_price=Decimal("71000"))
    expect(page.get_by_test_id("price")).to_have_text("71,000", timeout=10_000)
    expect(page.locator(".quote-price .chg").first).to_contain_text("▲1,000")

    # The portfolio: the position with its P/L, refreshed without a reload as the price moves.
    visit(page, f"{base}/portfolio/")
    position = page.locator('tr[data-live-row="005930"]')
    expect(position).to_contain_text("10")
    expect(position).to_contain_text("+₩9,895")  # 10 × 71,000 − (700,000 + 105 fee)
    Stock.objects.filter(pk=market.pk).update(current_price=Decimal("72000"))
    expect(position).to_contain_text("+₩19,895", timeout=10_000)
    expect(position.locator(".trend-up").first).to_be_visible()
    expect(page.locator(".chart-donut")).to_have_count(2)

    visit(page, f"{base}/orders/")
    row = page.locator(f'tr[data-order-id="{resting.pk}"]')
    expect(row).to_contain_text("미체결")
    row.get_by_role("button", name="취소").click()
    expect(page.locator(".message-success")).to_contain_text(f"#{resting.pk}")
    expect(page.locator(f'tr[data-order-id="{resting.pk}"]')).to_have_count(0)
    page.get_by_role("link", name="취소·만료").click()
    expect(page.locator("main table")).to_contain_text("취소")
    fits_phone(page)

    # A watchlist from the stock page's control, then its live quote on the watchlists page.
    visit(page, f"{base}/market/000660/")
    page.get_by_label("관심종목에 추가").select_option(label="관심종목")
    page.locator(".watchlist-slot").get_by_role("button", name="추가").click()
    expect(page.locator(".message-success")).to_contain_text("SK하이닉스")
    expect(page.get_by_test_id("watchlist-holders")).to_contain_text("관심종목")
    visit(page, f"{base}/watchlists/")
    quote = page.locator('tr[data-live-row="000660"]')
    expect(quote).to_contain_text("210,000")
    Stock.objects.filter(code="000660").update(current_price=Decimal("205000"))
    expect(quote.locator('[data-bind="price"]')).to_have_text("205,000", timeout=10_000)
    expect(quote).to_contain_text("▲5,000")

    # The wallet: a deposit, then a top-up paid in the sandbox's stead of PortOne's window.
    visit(page, f"{base}/wallet/")
    expect(page.get_by_test_id("cash")).to_have_text("₩9,299,895")
    page.locator("#deposit").get_by_label("금액(원)").fill("500000")
    page.locator("#deposit").get_by_role("button", name="입금").click()
    expect(page.locator(".message-success")).to_contain_text("₩500,000")
    expect(page.get_by_test_id("cash")).to_have_text("₩9,799,895")
    topup = page.locator("#topup")
    topup.get_by_label("금액(원)").fill("50000")
    topup.get_by_role("button", name="결제 진행").click()
    expect(page.get_by_test_id("checkout")).to_contain_text("₩50,000")
    fits_phone(page)
    page.get_by_test_id("checkout").get_by_role("button", name="결제하기").click()
    expect(page.locator(".message-success")).to_contain_text("충전 완료")
    expect(page.get_by_test_id("cash")).to_have_text("₩9,849,895")
    expect(page.locator("#payments")).to_contain_text("결제·지급 완료")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wallet")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    fits_phone(page)
    for path, heading in [
        ("/orders/", "Orders"),
        ("/portfolio/", "Portfolio"),
        ("/watchlists/", "Watchlists"),
        ("/analytics/", "Analytics"),
        ("/leaderboard/", "Leaderboard"),
    ]:
        visit(page, base + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    visit(page, f"{base}/market/005930/")
    expect(page.locator("form[data-ticket]").get_by_role("button", name="Place buy order")).to_be_visible()
    visit(page, f"{base}/")
    expect(page.get_by_test_id("total-value")).to_have_text("₩10,569,895")  # 9,849,895 cash + 10 × 72,000


@pytest.mark.parametrize("view", ["/", "/market/?market=KOSDAQ", "/market/005930/", "/accounts/login/"])
def test_visitor_pages_load_cleanly_on_a_phone(page, live_server, market, view):
    visit(page, live_server.url + view)
    expect(page.locator("main")).to_be_visible()


def test_live_number_formatting_matches_the_servers(page, live_server, market):
    visit(page, live_server.url + "/")
    values = ["0", "1234567", "-1500", "98500.00", "70050.5", "12.345", "-0.005", "0.004", "999.995", None]
    for kind in ("won", "number", "signed_won", "rate", "percent", "change"):
        in_browser = page.evaluate(f"(values) => values.map((v) => window.StocKing.format('{kind}', v))", values)
        on_server = [getattr(stocking_format, kind)(value) for value in values]
        assert in_browser == on_server, kind
