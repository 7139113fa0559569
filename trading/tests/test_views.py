"""Market and order pages through Django's test client: status, content, redirects for visitors,
domain errors next to their field, and no server error on junk input."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolio.models import Balance
from portfolio.tests.helpers import assert_books_balance
from trading.models import Order, OrderStatus, PriceBar, Stock
from trading.services.orders import order_place
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ticket(**fields) -> dict:
    return {"side": "buy", "order_type": "limit", "quantity": "10", "time_in_force": "day", **fields}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- /market/


def test_market_lists_listed_stocks_with_links_and_live_hooks(client, stock):
    StockFactory(code="000660", name="SK하이닉스", market="KOSPI", sector="반도체")
    StockFactory(code="999999", name="Gone", is_listed=False)
    response = client.get("/market/")
    html = response.content.decode()
    assert response.status_code == 200
    assert [s.code for s in response.context["page"]] == ["000660", "005930"]
    assert 'href="/market/005930/"' in html and 'data-live-row="005930"' in html
    assert 'data-live-url="/api/v1/stocks?page=1&amp;page_size=30"' in html
    assert "Gone" not in html


def test_market_filters_by_search_market_and_sector(client, stock):
    StockFactory(code="035720", name="카카오", market="KOSPI", sector="서비스업")
    StockFactory(code="247540", name="에코프로비엠", market="KOSDAQ", sector="화학")

    def codes(**params) -> list[str]:
        response = client.get("/market/", params)
        assert response.status_code == 200
        return [s.code for s in response.context["page"]]

    assert codes(q="카카") == ["035720"]
    assert codes(q="0059") == ["005930"]
    assert codes(market="KOSDAQ") == ["247540"]
    assert codes(sector="서비스업") == ["035720"]
    assert "sector=" in client.get("/market/", {"sector": "화학"}).context["poll_url"]


@pytest.mark.parametrize(
    "params", [{"market": "NYSE"}, {"sector": "nonsense"}, {"page": "abc"}, {"page": "999"}, {"q": "x" * 500}]
)
def test_market_ignores_junk_filters(client, stock, params):
    assert client.get("/market/", params).status_code == 200


def test_market_list_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(40):
        StockFactory(code=f"{100000 + n:06d}")
    # The list (count, page), the overview block (its record, or the index rows before there is
    # one) and the index sparklines; the sector filter is the fixed list.
    with django_assert_max_num_queries(5):
        assert client.get("/market/").status_code == 200


# --- /market/<code>/


def test_stock_page_shows_the_quote_limits_and_a_login_prompt_to_visitors(client, stock):
    Stock.objects.filter(pk=stock.pk).update(current_price=Decimal("71400"), day_high=Decimal("72000"))
    response = client.get("/market/005930/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "71,400" in html and "▲1,400" in html and "+2.00%" in html
    assert "91,000" in html and "49,000" in html  # upper and lower limit
    assert 'data-live-url="/api/v1/stocks/005930"' in html
    assert "/accounts/login/?next=/market/005930/" in html
    assert "<form" not in html.split('id="ticket"')[1].split("</section>")[0]


def test_stock_page_shows_trading_value_market_cap_and_the_52_week_range(client, stock):
    Stock.objects.filter(pk=stock.pk).update(
        current_price=Decimal("71400"),
        listed_shares=5_969_782_550,
        trading_value=Decimal("1234500000000"),
        high_52w=Decimal("88800"),
        low_52w=Decimal("49900"),
        day_high=Decimal("72000"),
        day_low=Decimal("70000"),
    )
    html = client.get("/market/005930/").content.decode()
    facts = html.split('class="facts')[1].split("</dl>")[0]
    assert "426.2조" in facts  # 71,400 × 5,969,782,550 won
    assert "1.2조" in facts
    assert '<dd data-bind="high_52w" data-format="number">88,800</dd>' in facts
    assert '<dd data-bind="low_52w" data-format="number">49,900</dd>' in facts


@pytest.mark.parametrize("code", ["999999", "abc", "0059301", "%20"])
def test_unknown_stock_codes_are_404_not_500(client, code):
    assert client.get(f"/market/{code}/").status_code == 404


def test_stock_page_draws_daily_or_minute_candles(client, stock):
    PriceBarFactory(stock=stock, interval=PriceBar.Interval.DAY, start=timezone.now() - timedelta(days=2))
    PriceBarFactory(stock=stock, interval=PriceBar.Interval.MINUTE, start=timezone.now() - timedelta(minutes=1))
    daily = client.get("/market/005930/")
    assert daily.context["chart"]["interval"] == "1d"
    assert daily.content.decode().count('<g class="candle') >= 1
    minute = client.get("/market/005930/", {"interval": "1m"})
    assert minute.context["chart"]["interval"] == "1m"
    assert client.get("/market/005930/", {"interval": "1y"}).context["chart"]["interval"] == "1d"
    fragment = client.get("/market/005930/chart/", {"interval": "1m"})
    assert fragment.status_code == 200 and fragment.content.decode().startswith("<svg")
    assert client.get("/market/999999/chart/").status_code == 404


def test_daily_chart_ends_with_todays_forming_candle(client, stock):
    Stock.objects.filter(pk=stock.pk).update(trading_date=timezone.localdate(), current_price=Decimal("71000"))
    svg = client.get("/market/005930/").context["chart"]["svg"]
    assert re.findall(r'<g class="candle (up|down)">', svg) == ["up"]


def test_stock_without_history_says_so(client, stock):
    assert "No price history" in client.get("/market/005930/", HTTP_COOKIE="django_language=en").content.decode()


def test_trader_sees_the_ticket_with_api_field_names_and_max_quantities(trader, stock):
    html = trader.get("/market/005930/").content.decode()
    for name in ("side", "order_type", "quantity", "limit_price", "time_in_force", "client_order_id"):
        assert f'name="{name}"' in html
    assert 'value="buy"' in html and 'value="sell"' in html and 'value="market"' in html and 'value="gtc"' in html
    assert 'data-orderable-url="/api/v1/orders/orderable"' in html
    assert '<output data-max="buy">142</output>' in html  # 10,000,000 at 70,000 with commission
    assert '<output data-max="sell">0</output>' in html
    assert 'id="tick-table" type="application/json"' in html


def test_market_buy_from_the_ticket_fills_and_says_so(trader, user, stock):
    response = trader.post("/market/005930/", ticket(order_type="market", limit_price="12345"), follow=True)

    assert response.redirect_chain == [("/market/005930/", 302)]
    order = Order.objects.get(user=user)
    assert (order.status, order.filled_quantity, order.limit_price) == (OrderStatus.FILLED, 10, None)
    (message,) = messages_of(response)
    assert f"#{order.pk}" in message and "70,000" in message
    assert response.context["recent_orders"] == [order]
    assert_books_balance()


def test_limit_order_rests_and_appears_among_open_orders(trader, user, stock):
    response = trader.post("/market/005930/", ticket(limit_price="65000", time_in_force="gtc"), follow=True)
    order = Order.objects.get(user=user)
    assert (order.status, order.time_in_force, order.reserved_cash > 0) == (OrderStatus.PENDING, "gtc", True)
    assert response.context["open_orders"] == [order]
    assert f'data-order-id="{order.pk}"' in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"limit_price": "70050"}, "limit_price", "100"),  # tick is 100 at this level
        ({"limit_price": "95000"}, "limit_price", "91,000"),  # above the upper limit
        ({"limit_price": "70000", "quantity": "1000"}, "quantity", "10,000,000"),  # not enough cash
        ({"side": "sell", "limit_price": "70000"}, "quantity", ""),  # holds no shares
        ({"order_type": "limit", "limit_price": ""}, "limit_price", ""),
    ],
)
def test_domain_errors_are_shown_next_to_their_field(trader, stock, fields, field, text, settings):
    settings.LANGUAGE_CODE = "en"
    response = trader.post("/market/005930/", ticket(**fields))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert text in errors[field][0]
    assert errors[field][0] in response.content.decode().replace("&#x27;", "'")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": "abc"},
        {"quantity": "0"},
        {"quantity": "-3"},
        {"quantity": "99999999999"},
        {"side": "hold"},
        {"order_type": "bracket"},
        {"order_type": "stop", "stop_price": ""},
        {"time_in_force": "forever"},
        {"limit_price": "-5"},
        {"limit_price": "seventy"},
        {"limit_price": "70000.5"},
        {"client_order_id": "x" * 300},
    ],
)
def test_junk_ticket_values_are_form_errors_not_server_errors(trader, stock, fields):
    response = trader.post("/market/005930/", ticket(**{"limit_price": "70000", **fields}))
    assert response.status_code == 200 and response.context["form"].errors
    assert not Order.objects.exists()


def test_halted_stock_hides_the_ticket_and_refuses_orders(trader, stock):
    Stock.objects.filter(pk=stock.pk).update(is_halted=True)
    response = trader.get("/market/005930/")
    assert 'name="quantity"' not in response.content.decode()
    posted = trader.post("/market/005930/", ticket(limit_price="70000"))
    assert posted.status_code == 200 and posted.context["form"].non_field_errors()
    assert not Order.objects.exists()


def test_resubmitting_the_same_ticket_places_one_order(trader, user, stock):
    data = ticket(limit_price="65000", client_order_id="web-abc")
    trader.post("/market/005930/", data)
    second = trader.post("/market/005930/", data, follow=True)
    assert Order.objects.filter(user=user).count() == 1
    assert "이미 접수" in messages_of(second)[-1]


def test_visitors_posting_a_ticket_are_sent_to_login(client, stock):
    response = client.post("/market/005930/", ticket(limit_price="70000"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/market/005930/")
    assert not Order.objects.exists()


# --- /orders/


@pytest.fixture
def book(user, stock):
    filled = order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=5).order
    resting = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=3, limit_price=Decimal("60000")
    ).order
    cancelled = order_place(
        user=user, stock_code="005930", side="sell", order_type="limit", quantity=2, limit_price=Decimal("80000")
    ).order
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED, reserved_quantity=0)
    from portfolio.models import Position

    Position.objects.filter(user=user).update(reserved_quantity=0)
    return {"filled": filled, "resting": resting, "cancelled": cancelled}


@pytest.mark.parametrize(("tab", "key"), [("open", "resting"), ("filled", "filled"), ("closed", "cancelled")])
def test_orders_tabs_list_the_right_orders(trader, book, tab, key):
    response = trader.get("/orders/", {"tab": tab})
    assert response.status_code == 200
    assert list(response.context["page"]) == [book[key]]


def test_executions_tab_and_junk_tab_or_page(trader, book):
    executions = trader.get("/orders/", {"tab": "executions"})
    assert [e.order_id for e in executions.context["page"]] == [book["filled"].pk]
    assert trader.get("/orders/", {"tab": "<script>", "page": "x"}).context["tab"] == "open"


def test_open_tab_offers_cancel_and_modify_with_live_hooks(trader, book):
    html = trader.get("/orders/").content.decode()
    pk = book["resting"].pk
    assert f'form="cancel-orders" formaction="/orders/{pk}/cancel/"' in html
    assert html.count('<form id="cancel-orders" method="post">') == 1 and f'action="/orders/{pk}/modify/"' in html
    assert 'data-open-orders="/api/v1/orders?status=pending,partially_filled&amp;page_size=200"' in html
    assert 'id="order-status-labels" type="application/json"' in html


def test_orders_page_queries_are_the_same_with_one_or_two_hundred_orders():
    """Every tab of /orders/ (a page of 20 rows, each open one with its forms) runs the same
    statements for an account with 1 order of a kind and one with 200."""
    StockFactory(code="100000", current_price=Decimal("10000"), previous_close=Decimal("10000"))
    tabs = ("open", "filled", "executions", "closed")

    def queries(client: Client, tab: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/orders/", {"tab": tab}).status_code == 200
        return len(captured)

    counts = {}
    for size in (1, 200):
        owner = UserFactory()
        client = Client()
        client.force_login(owner)
        for _ in range(size):
            order_place(
                user=owner, stock_code="100000", side="buy", order_type="limit", quantity=1, limit_price=Decimal(9000)
            )
            order_place(user=owner, stock_code="100000", side="buy", order_type="market", quantity=1)
        counts[size] = {tab: queries(client, tab) for tab in tabs[:3]}
        Order.objects.filter(user=owner, status=OrderStatus.PENDING).update(status=OrderStatus.CANCELLED)
        counts[size]["closed"] = queries(client, "closed")
    assert counts[1] == counts[200]


def test_cancel_releases_the_hold_and_returns_to_next(trader, user, book):
    pk = book["resting"].pk
    response = trader.post(f"/orders/{pk}/cancel/", {"next": "/market/005930/"})
    assert response["Location"] == "/market/005930/"
    book["resting"].refresh_from_db()
    assert book["resting"].status == OrderStatus.CANCELLED and book["resting"].cancel_reason == "user"
    assert Balance.objects.get(user=user).reserved_cash == 0
    assert_books_balance()


def test_cancelling_a_closed_or_someone_elses_order_is_a_message_not_an_error(trader, book, stock):
    other = UserFactory()
    theirs = order_place(
        user=other, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=Decimal("60000")
    ).order
    for pk in (book["filled"].pk, theirs.pk, 999999):
        response = trader.post(f"/orders/{pk}/cancel/", {"next": "https://evil.example/"}, follow=True)
        assert response.redirect_chain == [("/orders/", 302)]
        assert len(messages_of(response)) == 1
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING
    assert trader.get(f"/orders/{book['resting'].pk}/cancel/").status_code == 405


def test_modify_changes_price_and_quantity_through_the_service(trader, user, book):
    pk = book["resting"].pk
    response = trader.post(f"/orders/{pk}/modify/", {"quantity": "4", "limit_price": "61000"})
    assert response["Location"] == "/orders/?tab=open"
    book["resting"].refresh_from_db()
    assert (book["resting"].quantity, book["resting"].limit_price) == (4, Decimal("61000"))
    assert_books_balance()


def test_modify_errors_show_in_that_orders_form(trader, book, settings):
    settings.LANGUAGE_CODE = "en"
    pk = book["resting"].pk
    response = trader.post(f"/orders/{pk}/modify/", {"limit_price": "61050"})
    assert response.status_code == 200
    (row,) = [order for order in response.context["page"] if order.pk == pk]
    assert "limit_price" in row.modify_form.errors
    assert '<details class="modify" data-open-only open>' in response.content.decode()
    assert trader.post(f"/orders/{pk}/modify/", {}).status_code == 200
    assert trader.post(f"/orders/{pk}/modify/", {"quantity": "lots"}).status_code == 200


def test_modify_of_someone_elses_order_is_404(client, book):
    client.force_login(UserFactory())
    assert client.post(f"/orders/{book['resting'].pk}/modify/", {"quantity": "1"}).status_code == 404


# --- / (landing and dashboard)


def test_visitors_get_the_landing_page_with_movers(client, stock):
    StockFactory(code="000660", current_price=Decimal("110"), previous_close=Decimal("100"))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/accounts/signup/"' in html and 'href="/accounts/login/"' in html
    assert response.context["movers"]["gainers"][0].code == "000660"
    assert "▲10" in html and "+10.00%" in html


def test_dashboard_shows_cash_recent_orders_and_movers(trader, book):
    response = trader.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["recent_orders"][0] == book["cancelled"]
    assert 'data-live-url="/api/v1/portfolio"' in html and 'data-bind="available_cash"' in html
    value = response.context["value"]
    assert f"₩{value.cash:,.0f}" in html


def test_unknown_pages_get_the_sites_own_404(client):
    response = client.get("/market/123/")
    assert response.status_code == 404
    assert "/market/005930/" in response.content.decode() and 'lang="ko"' in response.content.decode()
