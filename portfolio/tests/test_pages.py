"""Investor pages through Django's test client: the dashboard's figures, /portfolio/ (positions,
allocation, equity curve, reset), /analytics/ and /leaderboard/; visitors are sent to log in, junk
input never answers 500, and the dashboard and portfolio pages cost the same number of queries
whatever the number of positions."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from portfolio.models import AccountReset, PortfolioSnapshot, Position
from portfolio.selectors import balance_get
from portfolio.tests.helpers import assert_books_balance
from portfolio.tests.trades import losing_round_trip, market, set_price, winning_round_trip
from stocking.core.clock import local_now
from trading.models import Order, OrderStatus
from trading.services import order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db

USER_PAGES = ["/portfolio/", "/analytics/", "/leaderboard/", "/watchlists/", "/wallet/"]


@pytest.fixture
def trader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def hold(user, stocks: int) -> None:
    """`stocks` positions without trading (the query pins only need rows to value)."""
    Position.objects.bulk_create(
        Position(
            user=user,
            stock=StockFactory(code=f"{200000 + n:06d}", sector=f"업종{n % 7}", previous_close=D("9900")),
            quantity=10,
            average_price=D("9000"),
            cost_basis=D("90000"),
        )
        for n in range(stocks)
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", USER_PAGES)
def test_visitors_are_sent_to_log_in_and_back(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", ["/portfolio/reset/", "/wallet/deposit/", "/watchlists/new/"])
def test_visitors_cannot_post_either(client, url):
    response = client.post(url, {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- / (the dashboard's portfolio figures)


def test_dashboard_shows_total_value_day_change_pnl_and_largest_positions(trader, user):
    samsung = StockFactory(code="005930", name="삼성전자", current_price=D("70000"), previous_close=D("69000"))
    market(user, samsung, "buy", 10)
    set_price(samsung, "71000")
    html = html_of(trader.get("/"))
    assert 'data-live-url="/api/v1/portfolio"' in html and 'data-live-list="positions"' in html
    assert 'data-live-row="005930"' in html and "삼성전자" in html
    value = trader.get("/").context["value"]
    assert value.day_change == D("20000")  # (71,000 − 69,000) × 10
    assert "+₩20,000" in html and f"₩{value.total_value:,.0f}" in html
    assert 'data-testid="total-pnl"' in html and 'href="/portfolio/"' in html


def test_dashboard_lists_at_most_five_positions_largest_first(trader, user):
    hold(user, 8)
    Position.objects.filter(user=user, stock__code="200007").update(quantity=100)
    top = trader.get("/").context["top_positions"]
    assert len(top) == 5 and top[0].stock_code == "200007"


def test_dashboard_queries_do_not_grow_with_positions(trader, user):
    hold(user, 1)
    one = count_queries(trader, "/")
    hold_more = UserFactory()
    hold(hold_more, 200)
    other = Client()
    other.force_login(hold_more)
    assert count_queries(other, "/") == one


# --- /portfolio/


def test_portfolio_shows_summary_positions_allocation_and_curve(trader, user):
    samsung = StockFactory(code="005930", name="삼성전자", sector="전기전자")
    kakao = StockFactory(code="035720", name="카카오", sector="서비스업")
    winning_round_trip(user, samsung)  # 60 shares left, realized +38,994
    set_price(kakao, "40000", previous_close="40000")
    market(user, kakao, "buy", 5)
    PortfolioSnapshot.objects.create(
        user=user,
        date=local_now().date() - timedelta(days=1),
        cash=D("9000000"),
        holdings_value=D("1000000"),
        total_value=D("10000000"),
        net_capital=D("10000000"),
    )
    response = trader.get("/portfolio/")
    html = html_of(response)
    value = response.context["value"]
    assert [p.stock_code for p in value.positions] == ["005930", "035720"]
    assert "+₩38,994" in html  # realized P/L
    assert f"₩{value.total_value:,.0f}" in html and f"₩{value.holdings_value:,.0f}" in html
    row = html.split('data-live-row="005930"')[1].split("</tr>")[0]
    assert 'data-bind="weight" data-format="percent"' in row and 'data-bind="day_change"' in row
    assert html.count('class="chart chart-donut"') == 2 and "slice-cash" in html
    assert "전기전자" in html and "서비스업" in html
    assert '<polyline class="line"' in html  # two points: yesterday's close and now
    assert 'href="/portfolio/?period=1y#equity"' in html


@pytest.mark.parametrize("period", ["1w", "1m", "3m", "1y", "all", "", "5y", "<script>"])
def test_portfolio_takes_any_period_and_falls_back_to_three_months(trader, period):
    response = trader.get("/portfolio/", {"period": period})
    assert response.status_code == 200
    assert response.context["period"] == (period if period in ("1w", "1m", "3m", "1y", "all") else "3m")


def test_portfolio_queries_do_not_grow_with_positions(trader, user):
    hold(user, 1)
    one = count_queries(trader, "/portfolio/")
    many = UserFactory()
    hold(many, 200)
    other = Client()
    other.force_login(many)
    assert count_queries(other, "/portfolio/") == one


def test_the_positions_table_pages_by_fifty_while_the_figures_cover_all(trader, user):
    hold(user, 120)
    value = trader.get("/portfolio/").context["value"]
    assert len(value.positions) == 120 and value.holdings_value == 120 * 10 * value.positions[0].current_price
    pages = [html_of(trader.get("/portfolio/", {"page": page, "period": "1m"})) for page in (1, 2, 3)]
    assert [html.count("data-live-row=") for html in pages] == [50, 50, 20]
    assert 'data-live-row="200000"' in pages[0] and 'data-live-row="200119"' in pages[2]
    assert 'href="/portfolio/?page=2&amp;period=1m" rel="next"' in pages[0]
    assert f"₩{value.holdings_value:,.0f}" in pages[2]
    assert html_of(trader.get("/portfolio/", {"page": "junk"})).count("data-live-row=") == 50


def test_a_new_account_shows_an_empty_portfolio(trader):
    html = html_of(trader.get("/portfolio/"))
    assert "₩10,000,000" in html and 'class="chart chart-donut"' in html  # all cash
    assert 'href="/market/"' in html


# --- /portfolio/reset/


def test_reset_needs_the_typed_word_next_to_its_field(trader, user, stock):
    market(user, stock, "buy", 10)
    for typed in ("", "reset", "RESET please"):
        response = trader.post("/portfolio/reset/", {"confirm": typed})
        assert response.status_code == 200
        assert response.context["reset_form"].errors["confirm"]
    assert Position.objects.filter(user=user).exists()
    assert not AccountReset.objects.filter(user=user).exists()


def test_reset_cancels_orders_removes_positions_and_says_so(trader, user, stock):
    market(user, stock, "buy", 10)
    order_place(user=user, stock_code=stock.code, side="buy", order_type="limit", quantity=1, limit_price=D("60000"))
    response = trader.post("/portfolio/reset/", {"confirm": "RESET"}, follow=True)
    assert response.redirect_chain == [("/portfolio/", 302)]
    [message] = messages_of(response)
    assert "1" in message and "₩10,000,000" in message
    assert not Position.objects.filter(user=user).exists()
    assert Order.objects.get(user=user, status=OrderStatus.CANCELLED).cancel_reason == "reset"
    assert balance_get(user=user).cash == D("10000000")
    assert_books_balance()


def test_reset_only_answers_post(trader):
    assert trader.get("/portfolio/reset/").status_code == 405


# --- /analytics/


def test_analytics_shows_the_stats_and_realized_pnl_chart(trader, user):
    winning_round_trip(user, StockFactory(code="005930"))
    losing_round_trip(user, StockFactory(code="035720"))
    response = trader.get("/analytics/")
    html = html_of(response)
    stats = response.context["stats"]
    assert (stats.trades, stats.wins, stats.losses) == (4, 1, 1)
    assert "50.00%" in html  # win rate
    assert "+₩38,994" in html and "-₩102,085" in html  # average win, average loss
    assert '<rect class="bar ' in html  # realized P/L per day
    assert response.context["realized_total"] == D("38994") + D("-102085")
    for period in ("day", "week", "month", "year", "all"):
        assert f'href="/analytics/?period={period}"' in html


def test_analytics_draws_the_drawdown_with_its_dates(trader, user):
    today = local_now().date()
    for days_ago, value in ((3, "10000000"), (2, "11000000"), (1, "9900000")):
        PortfolioSnapshot.objects.create(
            user=user,
            date=today - timedelta(days=days_ago),
            cash=D(value),
            holdings_value=D("0"),
            total_value=D(value),
            net_capital=D("10000000"),
        )
    response = trader.get("/analytics/")
    html = html_of(response)
    drawdown = response.context["stats"].max_drawdown
    assert drawdown.rate == D("10.00")
    assert "-10.00%" in html and str(today - timedelta(days=2)) in html and str(today - timedelta(days=1)) in html
    assert html.count('class="chart chart-line"') == 1


@pytest.mark.parametrize("period", ["decade", "", "0", "%00"])
def test_analytics_falls_back_to_all_on_a_bad_period(trader, period):
    response = trader.get("/analytics/", {"period": period})
    assert response.status_code == 200 and response.context["period"] == "all"


def test_analytics_of_a_new_account_explains_the_empty_charts(trader):
    html = html_of(trader.get("/analytics/?period=day"))
    assert "chart-empty" in html and "–" in html  # no win rate yet


# --- /leaderboard/


def test_leaderboard_highlights_your_row(trader, user):
    user.show_on_leaderboard = True
    user.display_name = "지우"
    user.save()
    rival = UserFactory(show_on_leaderboard=True, display_name="민준")
    winning_round_trip(rival, StockFactory(code="005930"))
    html = html_of(trader.get("/leaderboard/"))
    assert html.index("민준") < html.index("지우")
    you = html.split('class="is-you"')[1].split("</tr>")[0]
    assert "지우" in you and 'aria-current="true"' in you


def test_leaderboard_links_to_the_opt_in_when_you_are_not_on_it(trader):
    html = html_of(trader.get("/leaderboard/"))
    assert 'href="/accounts/profile/#id_show_on_leaderboard"' in html


def test_leaderboard_pages_and_finds_your_page(settings):
    for n in range(55):
        UserFactory(show_on_leaderboard=True, display_name=f"투자자{n}")
    trader = Client()
    trader.force_login(UserFactory(show_on_leaderboard=True))  # equal returns: sign-up order, so last
    response = trader.get("/leaderboard/")
    assert len(response.context["page"].object_list) == 50
    assert response.context["my_page"] == 2
    assert 'href="/leaderboard/?page=2#you"' in response.content.decode()
    for junk in ("abc", "999", "-1"):
        assert trader.get("/leaderboard/", {"page": junk}).status_code == 200
