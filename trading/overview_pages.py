"""Pages of the market overview: the overview block (the full one above the stock list on /market/
and on the index pages, a strip of indices and breadth on the dashboard), the fragment
static/js/overview.js refreshes it from, and the index pages /market/index/<KOSPI|KOSDAQ>/.
Everything comes from the newest per-tick record; only the sparklines and charts read bars."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stocking.core.charts import candlestick_svg, line_svg
from trading import selectors
from trading.models import IndexBar, Market, MarketIndex, PriceBar
from trading.overview_charts import breadth_svg, sector_heatmap_svg, sparkline_svg
from trading.sectors import Sector
from trading.services.indices import index_quote
from trading.services.market_day import daily_bar_start
from trading.services.overview import RANKINGS

RANK_LABELS = {
    "gainers": gettext_lazy("Gainers"),
    "losers": gettext_lazy("Losers"),
    "volume": gettext_lazy("Volume"),
    "trading_value": gettext_lazy("Trading value"),
    "market_cap": gettext_lazy("Market cap"),
}
ROWS_SHOWN = 10
HIGHS_SHOWN = 5
SPARK_MINUTES = 120  # the sparkline's window; without minute bars in it, the last SPARK_DAYS daily closes
SPARK_DAYS = 30
SPARK_MIN_POINTS = 10  # fewer minute bars than this (a market just started) draw no line
CHART_BARS = 120


def _sparklines() -> dict[str, list]:
    """Recent closes per index (one query): the last two hours of minute bars, else the daily closes."""
    now = timezone.now()
    recent = Q(interval=PriceBar.Interval.MINUTE, start__gte=now - timedelta(minutes=SPARK_MINUTES))
    days = Q(interval=PriceBar.Interval.DAY, start__gte=now - timedelta(days=SPARK_DAYS * 7 // 5 + 5))
    series: dict[tuple[str, str], list] = {}
    for code, interval, close in (
        IndexBar.objects.filter(recent | days).order_by("start").values_list("index__code", "interval", "close")
    ):
        series.setdefault((code, interval), []).append(close)
    sparklines = {}
    for code in MarketIndex.Code.values:
        minutes = series.get((code, PriceBar.Interval.MINUTE), [])
        days = series.get((code, PriceBar.Interval.DAY), [])[-SPARK_DAYS:]
        sparklines[code] = minutes if len(minutes) >= SPARK_MIN_POINTS else days
    return sparklines


def _market(value: str | None) -> str | None:
    value = (value or "").upper()
    return value if value in MarketIndex.Code.values else None


def overview_context(*, market: str | None, rank: str = "", part: str = "full", link_query: dict | None = None) -> dict:
    """What templates/trading/_overview*.html show, for `market` (None: every listed stock)."""
    body = selectors.market_overview(market=market)
    spark = _sparklines()
    indices = []
    for index in body["indices"]:
        title = _("%(index)s today") % {"index": index["name"]}
        base = index["previous_close"]
        # The line ends at the value now, whether it runs over minutes or (early in a day) days.
        values = spark.get(index["code"], []) + ([Decimal(index["value"])] if index["value"] else [])
        svg = sparkline_svg(values, title=title, base=None if base is None else Decimal(base))
        indices.append({**index, "sparkline": svg})
    breadth = body["breadth"]
    rank = rank if rank in RANKINGS else "gainers"
    query = {key: value for key, value in (link_query or {}).items() if value and key != "rank"}
    context = {
        "overview": body,
        "at": parse_datetime(body["at"]) if body["at"] else None,
        "indices": indices,
        "breadth": breadth,
        "breadth_svg": breadth_svg(
            advancers=breadth["advancers"],
            decliners=breadth["decliners"],
            unchanged=breadth["unchanged"],
            title=_("Advancers, unchanged and decliners"),
        ),
        "market": market,
        "part": part,
        "fragment_url": reverse("trading:market-overview")
        + "?"
        + urlencode({"part": part, **query, "market": market or "", "rank": rank}),
    }
    if part != "full":
        return context
    labels = dict(Sector.choices)
    sectors = [{**item, "label": labels.get(item["sector"], item["sector"])} for item in body["sectors"]]
    context |= {
        "rank": rank,
        "sectors": sectors,
        "rank_tabs": [
            (name, label, "?" + urlencode({**query, "rank": name}) + "#overview") for name, label in RANK_LABELS.items()
        ],
        "rank_rows": body["rankings"][rank][:ROWS_SHOWN],
        # Two drawings, one shown per screen width (CSS): three columns, or two on a phone.
        "heatmaps": [
            sector_heatmap_svg(
                sectors,
                title=_("Sectors by change, weighted by market cap"),
                link=reverse("trading:market") + "?" + urlencode({"market": market or ""}) + "&sector=",
                columns=columns,
            )
            for columns in (3, 2)
        ],
        "highs_lows": [
            (_("New 52-week highs"), body["new_highs"][:HIGHS_SHOWN]),
            (_("New 52-week lows"), body["new_lows"][:HIGHS_SHOWN]),
        ],
    }
    return context


def market_overview_fragment(request: HttpRequest) -> HttpResponse:
    """The overview block's inside, for static/js/overview.js to swap in every few seconds."""
    part = "strip" if request.GET.get("part") == "strip" else "full"
    link_query = {key: request.GET.get(key, "") for key in ("q", "sector")}
    context = overview_context(
        market=_market(request.GET.get("market")), rank=request.GET.get("rank", ""), part=part, link_query=link_query
    )
    return render(request, "trading/_overview_body.html", context)


def _index_or_404(code: str) -> MarketIndex:
    if code not in MarketIndex.Code.values:
        raise Http404
    return get_object_or_404(MarketIndex, code=code)


def _index_chart(index: MarketIndex, interval: str) -> dict:
    bars = selectors.index_candle_list(index=index, interval=interval, limit=CHART_BARS)
    if interval == PriceBar.Interval.MINUTE:
        points = [(bar.start, bar.close) for bar in bars]
        title = _("%(index)s · 1-minute") % {"index": index.name}
        return {"interval": interval, "svg": line_svg(points, title=title, intraday=True)}
    # The chart's candles carry volume; an index has none.
    candles = [
        SimpleNamespace(start=bar.start, open=bar.open, high=bar.high, low=bar.low, close=bar.close, volume=0)
        for bar in bars
    ]
    if (
        index.value is not None
        and index.trading_date
        and not (bars and bars[-1].start >= daily_bar_start(index.trading_date))
    ):
        # Today's forming candle: daily bars are only written at the day roll.
        today = SimpleNamespace(
            start=daily_bar_start(index.trading_date),
            open=index.day_open or index.value,
            high=max(index.day_high or index.value, index.value),
            low=min(index.day_low or index.value, index.value),
            close=index.value,
            volume=0,
        )
        candles = [*candles[-(CHART_BARS - 1) :], today]
    title = _("%(index)s · daily") % {"index": index.name}
    return {"interval": interval, "svg": candlestick_svg(candles, title=title, intraday=False)}


def _interval(request: HttpRequest) -> str:
    interval = request.GET.get("interval", "")
    return interval if interval in PriceBar.Interval.values else PriceBar.Interval.DAY


def index_page(request: HttpRequest, code: str) -> HttpResponse:
    index = _index_or_404(code)
    context = {
        "index": index,
        "quote": index_quote(index),
        "chart": _index_chart(index, _interval(request)),
        "market_name": Market(index.code).label,
    }
    return render(request, "trading/index.html", context)


def index_chart(request: HttpRequest, code: str) -> HttpResponse:
    """The chart alone, for static/js/chart.js to swap in (daily / 1-minute)."""
    index = _index_or_404(code)
    return render(request, "trading/_chart.html", {"chart": _index_chart(index, _interval(request))})
