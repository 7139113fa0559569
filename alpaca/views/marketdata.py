"""Market data (ALPACA.md §6) over the price bars and the stocks' quotes. alpaca-py pages through
bars itself: it sends `limit` and `page_token` and asks again while `next_page_token` is not null."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework.response import Response

from alpaca import params, selectors
from alpaca.errors import bad_request, unprocessable
from alpaca.representations import bar_json, day_start, iso, number
from alpaca.schema import operation, query, ref
from alpaca.views.base import AlpacaView
from stocking.core.clock import SEOUL, local_now
from trading.models import PriceBar, Stock

TIMEFRAME = re.compile(r"^(\d{1,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
MONTH_STEPS = (1, 2, 3, 4, 6, 12)
TOKEN = re.compile(r"^(\d{1,6})-(\d{1,19})$")  # symbol index - microseconds since the epoch of the last bar
MAX_LIMIT = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SYMBOLS = query(
    "symbols",
    {"type": "string", "pattern": r"[^,\s]"},
    "Comma list of six-digit codes; unknown ones are left out.",
    required=True,
)
IGNORED = "Accepted, ignored: prices are KRW as traded."


@dataclass(frozen=True)
class Timeframe:
    interval: str  # the stored bars it is built from
    unit: str  # "" (the stored bars as they are), "min", "hour", "week", "month"
    size: int = 1

    def bucket(self, start: datetime) -> datetime:
        """Where the bar of this timeframe that holds a stored bar starting at `start` begins (Seoul)."""
        local = start.astimezone(SEOUL)
        if self.unit == "min":
            minutes = (local.hour * 60 + local.minute) // self.size * self.size
            return local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
        if self.unit == "hour":
            return local.replace(hour=local.hour // self.size * self.size, minute=0, second=0, microsecond=0)
        if self.unit == "week":
            return day_start(local.date() - timedelta(days=local.weekday()))
        if self.unit == "month":
            month = (local.month - 1) // self.size * self.size + 1
            return day_start(local.date().replace(month=month, day=1))
        return start


def parse_timeframe(value: str | None) -> Timeframe:
    match = TIMEFRAME.match(value or "")
    if match is None:
        raise bad_request(f"invalid timeframe: {value!r}")
    size, unit = int(match.group(1)), match.group(2)[0]
    minute, day = PriceBar.Interval.MINUTE, PriceBar.Interval.DAY
    if unit == "T" or (unit == "M" and match.group(2).startswith("Min")):
        if 1 <= size <= 59:
            return Timeframe(minute, "" if size == 1 else "min", size)
    elif unit == "H" and 1 <= size <= 23:
        return Timeframe(minute, "hour", size)
    elif unit == "D" and size == 1:
        return Timeframe(day, "")
    elif unit == "W" and size == 1:
        return Timeframe(day, "week")
    elif unit == "M" and size in MONTH_STEPS:
        return Timeframe(day, "month", size)
    raise unprocessable("unsupported timeframe")


def _aggregate(rows: list[PriceBar], start: datetime) -> dict:
    rows = sorted(rows, key=lambda row: row.start)
    return bar_json(
        start,
        rows[0].open,
        max(row.high for row in rows),
        min(row.low for row in rows),
        rows[-1].close,
        sum(row.volume for row in rows),
    )


def bars_for(stock: Stock, timeframe: Timeframe, *, start, end, after, ascending) -> Iterator[tuple[datetime, dict]]:
    """(bucket start, bar JSON) in order; a bucket is yielded once the rows have moved past it."""
    rows = selectors.bar_rows(
        stock=stock, interval=timeframe.interval, start=start, end=end, after=after, ascending=ascending
    )
    if not timeframe.unit:
        for row in rows:
            yield row.start, bar_json(row.start, row.open, row.high, row.low, row.close, row.volume)
        return
    key, group = None, []
    for row in rows:
        bucket = timeframe.bucket(row.start)
        if after is not None and bucket == after:
            continue  # the rest of a bucket the previous page ended with
        if bucket != key and group:
            yield key, _aggregate(group, key)
            group = []
        key = bucket
        group.append(row)
    if group:
        yield key, _aggregate(group, key)


def _token(index: int, moment: datetime) -> str:
    return f"{index}-{(moment - EPOCH) // timedelta(microseconds=1)}"


def _resume(token: str | None) -> tuple[int, datetime | None]:
    if not token:
        return 0, None
    match = TOKEN.match(token)
    if match is None:
        raise bad_request("invalid page_token")
    micros = min(int(match.group(2)), (params.LATEST - EPOCH) // timedelta(microseconds=1))
    return int(match.group(1)), EPOCH + timedelta(microseconds=micros)


class BarsView(AlpacaView):
    @operation(
        "alpaca_get_stock_bars",
        "Historical bars of several symbols, paged by `limit` bars in all",
        ref("AlpacaBars"),
        errors=(422,),
        parameters=[
            SYMBOLS,
            query(
                "timeframe",
                str,
                "1Min and 1Day as stored; nMin (n<60), nHour (n<24), 1Week, nMonth (n in 1,2,3,4,6,12) "
                "aggregated from them.",
                required=True,
                enum=["1Min", "5Min", "15Min", "30Min", "1Hour", "1Day", "1Week", "1Month"],
            ),
            query("start", datetime, "Default: the start of today in Seoul."),
            query("end", datetime, "Default: now."),
            query(
                "limit", int, "Bars in all, across the symbols (1-10000, default 1000).", minimum=1, maximum=MAX_LIMIT
            ),
            query("page_token", str, "next_page_token of the previous page.", pattern=TOKEN.pattern),
            query("sort", str, "By time within each symbol.", enum=["asc", "desc"]),
            query("feed", str, IGNORED),
            query("adjustment", str, IGNORED),
            query("asof", str, IGNORED),
            query("currency", str, IGNORED),
        ],
    )
    def get(self, request):
        query_params = request.query_params
        symbols = params.query_symbols(query_params)
        timeframe = parse_timeframe(query_params.get("timeframe"))
        start = params.query_datetime(query_params, "start") or day_start(local_now().date())
        end = params.query_datetime(query_params, "end") or timezone.now()
        limit = params.query_int(query_params, "limit", default=1000, low=1, high=MAX_LIMIT)
        ascending = params.query_choice(query_params, "sort", ("asc", "desc"), default="asc") == "asc"
        first, after = _resume(query_params.get("page_token"))
        stocks = selectors.stocks_by_code(symbols)
        bars: dict[str, list[dict]] = {}
        sent, token = 0, None
        for index, code in enumerate(symbols):
            if index < first or code not in stocks:
                continue
            resume_after = after if index == first else None
            for moment, bar in bars_for(
                stocks[code], timeframe, start=start, end=end, after=resume_after, ascending=ascending
            ):
                bars.setdefault(code, []).append(bar)
                sent += 1
                if sent == limit:
                    token = _token(index, moment)
                    break
            if token:
                break
        return Response({"bars": bars, "next_page_token": token})


def _stocks(request) -> list[Stock]:
    """The requested stocks that have a price, in the order asked for."""
    symbols = params.query_symbols(request.query_params)
    found = selectors.stocks_by_code(symbols)
    return [found[code] for code in symbols if code in found and found[code].current_price is not None]


def _quote(stock: Stock) -> dict:
    # Market orders fill at the last price on either side and no book depth is simulated.
    price = number(stock.current_price)
    return {
        "t": iso(stock.updated_at),
        "bp": price,
        "bs": 0,
        "ap": price,
        "as": 0,
        "bx": "",
        "ax": "",
        "c": [],
        "z": "",
    }


def _trade(stock: Stock, minute: PriceBar | None) -> dict:
    size = minute.volume if minute is not None else 0
    return {"t": iso(stock.updated_at), "p": number(stock.current_price), "s": size, "x": "", "c": [], "z": ""}


def _bar(bar: PriceBar | None) -> dict | None:
    return bar_json(bar.start, bar.open, bar.high, bar.low, bar.close, bar.volume) if bar else None


def _daily(stock: Stock) -> dict:
    """Today's running bar from the quote's day fields."""
    day = stock.trading_date or local_now().date()
    price = stock.current_price
    return bar_json(
        day_start(day), stock.day_open or price, stock.day_high or price, stock.day_low or price, price, stock.volume
    )


LATEST = [SYMBOLS, query("feed", str, IGNORED), query("currency", str, IGNORED)]


class LatestBarsView(AlpacaView):
    @operation(
        "alpaca_get_stock_latest_bars", "Each symbol's latest 1-minute bar", ref("AlpacaLatestBars"), parameters=LATEST
    )
    def get(self, request):
        stocks = _stocks(request)
        minutes = selectors.latest_minute_bars(stocks)
        return Response({"bars": {s.code: _bar(minutes[s.pk]) for s in stocks if s.pk in minutes}})


class LatestQuotesView(AlpacaView):
    @operation(
        "alpaca_get_stock_latest_quotes",
        "Each symbol's quote (bid = ask = the last price)",
        ref("AlpacaLatestQuotes"),
        parameters=LATEST,
    )
    def get(self, request):
        return Response({"quotes": {stock.code: _quote(stock) for stock in _stocks(request)}})


class LatestTradesView(AlpacaView):
    @operation(
        "alpaca_get_stock_latest_trades",
        "Each symbol's last price as a trade",
        ref("AlpacaLatestTrades"),
        parameters=LATEST,
    )
    def get(self, request):
        stocks = _stocks(request)
        minutes = selectors.latest_minute_bars(stocks)
        return Response({"trades": {stock.code: _trade(stock, minutes.get(stock.pk)) for stock in stocks}})


class SnapshotsView(AlpacaView):
    @operation(
        "alpaca_get_stock_snapshots",
        "Latest trade, quote, minute bar, today's and the previous daily bar",
        ref("AlpacaSnapshots"),
        parameters=LATEST,
    )
    def get(self, request):
        stocks = _stocks(request)
        minutes = selectors.latest_minute_bars(stocks)
        today = day_start(local_now().date())
        previous = selectors.previous_daily_bars(stocks, before=today)
        return Response(
            {
                stock.code: {
                    "latestTrade": _trade(stock, minutes.get(stock.pk)),
                    "latestQuote": _quote(stock),
                    "minuteBar": _bar(minutes.get(stock.pk)),
                    "dailyBar": _daily(stock),
                    "prevDailyBar": _bar(previous.get(stock.pk)),
                }
                for stock in stocks
            }
        )
