"""Account, clock, calendar and portfolio history (ALPACA.md §5)."""

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from alpaca import params
from alpaca.errors import bad_request
from alpaca.representations import account_json, day_start, iso
from alpaca.schema import array, operation, query, ref
from alpaca.views.base import AlpacaView
from portfolio.selectors import portfolio_history, portfolio_value
from stocking.core.clock import SEOUL, local_now
from trading.sessions import is_trading_day, market_clock, session_bounds

CALENDAR_SPAN_LIMIT = timedelta(days=731)
PERIOD = re.compile(r"^([1-9]\d{0,3})([DWMA])$")
PERIOD_DAYS = {"D": 1, "W": 7, "M": 30, "A": 365}
TIMEFRAMES = ("1Min", "5Min", "15Min", "1H", "1D")
CONFIGURATIONS = {
    "dtbp_check": "both",
    "fractional_trading": False,
    "max_margin_multiplier": "1",
    "no_shorting": True,
    "pdt_check": "entry",
    "ptp_no_exception_entry": False,
    "suspend_trade": False,
    "trade_confirm_email": "none",
}


class AccountView(AlpacaView):
    @operation("alpaca_get_account", "The trading account: cash, buying power, equity", ref("AlpacaAccount"))
    def get(self, request):
        return Response(account_json(request.user, portfolio_value(user=request.user)))


class AccountConfigurationsView(AlpacaView):
    @operation(
        "alpaca_get_account_configurations",
        "Account configurations (fixed: no margin, no shorting, no fractions)",
        ref("AlpacaAccountConfigurations"),
    )
    def get(self, request):
        return Response(CONFIGURATIONS)


class ClockView(AlpacaView):
    @operation("alpaca_get_clock", "Is the KRX session open, and when it next opens and closes", ref("AlpacaClock"))
    def get(self, request):
        clock = market_clock()
        # Always open (no enforced hours): the day rolls at Seoul midnight and reopens at once.
        next_open = clock.next_open or clock.next_close
        return Response(
            {
                "timestamp": iso(clock.now),
                "is_open": clock.is_open,
                "next_open": iso(next_open),
                "next_close": iso(clock.next_close),
            }
        )


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


class CalendarView(AlpacaView):
    @operation(
        "alpaca_get_calendar",
        "Trading days with their session open and close (HH:MM, Asia/Seoul)",
        array("AlpacaCalendarDay"),
        parameters=[
            query("start", date, "First day (default: a month ago)."),
            query("end", date, "Last day (default: a month ahead); at most two years after start."),
        ],
    )
    def get(self, request):
        today = local_now().date()
        start = params.query_date(request.query_params, "start") or _shift(today, -31)
        end = params.query_date(request.query_params, "end") or _shift(today, 31)
        end = min(end, _shift(start, CALENDAR_SPAN_LIMIT.days))
        days = []
        day = start
        while day <= end:
            if not settings.ENFORCE_MARKET_HOURS:
                days.append({"date": day.isoformat(), "open": "00:00", "close": "23:59"})
            elif is_trading_day(day):
                open_at, close_at = session_bounds(day)
                days.append({"date": day.isoformat(), "open": f"{open_at:%H:%M}", "close": f"{close_at:%H:%M}"})
            day += timedelta(days=1)
        return Response(days)


def _epoch(day: date) -> int:
    return int(day_start(day).timestamp())


class PortfolioHistoryView(AlpacaView):
    @operation(
        "alpaca_get_portfolio_history",
        "Equity and P/L per day (daily closing snapshots, then the live value now)",
        ref("AlpacaPortfolioHistory"),
        parameters=[
            query("period", str, "<n>D|W|M|A (default 1M).", pattern=PERIOD.pattern),
            query("timeframe", str, "Echoed; every series is daily.", enum=list(TIMEFRAMES)),
            query("start", datetime, "Start instead of a period."),
            query("end", datetime),
            query("date_end", date, "The period ends on this day (default today)."),
            query(
                "intraday_reporting", str, "Accepted, ignored.", enum=["market_hours", "extended_hours", "continuous"]
            ),
            query("pnl_reset", str, "Accepted, ignored.", enum=["per_day", "no_reset"]),
            query("extended_hours", bool, "Accepted, ignored."),
            query("cashflow_types", str, "Accepted, ignored."),
        ],
    )
    def get(self, request):
        query_params = request.query_params
        period = query_params.get("period") or "1M"
        match = PERIOD.match(period)
        if match is None:
            raise bad_request(f"invalid period: {period!r}")
        timeframe = params.query_choice(query_params, "timeframe", TIMEFRAMES, default="1D")
        params.query_choice(query_params, "intraday_reporting", ("market_hours", "extended_hours", "continuous"))
        params.query_choice(query_params, "pnl_reset", ("per_day", "no_reset"))
        params.query_bool(query_params, "extended_hours")
        start = params.query_datetime(query_params, "start")
        end = params.query_datetime(query_params, "end", end_of_day=True)
        date_end = params.query_date(query_params, "date_end")
        last_day = end.astimezone(SEOUL).date() if end else (date_end or local_now().date())
        if start is not None:
            first_day = start.astimezone(SEOUL).date()
        else:
            first_day = _shift(last_day, -int(match.group(1)) * PERIOD_DAYS[match.group(2)])
        points = portfolio_history(user=request.user, period="all")
        kept = [p for p in points if first_day <= p.date <= last_day] or points[-1:]
        timestamps = [int(timezone.now().timestamp()) if p.live else _epoch(p.date) for p in kept]
        base = kept[0]
        base_pnl = base.total_value - base.net_capital
        profit = [float((p.total_value - p.net_capital) - base_pnl) for p in kept]
        return Response(
            {
                "timestamp": timestamps,
                "equity": [float(p.total_value) for p in kept],
                "profit_loss": profit,
                "profit_loss_pct": [pl / float(base.total_value) if base.total_value else None for pl in profit],
                "base_value": float(base.total_value),
                "timeframe": timeframe,
                "cashflow": {},
            }
        )
