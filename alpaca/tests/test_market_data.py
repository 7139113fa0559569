"""StockHistoricalDataClient: bars (day and minute, start, end, limit, two symbols, paging), latest
quote, trade and bar, snapshots."""

from datetime import datetime, timedelta

import pytest

from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.tests.conftest import minute_block_start
from stocking.core.clock import SEOUL, local_now
from trading.models import PriceBar

pytestmark = pytest.mark.django_db(transaction=True)


def today() -> datetime:
    return local_now().replace(hour=0, minute=0, second=0, microsecond=0)


def test_daily_bars_of_two_symbols(data, market):
    bars = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols=["005930", "000660", "999999"],
            timeframe=TimeFrame.Day,
            start=today() - timedelta(days=30),
        )
    )
    assert set(bars.data) == {"005930", "000660"}
    samsung = bars["005930"]
    assert len(samsung) == 10 and samsung[0].timestamp < samsung[-1].timestamp
    assert samsung[0].timestamp.astimezone(SEOUL) == today() - timedelta(days=10)
    assert (samsung[-1].open, samsung[-1].close, samsung[-1].volume) == (70000, 70100, 1000)
    assert samsung[0].trade_count is None and samsung[0].vwap is None

    last_three = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="005930",
            timeframe=TimeFrame.Day,
            start=today() - timedelta(days=5),
            end=today() - timedelta(days=3),
        )
    )
    assert [bar.close for bar in last_three["005930"]] == [70500, 70400, 70300]


def block() -> dict:
    return {"start": minute_block_start(), "end": minute_block_start() + timedelta(minutes=29)}


def test_minute_bars_start_today_by_default_and_page_through_a_limit(data, market):
    recent = data.get_stock_bars(StockBarsRequest(symbol_or_symbols="005930", timeframe=TimeFrame.Minute))
    since_midnight = [back for back in range(5, 0, -1) if local_now() - timedelta(minutes=back + 1) >= today()]
    assert len(recent.data.get("005930", [])) == len(since_midnight)

    minutes = data.get_stock_bars(StockBarsRequest(symbol_or_symbols="005930", timeframe=TimeFrame.Minute, **block()))
    assert len(minutes["005930"]) == 30
    # 45 bars across two symbols, the first 30 of one, then 15 of the other (limit counts them all).
    limited = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["005930", "000660"], timeframe=TimeFrame.Minute, limit=45, **block())
    )
    assert len(limited["005930"]) == 30 and len(limited["000660"]) == 15
    newest_first = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="005930", timeframe=TimeFrame.Minute, sort="desc", limit=3, **block())
    )
    assert [bar.volume for bar in newest_first["005930"]] == [39, 38, 37]


def test_paging_resumes_where_the_last_page_ended(trader, base_url, market):
    import requests

    _user, key_id, secret = trader
    headers = {"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret}
    span = {key: value.isoformat() for key, value in block().items()}
    query = {"symbols": "005930,000660", "timeframe": "1Min", "limit": 25, **span}
    seen, token, pages = [], None, 0
    while True:
        page = requests.get(f"{base_url}/v2/stocks/bars", params={**query, "page_token": token}, headers=headers).json()
        pages += 1
        seen += [(symbol, bar["t"]) for symbol, bars in page["bars"].items() for bar in bars]
        token = page["next_page_token"]
        if token is None:
            break
    assert pages == 3 and len(seen) == 60 and len(set(seen)) == 60
    five = {**query, "timeframe": "5Min", "limit": 4}
    first = requests.get(f"{base_url}/v2/stocks/bars", params=five, headers=headers).json()
    second = requests.get(
        f"{base_url}/v2/stocks/bars", params={**five, "page_token": first["next_page_token"]}, headers=headers
    ).json()
    assert [len(first["bars"]["005930"]), len(second["bars"]["005930"]), len(second["bars"]["000660"])] == [4, 2, 2]


def test_aggregated_timeframes(data, market):
    five = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="005930", timeframe=TimeFrame(5, TimeFrameUnit.Minute), **block())
    )["005930"]
    assert len(five) == 6 and five[0].timestamp.astimezone(SEOUL) == minute_block_start()
    assert (five[0].open, five[0].high, five[0].low, five[0].volume) == (70000, 70100, 69900, 10 + 11 + 12 + 13 + 14)
    assert five[0].close == 70100  # the fifth minute's close
    week = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="005930", timeframe=TimeFrame.Week, start=today() - timedelta(days=30))
    )["005930"]
    assert sum(bar.volume for bar in week) == sum(1000 * day for day in range(1, 11))
    month = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="000660", timeframe=TimeFrame.Month, start=today() - timedelta(days=30))
    )["000660"]
    assert sum(bar.volume for bar in month) == sum(1000 * day for day in range(1, 11)) and len(month) <= 2
    hours = data.get_stock_bars(StockBarsRequest(symbol_or_symbols="000660", timeframe=TimeFrame.Hour, **block()))[
        "000660"
    ]
    assert len(hours) == 1 and hours[0].volume == sum(10 + minute for minute in range(30))


def test_a_timeframe_that_cannot_be_built_is_a_422(trader, base_url, market):
    import requests

    _user, key_id, secret = trader
    answer = requests.get(
        f"{base_url}/v2/stocks/bars",
        params={"symbols": "005930", "timeframe": "2Day"},
        headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret},
    )
    assert (answer.status_code, answer.json()) == (422, {"code": 42210000, "message": "unsupported timeframe"})


def test_latest_quote_trade_bar_and_snapshot(data, market):
    quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["005930", "000660"]))
    assert quotes["005930"].bid_price == quotes["005930"].ask_price == 70000
    assert quotes["000660"].ask_price == 150000 and quotes["005930"].ask_size == 0

    trades = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="005930"))
    assert trades["005930"].price == 70000 and trades["005930"].size == 504  # the last minute bar's volume

    bars = data.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols=["005930", "035720"]))
    newest = PriceBar.objects.filter(stock=market["005930"], interval=PriceBar.Interval.MINUTE).latest("start")
    assert set(bars) == {"005930"} and bars["005930"].timestamp == newest.start

    snapshots = data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=["005930", "035720", "999999"]))
    assert set(snapshots) == {"005930", "035720"}
    samsung = snapshots["005930"]
    assert samsung.latest_trade.price == 70000 and samsung.latest_quote.bid_price == 70000
    assert samsung.minute_bar.volume == 504
    assert samsung.daily_bar.close == 70000 and samsung.daily_bar.volume == 1234
    assert samsung.previous_daily_bar.timestamp.astimezone(SEOUL) == today() - timedelta(days=1)
    kakao = snapshots["035720"]
    assert kakao.minute_bar is None and kakao.previous_daily_bar is None and kakao.daily_bar.close == 40000
