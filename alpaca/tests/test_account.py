"""get_account, get_clock, get_calendar, assets and portfolio history through alpaca-py."""

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from django.test import override_settings

from alpaca.common.exceptions import APIError
from alpaca.trading.enums import AssetClass, AssetExchange, AssetStatus
from alpaca.trading.requests import GetAssetsRequest, GetCalendarRequest, GetPortfolioHistoryRequest
from trading.services import order_place

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_account_reads_as_alpacas_trade_account(client, trader, market):
    user, _key_id, _secret = trader
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)

    account = client.get_account()

    assert account.id == uuid5(NAMESPACE_URL, f"stocking:account:{user.pk}")
    assert account.account_number == f"SK{user.pk:08d}"
    assert account.status.value == "ACTIVE" and account.currency == "KRW"
    assert account.long_market_value == "700000"  # 10 × 70,000
    cash = 10_000_000 - 700_000 - 105  # the 0.015% commission, truncated to won
    assert account.cash == str(cash) and account.buying_power == str(cash)
    assert account.equity == account.portfolio_value == str(cash + 700_000)
    assert account.last_equity == str(cash + 700_000)  # previous close 70,000
    assert account.shorting_enabled is False and account.multiplier == "1"


def test_clock_and_calendar_of_the_always_open_market(client):
    clock = client.get_clock()
    assert clock.is_open is True
    assert clock.next_open == clock.next_close  # the day rolls at Seoul midnight and reopens at once
    assert clock.next_close > clock.timestamp

    days = client.get_calendar(GetCalendarRequest(start=date(2026, 3, 1), end=date(2026, 3, 7)))
    assert [day.date for day in days] == [date(2026, 3, d) for d in range(1, 8)]
    assert (days[0].open.hour, days[0].close.hour, days[0].close.minute) == (0, 23, 59)


@override_settings(ENFORCE_MARKET_HOURS=True)
def test_the_calendar_lists_krx_trading_days_when_hours_are_enforced(client):
    days = client.get_calendar(GetCalendarRequest(start=date(2026, 2, 27), end=date(2026, 3, 6)))
    # 28 Feb and 1 Mar are a weekend, 2 Mar a holiday (MARKET_HOLIDAYS).
    assert [day.date.day for day in days] == [27, 3, 4, 5, 6]
    assert days[0].open == datetime(2026, 2, 27, 9, 0) and days[0].close == datetime(2026, 2, 27, 15, 30)
    clock = client.get_clock()
    assert clock.next_open > clock.timestamp or clock.is_open


def test_assets_by_list_symbol_and_uuid(client, market):
    market["035720"].is_listed = False
    market["035720"].save()

    everything = client.get_all_assets()
    assert [asset.symbol for asset in everything] == ["000660", "005930", "035720"]
    samsung = next(asset for asset in everything if asset.symbol == "005930")
    assert samsung.asset_class == AssetClass.US_EQUITY and samsung.exchange == AssetExchange.EMPTY
    assert samsung.tradable and not samsung.fractionable and samsung.price_increment == 100
    assert samsung.attributes == ["krx", "kospi"] and samsung.name == "삼성전자"
    assert samsung.id == uuid5(NAMESPACE_URL, "stocking:asset:005930")

    active = client.get_all_assets(GetAssetsRequest(status=AssetStatus.ACTIVE))
    assert [asset.symbol for asset in active] == ["000660", "005930"]
    kosdaq = client.get_all_assets(GetAssetsRequest(attributes="kosdaq"))
    assert [(a.symbol, a.status) for a in kosdaq] == [("035720", AssetStatus.INACTIVE)]
    assert client.get_all_assets(GetAssetsRequest(asset_class=AssetClass.CRYPTO)) == []
    assert client.get_all_assets(GetAssetsRequest(exchange=AssetExchange.NYSE)) == []

    assert client.get_asset("005930").id == samsung.id
    assert client.get_asset(samsung.id).symbol == "005930"
    assert client.get_asset(str(samsung.id)).symbol == "005930"
    for missing in ("999999", "AAPL", uuid5(NAMESPACE_URL, "nothing")):
        with pytest.raises(APIError) as error:
            client.get_asset(missing)
        assert (error.value.status_code, error.value.code) == (404, 40410000)


def test_portfolio_history_ends_with_the_live_equity(client, trader, market):
    user, _key_id, _secret = trader
    from portfolio.models import PortfolioSnapshot

    today = date.today()
    for back, total in ((3, "9900000"), (2, "10100000"), (1, "10050000")):
        PortfolioSnapshot.objects.create(
            user=user,
            date=today - timedelta(days=back),
            cash=total,
            holdings_value=0,
            total_value=total,
            net_capital="10000000",
        )

    history = client.get_portfolio_history()
    assert history.timeframe == "1D"
    assert history.equity == [9_900_000.0, 10_100_000.0, 10_050_000.0, 10_000_000.0]
    assert history.profit_loss == [0.0, 200_000.0, 150_000.0, 100_000.0]
    assert history.profit_loss_pct[1] == pytest.approx(200_000 / 9_900_000)
    assert history.timestamp == sorted(history.timestamp) and history.base_value == 9_900_000.0

    week = client.get_portfolio_history(GetPortfolioHistoryRequest(period="2D", timeframe="1H"))
    assert week.timeframe == "1H" and week.equity == [10_100_000.0, 10_050_000.0, 10_000_000.0]
    ranged = client.get_portfolio_history(
        GetPortfolioHistoryRequest(start=datetime.now() - timedelta(days=30), end=datetime.now() - timedelta(days=3))
    )
    assert ranged.equity[:1] == [9_900_000.0]
    with pytest.raises(APIError) as error:
        client.get_portfolio_history(GetPortfolioHistoryRequest(period="1X"))
    assert (error.value.status_code, error.value.code) == (400, 40010000)


def test_account_configurations(client):
    configuration = client.get_account_configurations()
    assert configuration.fractional_trading is False and configuration.no_shorting is True


def test_ids_are_uuids(client, market):
    assert isinstance(client.get_asset("000660").id, UUID)
