"""alpaca-py itself against pytest-django's live server: the SDK's own requests and its own pydantic
models are the check of the wire format (ALPACA.md §7)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.services import api_key_create
from accounts.tests.factories import UserFactory
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.trading.client import TradingClient
from portfolio.tests.helpers import assert_books_balance
from stocking.core.clock import local_now
from trading.models import PriceBar
from trading.tests.factories import PriceBarFactory, StockFactory


# Yesterday 10:00-10:29 in Seoul: a fixed block of minute bars the paging and aggregation tests ask for
# by start and end, whatever the time of day the tests run at.
def minute_block_start():
    return local_now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)


@pytest.fixture
def market(db):
    """Three stocks; two with ten daily bars before today, the minute block above, and five minute bars
    that ended a minute ago (the latest bars)."""
    samsung = StockFactory(code="005930", name="삼성전자", current_price=Decimal("70000"), volume=1234)
    hynix = StockFactory(
        code="000660", name="SK하이닉스", current_price=Decimal("150000"), previous_close=Decimal("148000")
    )
    kakao = StockFactory(code="035720", name="카카오", market="KOSDAQ", current_price=Decimal("40000"))
    today = local_now().replace(hour=0, minute=0, second=0, microsecond=0)
    this_minute = local_now().replace(second=0, microsecond=0)
    for stock in (samsung, hynix):
        base = stock.current_price
        for day in range(1, 11):
            PriceBarFactory(
                stock=stock,
                interval=PriceBar.Interval.DAY,
                start=today - timedelta(days=day),
                open=base,
                high=base + 1000,
                low=base - 1000,
                close=base + day * 100,
                volume=1000 * day,
            )
        for minute in range(30):
            PriceBarFactory(
                stock=stock,
                interval=PriceBar.Interval.MINUTE,
                start=minute_block_start() + timedelta(minutes=minute),
                open=base,
                high=base + 100,
                low=base - 100,
                close=base + (minute % 3) * 100,
                volume=10 + minute,
            )
        for back in range(5, 0, -1):
            PriceBarFactory(
                stock=stock,
                interval=PriceBar.Interval.MINUTE,
                start=this_minute - timedelta(minutes=back),
                open=base,
                high=base,
                low=base,
                close=base,
                volume=505 - back,
            )
    return {"005930": samsung, "000660": hynix, "035720": kakao}


@pytest.fixture
def trader(db):
    user = UserFactory(username="bot-owner")
    created = api_key_create(user=user, name="test bot")
    return user, created.key.key_id, created.secret


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url + "/alpaca"


# Each SDK client keeps its HTTP connection alive; closing it when the test ends keeps the live
# server's request thread from outliving the test's database.


@pytest.fixture
def client(trader, base_url):
    _user, key_id, secret = trader
    sdk = TradingClient(key_id, secret, paper=True, url_override=base_url)
    yield sdk
    sdk._session.close()


@pytest.fixture
def data(trader, base_url):
    _user, key_id, secret = trader
    sdk = StockHistoricalDataClient(key_id, secret, url_override=base_url)
    yield sdk
    sdk._session.close()


@pytest.fixture
def other_client(db, base_url):
    """A second user's client: none of the first user's orders or watchlists are theirs."""
    created = api_key_create(user=UserFactory(username="someone-else"), name="theirs")
    sdk = TradingClient(created.key.key_id, created.secret, paper=True, url_override=base_url)
    yield sdk
    sdk._session.close()


@pytest.fixture
def books():
    yield
    assert_books_balance()
