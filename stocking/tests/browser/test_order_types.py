"""Every order type from the stock page's ticket in a real browser: the boxes and the time in force
follow the chosen type, prices snap to the tick grid, the estimate and the cash held use the right
prices; a stop-limit and a trailing stop are placed and shown on the orders page with their stop,
trail and mark; a stop-loss / take-profit pair is placed from the stock page. No console error, no
CSP violation, and every page fits a 390 px phone."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from stocking.tests.browser.conftest import fits_phone, visit
from trading.models import Order
from trading.services import order_place
from trading.tests.factories import StockFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def holder():
    StockFactory(
        code="005930",
        name="삼성전자",
        current_price=Decimal("70000"),
        previous_close=Decimal("70000"),
        trading_date=timezone.localdate(),
    )
    user = UserFactory(username="stopper")
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    return user


def log_in(page, base: str, next_path: str) -> None:
    visit(page, f"{base}/accounts/login/?next={next_path}")
    page.locator("input[name=username]").fill("stopper")
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_stop_limit_trailing_stop_and_a_stop_loss_take_profit_pair(page, live_server, holder):
    base = live_server.url
    log_in(page, base, "/market/005930/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("삼성전자")
    page.wait_for_load_state()  # ticket.js is a deferred script
    fits_phone(page)
    ticket = page.locator("form[data-ticket]")
    limit, stop = ticket.get_by_label("주문 가격"), ticket.get_by_label("스톱 가격", exact=True)
    trail_won, trail_pct = ticket.get_by_label("추적 폭(원)"), ticket.get_by_label("추적 폭(%)")
    validity = ticket.get_by_label("유효 기간")

    # Limit (the default): its price box, no stop or trail, every time in force.
    expect(limit).to_be_visible()
    expect(stop).to_be_hidden()
    expect(trail_won).to_be_hidden()
    expect(ticket.locator('select[name="time_in_force"] option[value="fok"]')).to_be_enabled()

    # Conditional limit is DAY only: a GTC choice falls back to DAY and GTC is not offered.
    validity.select_option("gtc")
    ticket.get_by_label("조건부지정가").check()
    expect(validity).to_have_value("day")
    expect(ticket.locator('select[name="time_in_force"] option[value="gtc"]')).to_be_disabled()
    expect(ticket.locator('[data-type-help="conditional_limit"]')).to_be_visible()
    expect(ticket.locator('[data-type-help="limit"]')).to_be_hidden()

    # A buy stop-limit: stop 75,000 (snapped from 74,950), limit 76,000 one tick up from 75,900.
    ticket.get_by_label("스톱 지정가").check()
    expect(stop).to_be_visible()
    expect(limit).to_be_visible()
    expect(ticket.locator('select[name="time_in_force"] option[value="ioc"]')).to_be_disabled()
    stop.fill("74950")
    stop.press("Tab")
    expect(stop).to_have_value("75000")
    limit.fill("75900")
    ticket.get_by_role("button", name="한 호가 올리기", exact=True).click()
    expect(limit).to_have_value("76000")
    ticket.get_by_label("수량").fill("2")
    expect(ticket.locator('[data-estimate="amount"]')).to_have_text("₩152,000")
    expect(ticket.locator('[data-estimate="hold"]')).to_have_text("₩152,022")  # held at its limit
    validity.select_option("gtc")
    ticket.get_by_role("button", name="매수 주문").click()
    expect(page.locator(".message-success")).to_contain_text("₩75,000")
    stop_limit = Order.objects.get(user=holder, order_type="stop_limit")
    assert (stop_limit.stop_price, stop_limit.limit_price, stop_limit.time_in_force) == (75000, 76000, "gtc")

    # A stop buy is held at the upper limit (91,000) while it waits.
    page.wait_for_load_state()
    ticket = page.locator("form[data-ticket]")
    ticket.get_by_label("스톱", exact=True).check()
    expect(ticket.get_by_label("주문 가격")).to_be_hidden()
    ticket.get_by_label("스톱 가격", exact=True).fill("75000")
    ticket.get_by_label("수량").fill("1")
    expect(ticket.locator('[data-estimate="amount"]')).to_have_text("₩75,000")
    expect(ticket.locator('[data-estimate="hold"]')).to_have_text("₩91,013")

    # A trailing sell 3% behind the price: its stop now is 67,900; typing a won trail empties the %.
    ticket.locator("label.segment-sell").click()
    ticket.get_by_label("트레일링 스톱").check()
    trail_won, trail_pct = ticket.get_by_label("추적 폭(원)"), ticket.get_by_label("추적 폭(%)")
    expect(ticket.get_by_label("스톱 가격", exact=True)).to_be_hidden()
    trail_won.fill("500")
    trail_pct.fill("3")
    expect(trail_won).to_have_value("")
    expect(ticket.locator("[data-trail-stop]")).to_have_text("₩67,900")
    ticket.get_by_label("수량").fill("2")
    expect(ticket.locator('[data-estimate="amount"]')).to_have_text("₩135,800")
    ticket.get_by_role("button", name="매도 주문").click()
    expect(page.locator(".message-success")).to_contain_text("₩67,900")
    trailing = Order.objects.get(user=holder, order_type="trailing_stop")
    assert (trailing.trail_percent, trailing.stop_price, trailing.high_water_mark) == (3, 67900, 70000)

    # Both on the orders page: type, stop, trail and mark; a phone does not scroll sideways.
    visit(page, f"{base}/orders/")
    row = page.locator(f'tr[data-order-id="{stop_limit.pk}"]')
    expect(row).to_contain_text("스톱 지정가")
    expect(row).to_contain_text("76,000")
    expect(row).to_contain_text("스톱 75,000")
    row = page.locator(f'tr[data-order-id="{trailing.pk}"]')
    expect(row).to_contain_text("트레일링 스톱")
    expect(row).to_contain_text("추적 폭 3%")
    expect(row).to_contain_text("기준가 70,000")
    expect(row.locator('[data-order-field="stop_price"]')).to_have_text("67,900")
    # An untriggered trailing stop's trail can change.
    row.locator("summary").click()
    row.get_by_label("추적 폭(%)").fill("")
    row.get_by_label("추적 폭(원)").fill("1000")
    row.get_by_role("button", name="정정 주문").click()
    expect(page.locator(".message-success")).to_contain_text("₩69,000")

    # Stop-loss / take-profit on 4 of the 8 shares not yet held for a sell.
    visit(page, f"{base}/market/005930/")
    pair = page.locator("#oco")
    expect(pair.get_by_label("수량")).to_have_value("8")
    pair.get_by_label("수량").fill("4")
    expect(pair.get_by_label("손절가", exact=True)).to_have_value("66500")
    pair.get_by_role("button", name="손절가 한 호가 내리기").click()
    expect(pair.get_by_label("손절가", exact=True)).to_have_value("66400")
    pair.get_by_label("익절가", exact=True).fill("73520")
    pair.get_by_label("익절가", exact=True).press("Tab")
    expect(pair.get_by_label("익절가", exact=True)).to_have_value("73500")
    pair.get_by_role("button", name="손절·익절 주문").click()
    expect(page.locator(".message-success")).to_contain_text("₩66,400")
    expect(page.locator("#my-orders [data-testid=oco-marker]")).to_have_count(2)
    fits_phone(page)
    stop_loss, take_profit = Order.objects.filter(user=holder, oco_group__isnull=False).order_by("pk")
    assert (stop_loss.stop_price, take_profit.limit_price, take_profit.quantity) == (66400, 73500, 4)

    visit(page, f"{base}/orders/")
    expect(page.locator(f'tr[data-order-id="{take_profit.pk}"]')).to_contain_text(f"짝: #{stop_loss.pk}")
