from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from trading.models import PriceBar
from trading.services import pricebars
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bars():
    stock = StockFactory(code="005930")
    now = timezone.now()
    for days in (1, 29, 31, 90):
        PriceBarFactory(stock=stock, interval="1m", start=now - timedelta(days=days))
        PriceBarFactory(stock=stock, interval="1d", start=now - timedelta(days=days))
    return stock


def run(*args) -> str:
    out = StringIO()
    call_command("prune_pricebars", *args, stdout=out)
    return out.getvalue()


def test_minute_bars_older_than_keep_go_and_daily_bars_stay(bars, monkeypatch):
    monkeypatch.setattr(pricebars, "PRUNE_BATCH", 1)  # several batches
    assert "Deleted 2 1m bars older than 30d." in run("--keep", "30d")
    assert PriceBar.objects.filter(interval="1m").count() == 2
    assert PriceBar.objects.filter(interval="1d").count() == 4


def test_dry_run_counts_and_deletes_nothing(bars):
    assert "Would delete 3 1m bars" in run("--keep", "2d", "--dry-run")
    assert PriceBar.objects.count() == 8


def test_daily_bars_only_when_asked(bars):
    run("--keep", "60d", "--interval", "1d")
    assert PriceBar.objects.filter(interval="1d").count() == 3


def test_a_bad_keep_is_a_clear_error(bars):
    with pytest.raises(CommandError, match="duration like"):
        run("--keep", "thirty days")


def test_index_minute_bars_are_pruned_with_the_stocks(bars):
    from decimal import Decimal

    from trading.models import IndexBar, MarketIndex

    index = MarketIndex.objects.create(code="KOSPI", name="KOSPI", base_value=Decimal("2600"), divisor=Decimal("1"))
    now = timezone.now()
    for days in (1, 31):
        for interval in ("1m", "1d"):
            IndexBar.objects.create(
                index=index, interval=interval, start=now - timedelta(days=days), open=1, high=1, low=1, close=1
            )
    assert "Would delete 3 1m bars" in run("--keep", "30d", "--dry-run")
    assert "Deleted 3 1m bars older than 30d." in run("--keep", "30d")
    assert sorted(IndexBar.objects.values_list("interval", flat=True)) == ["1d", "1d", "1m"]
