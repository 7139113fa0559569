from datetime import date, datetime

import pytest

from stocking.core.clock import SEOUL
from trading.sessions import market_clock, next_trading_day


@pytest.fixture
def enforced(settings):
    settings.ENFORCE_MARKET_HOURS = True
    settings.MARKET_HOLIDAYS = ["2026-12-25"]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def test_open_during_the_regular_session(enforced):
    clock = market_clock(at(2026, 11, 24, 10, 0))
    assert clock.is_open and clock.trading_date == date(2026, 11, 24)
    assert clock.next_close == at(2026, 11, 24, 15, 30)


@pytest.mark.parametrize(
    "moment", [(2026, 11, 24, 8, 59), (2026, 11, 24, 15, 30), (2026, 11, 28, 11, 0), (2026, 12, 25, 11, 0)]
)
def test_closed_before_open_at_close_on_weekends_and_holidays(enforced, moment):
    assert not market_clock(at(*moment)).is_open


def test_after_the_close_the_next_session_is_the_next_trading_day(enforced):
    clock = market_clock(at(2026, 12, 24, 16, 0))
    assert clock.trading_date == date(2026, 12, 28)  # skips the 25th (holiday) and the weekend
    assert clock.next_open == at(2026, 12, 28, 9, 0)


def test_next_trading_day_skips_weekends(enforced):
    assert next_trading_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_unenforced_market_is_always_open_and_rolls_at_midnight(settings):
    settings.ENFORCE_MARKET_HOURS = False
    clock = market_clock(at(2026, 11, 28, 23, 0))
    assert clock.is_open and clock.trading_date == date(2026, 11, 28)
    assert clock.next_close == at(2026, 11, 29, 0, 0)
