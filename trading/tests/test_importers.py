from datetime import date, datetime
from decimal import Decimal

import pytest

from stocking.core.clock import SEOUL
from trading.importers import prices_import, stocks_import
from trading.models import PriceBar, Stock
from trading.services.market_day import daily_bar_start
from trading.tests.factories import StockFactory

STOCKS_HEADER = "code,name,market,sector,price,previous_close,volatility"
PRICES_HEADER = "code,date_or_datetime,interval,open,high,low,close,volume"


def lines(*rows: str) -> list[str]:
    return [row + "\n" for row in rows]


@pytest.mark.django_db
def test_stocks_are_created_and_updated_by_code():
    StockFactory(code="005930", name="Old name", current_price=Decimal("60000"))
    report = stocks_import(
        lines=lines(
            STOCKS_HEADER,
            "005930,삼성전자,kospi,전기전자,70000,69000,0.018",
            "035720,카카오,KOSDAQ,인터넷,45000,,",
        )
    )
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    samsung = Stock.objects.get(code="005930")
    assert (samsung.name, samsung.market, samsung.current_price, samsung.previous_close) == (
        "삼성전자",
        "KOSPI",
        Decimal("70000"),
        Decimal("69000"),
    )
    assert samsung.volatility == Decimal("0.0180")
    assert samsung.day_high == Decimal("70000")
    kakao = Stock.objects.get(code="035720")
    assert kakao.previous_close == kakao.current_price == Decimal("45000")
    assert kakao.volatility == Decimal("0.0200")


@pytest.mark.django_db
def test_the_optional_columns_may_be_left_out_of_the_header():
    report = stocks_import(lines=lines("code,name,market,sector,price", "000660,SK하이닉스,KOSPI,반도체,190000"))
    assert report.created == 1 and not report.errors


@pytest.mark.django_db
def test_a_bad_row_rejects_the_whole_file_and_every_error_has_its_line_number():
    report = stocks_import(
        lines=lines(
            STOCKS_HEADER,
            "005930,삼성전자,KOSPI,전기전자,70000,,",
            "12345,Short code,KOSPI,전기전자,1000,,",
            "000660,SK하이닉스,KOSPI,전기전자,190050,,",
            "005930,Duplicate,KOSPI,전기전자,70000,,",
            "035720,카카오,NYSE,전기전자,45000,,",
            "",
            "000270,기아,KOSPI,운수장비,100000,70000,",
            "000100,유한양행,KOSPI,의약품,abc,,",
            "000200,Too few,KOSPI",
            "000300,Wild,KOSPI,전기전자,1000,,2.5",
        )
    )
    assert report.rejected
    assert [str(error) for error in report.errors] == [
        "line 3: code '12345' is not six digits",
        "line 4: price 190050 is not on the tick grid (100 won ticks)",
        "line 5: duplicate of line 2",
        "line 6: market 'NYSE' is not one of KOSPI, KOSDAQ, KONEX",
        "line 8: price 100000 is outside the daily limits 49000–91000 of previous close 70000",
        "line 9: price 'abc' is not a number",
        "line 10: expected 7 columns, got 3",
        "line 11: volatility must be a daily σ above 0 and at most 1 (e.g. 0.02)",
    ]
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_a_new_price_for_a_known_stock_must_respect_its_previous_close():
    StockFactory(code="005930", current_price=Decimal("70000"), previous_close=Decimal("70000"))
    report = stocks_import(lines=lines("code,name,market,sector,price", "005930,삼성전자,KOSPI,전기전자,95000"))
    assert [str(error) for error in report.errors] == [
        "line 2: price 95000 is outside the daily limits 49000–91000 of previous close 70000"
    ]
    assert Stock.objects.get(code="005930").current_price == Decimal("70000")


@pytest.mark.django_db
def test_skip_invalid_imports_the_good_rows():
    report = stocks_import(
        lines=lines(STOCKS_HEADER, "005930,삼성전자,KOSPI,전기전자,70000,,", "000660,Bad,KOSPI,전기전자,-5,,"),
        skip_invalid=True,
    )
    assert not report.rejected and report.created == 1
    assert [str(error) for error in report.errors] == ["line 3: price '-5' must be positive"]
    assert list(Stock.objects.values_list("code", flat=True)) == ["005930"]


@pytest.mark.django_db
def test_dry_run_validates_and_counts_but_writes_nothing():
    report = stocks_import(lines=lines(STOCKS_HEADER, "005930,삼성전자,KOSPI,전기전자,70000,,"), dry_run=True)
    assert report.created == 1 and report.dry_run
    assert not Stock.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("code,name,market,price", "line 1: the header must be code,name,market,sector,price"),
        ("code,name,market,sector,price,colour", "line 1: the header must be"),
        ("", "line 1: the file is empty"),
    ],
)
def test_a_wrong_header_is_reported_on_line_1(header, message):
    report = stocks_import(lines=lines(header) if header else [])
    assert report.rejected and str(report.errors[0]).startswith(message)


@pytest.mark.django_db
def test_daily_and_minute_bars_are_imported_in_korean_time():
    stock = StockFactory(code="005930")
    report = prices_import(
        lines=lines(
            PRICES_HEADER,
            "005930,2026-11-23,1d,69000,71000,68500,70000,1500000",
            "005930,2026-11-24T09:01,1m,70000,70200,69900,70100,1200",
            "005930,2026-11-24T00:02:00+00:00,1m,70100,70100,70000,70000,800",
        )
    )
    assert (report.created, report.errors) == (3, [])
    daily = PriceBar.objects.get(stock=stock, interval="1d")
    assert daily.start == daily_bar_start(date(2026, 11, 23))
    assert (daily.open, daily.high, daily.low, daily.close, daily.volume) == (
        Decimal("69000"),
        Decimal("71000"),
        Decimal("68500"),
        Decimal("70000"),
        1500000,
    )
    starts = list(PriceBar.objects.filter(stock=stock, interval="1m").order_by("start").values_list("start", flat=True))
    assert starts == [datetime(2026, 11, 24, 9, 1, tzinfo=SEOUL), datetime(2026, 11, 24, 9, 2, tzinfo=SEOUL)]


@pytest.mark.django_db
def test_an_existing_bar_is_replaced():
    stock = StockFactory(code="005930")
    prices_import(lines=lines(PRICES_HEADER, "005930,2026-11-23,1d,69000,71000,68500,70000,100"))
    report = prices_import(lines=lines(PRICES_HEADER, "005930,2026-11-23,1d,69000,72000,68500,71500,200"))
    assert (report.created, report.updated) == (0, 1)
    bar = PriceBar.objects.get(stock=stock)
    assert (bar.high, bar.close, bar.volume) == (Decimal("72000"), Decimal("71500"), 200)


@pytest.mark.django_db
def test_bad_price_rows_are_reported_with_line_numbers_and_nothing_is_written():
    StockFactory(code="005930")
    report = prices_import(
        lines=lines(
            PRICES_HEADER,
            "005930,2026-11-23,1d,69000,71000,68500,70000,100",
            "999999,2026-11-23,1d,69000,71000,68500,70000,100",
            "005930,2026-11-24,1d,69000,68000,68500,70000,100",
            "005930,2026-11-25,1w,69000,71000,68500,70000,100",
            "005930,yesterday,1d,69000,71000,68500,70000,100",
            "005930,2026-11-24T09:01:30,1m,69000,71000,68500,70000,100",
            "005930,2026-11-24T09:30,1d,69000,71000,68500,70000,100",
            "005930,2026-11-23,1d,69000,71000,68500,70000,-1",
            "005930,2026-11-23,1d,69000,71000,68500,70000,100",
        )
    )
    assert report.rejected
    assert [str(error) for error in report.errors] == [
        "line 3: no stock with code 999999 (import it with import_stocks first)",
        "line 4: prices must satisfy low ≤ open, close ≤ high",
        "line 5: interval '1w' is not one of 1m, 1d",
        "line 6: date_or_datetime 'yesterday' is not an ISO date (YYYY-MM-DD) or date-time",
        "line 7: a 1m bar must start on a whole minute",
        "line 8: a 1d bar takes a date, not a time of day",
        "line 9: volume '-1' must be zero or more",
        "line 10: duplicate of line 2",
    ]
    assert not PriceBar.objects.exists()


@pytest.mark.django_db
def test_sectors_are_krx_groups_and_known_themes_are_mapped_onto_them():
    report = stocks_import(
        lines=lines(
            "code,name,market,sector,price",
            "005930,삼성전자,KOSPI,전기전자,70000",
            "000660,SK하이닉스,KOSPI,반도체,190000",
            "035720,카카오,KOSPI,,45000",
            "000270,기아,KOSPI,Auto,100000",
        ),
        skip_invalid=True,
    )
    assert [str(error) for error in report.errors] == [
        "line 5: sector 'Auto' is not a KRX industry group (e.g. 전기전자) or a known theme"
    ]
    sectors = dict(Stock.objects.values_list("code", "sector"))
    assert sectors == {"005930": "전기전자", "000660": "전기전자", "035720": ""}


@pytest.mark.django_db
def test_listed_shares_and_float_ratio_are_read_and_checked():
    header = "code,name,market,sector,price,listed_shares,float_ratio"
    report = stocks_import(
        lines=lines(
            header,
            "005930,삼성전자,KOSPI,전기전자,70000,5919637922,75.5",
            "000660,SK하이닉스,KOSPI,전기전자,190000,,",
            "035720,카카오,KOSPI,서비스업,45000,1.5,",
            "000270,기아,KOSPI,운수장비,100000,1000,100.01",
        ),
        skip_invalid=True,
    )
    assert [str(error) for error in report.errors] == [
        "line 4: listed_shares '1.5' is not a whole number of shares",
        "line 5: float_ratio must be a percentage from 0 to 100 with at most 2 decimal places",
    ]
    samsung, hynix = Stock.objects.get(code="005930"), Stock.objects.get(code="000660")
    assert (samsung.listed_shares, samsung.float_ratio) == (5919637922, Decimal("75.50"))
    assert (hynix.listed_shares, hynix.float_ratio) == (0, None)
