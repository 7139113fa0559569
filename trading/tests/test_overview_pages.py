"""The overview on the pages: above the stock list on /market/, a strip on the dashboard, the
fragment overview.js refreshes from, and the index pages with their charts."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone, translation

from trading.models import IndexBar, MarketIndex, PriceBar
from trading.overview_charts import sector_heatmap_svg, sparkline_svg
from trading.services.indices import index_divisors_kept
from trading.services.overview import market_overview_write
from trading.templatetags.market_overview import compact_won
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    with index_divisors_kept():
        StockFactory(code="005930", name="삼성전자", market="KOSPI", current_price=D("73500"),
                     previous_close=D("70000"), listed_shares=5_919_637_922, sector="전기전자")  # fmt: skip
        StockFactory(code="051910", name="LG화학", market="KOSPI", current_price=D("329000"),
                     previous_close=D("336000"), listed_shares=70_592_343, sector="화학")  # fmt: skip
        StockFactory(code="247540", name="에코프로비엠", market="KOSDAQ", current_price=D("148600"),
                     previous_close=D("148600"), listed_shares=97_801_344, sector="전기전자")  # fmt: skip
    return market_overview_write()


@pytest.fixture
def english(client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_the_market_page_opens_with_the_overview_above_the_stock_list(english, market):
    html = english.get("/market/").content.decode()
    assert html.index('id="overview"') < html.index('class="filters"')
    assert 'href="/market/index/KOSPI/"' in html and 'href="/market/index/KOSDAQ/"' in html
    assert "Advancers ▲1" in html and "Decliners ▼1" in html and "Unchanged 1" in html
    assert 'data-rank="gainers" aria-current="true"' in html
    # The heat map: a rise in red with its sign, a fall in blue with its sign, linked to the list.
    assert 'class="tile heat-up-3"' in html and "+5.00%" in html
    assert 'class="tile heat-down-2"' in html and "-2.08%" in html
    assert 'href="/market/?market=&amp;sector=%ED%99%94%ED%95%99"' in html
    assert 'data-overview-url="/market/overview/?part=full&amp;market=&amp;rank=gainers"' in html


def test_the_ranking_tabs_keep_the_lists_filters(english, market):
    html = english.get("/market/", {"rank": "market_cap", "market": "KOSPI", "q": "삼성"}).content.decode()
    assert 'data-rank="market_cap" aria-current="true"' in html
    assert "KOSPI overview" in html
    assert "₩435.1T" in html  # 삼성전자's market cap, compact
    assert 'href="?q=%EC%82%BC%EC%84%B1&amp;market=KOSPI&amp;rank=volume#overview"' in html


def test_the_fragment_is_the_blocks_inside_in_two_queries(english, market, django_assert_num_queries):
    with django_assert_num_queries(2):  # the record and the sparklines' bars
        response = english.get("/market/overview/", {"part": "full", "market": "kosdaq", "rank": "losers"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "KOSDAQ overview" in html and 'data-rank="losers" aria-current="true"' in html
    strip = english.get("/market/overview/", {"part": "strip"}).content.decode()
    assert "Advancers" in strip and "Rankings" not in strip


def test_the_dashboard_shows_the_strip(user, market):
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'class="card overview overview-strip"' in html and 'href="/market/index/KOSPI/"' in html
    assert 'data-rank="gainers"' not in html


def test_before_any_record_the_pages_still_render(english, db):
    assert english.get("/market/").status_code == 200
    assert "The indices start with the market engine" in english.get("/market/overview/").content.decode()


def test_the_index_page_shows_the_value_its_chart_and_its_market(english, market):
    kospi = MarketIndex.objects.get(code="KOSPI")
    start = timezone.now().replace(second=0, microsecond=0)
    for n in range(12):
        value = D("2700") + n
        IndexBar.objects.create(
            index=kospi, interval=PriceBar.Interval.MINUTE, start=start - timedelta(minutes=12 - n),
            open=value, high=value, low=value, close=value,
        )  # fmt: skip
    response = english.get("/market/index/KOSPI/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f">{kospi.value:,}<" in html and 'data-live-url="/api/v1/indices/KOSPI"' in html
    assert 'class="chart chart-candles"' in html  # daily, with today's forming candle
    assert 'class="chart chart-spark"' in html  # twelve minute bars draw the sparkline
    assert "KOSPI overview" in html
    minute = english.get("/market/index/KOSPI/", {"interval": "1m"}).content.decode()
    assert 'class="chart chart-line"' in minute
    assert 'class="chart chart-line"' in english.get("/market/index/KOSPI/chart/", {"interval": "1m"}).content.decode()


@pytest.mark.parametrize("path", ["/market/index/NIKKEI/", "/market/index/kospi/", "/market/index/DOW/chart/"])
def test_an_unknown_index_is_404(client, market, path):
    assert client.get(path).status_code == 404


def test_the_heat_map_signs_every_rate_and_colours_by_direction():
    svg = sector_heatmap_svg(
        [
            {"sector": "화학", "label": "Chemicals", "change_rate": "-3.10", "advancers": 0, "decliners": 2},
            {"sector": "기계", "label": "Machinery", "change_rate": "0.00", "advancers": 1, "decliners": 1},
            {
                "sector": "전기전자",
                "label": "Electrical & electronics",
                "change_rate": "1.20",
                "advancers": 3,
                "decliners": 0,
            },  # fmt: skip
        ],
        title="Sectors",
    )
    assert svg.index("Electrical &amp; electronics") < svg.index("Machinery") < svg.index("Chemicals")
    assert 'class="tile heat-up-1"' in svg and "+1.20%" in svg
    assert 'class="tile heat-flat"' in svg and "0.00%" in svg
    assert 'class="tile heat-down-3"' in svg and "-3.10%" in svg and "▲0 ▼2" in svg
    assert sector_heatmap_svg([], title="Sectors") == ""


def test_a_sparkline_is_coloured_against_the_previous_close():
    assert 'class="spark up"' in sparkline_svg([D("100"), D("103")], title="t", base=D("101"))
    assert 'class="spark down"' in sparkline_svg([D("100"), D("99")], title="t", base=D("101"))
    assert sparkline_svg([D("100")], title="t") == ""


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("ko", "583676299109200", "583.7조"),
        ("ko", "428900000000", "4,289억"),
        ("ko", "42891000", "42,891,000원"),
        ("en", "583676299109200", "₩583.7T"),
        ("en", "428900000000", "₩428.9B"),
        ("en", "42891000", "₩42.9M"),
        ("en", None, "–"),
    ],
)
def test_compact_won(language, value, shown):
    with translation.override(language):
        assert compact_won(value) == shown
