"""Trading days and the regular session in Asia/Seoul.

With ENFORCE_MARKET_HOURS off (the simulated market) the market is always open and the trading
day rolls at local midnight. With it on, orders and fills happen only 09:00–15:30 on weekdays
that are not in MARKET_HOLIDAYS, and the day rolls at the close.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings

from stocking.core.clock import SEOUL, local_now


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day.isoformat() not in set(settings.MARKET_HOLIDAYS)


def next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def session_bounds(day: date) -> tuple[datetime, datetime]:
    open_at = datetime.combine(day, _parse_time(settings.MARKET_OPEN_TIME), tzinfo=SEOUL)
    close_at = datetime.combine(day, _parse_time(settings.MARKET_CLOSE_TIME), tzinfo=SEOUL)
    return open_at, close_at


@dataclass(frozen=True)
class MarketClock:
    now: datetime
    is_open: bool
    enforced: bool
    trading_date: date
    next_open: datetime | None
    next_close: datetime


def market_clock(now: datetime | None = None) -> MarketClock:
    now = local_now(now)
    if not settings.ENFORCE_MARKET_HOURS:
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=SEOUL)
        return MarketClock(now, True, False, now.date(), None, midnight)

    today = now.date()
    if is_trading_day(today):
        open_at, close_at = session_bounds(today)
        if open_at <= now < close_at:
            return MarketClock(now, True, True, today, session_bounds(next_trading_day(today))[0], close_at)
        if now < open_at:
            return MarketClock(now, False, True, today, open_at, close_at)
    upcoming = next_trading_day(today)
    open_at, close_at = session_bounds(upcoming)
    return MarketClock(now, False, True, upcoming, open_at, close_at)


def current_trading_date(now: datetime | None = None) -> date:
    """The trading day an order placed now belongs to (DAY orders expire when it ends)."""
    return market_clock(now).trading_date
