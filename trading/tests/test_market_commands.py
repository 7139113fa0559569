import os
import signal
import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from stocking.core.clock import local_now
from trading.models import Order, OrderStatus, PriceBar, Stock
from trading.tests.factories import StockFactory
from trading.tests.test_matching import _run_in_threads, assert_books_balance, holder, limit, needs_mysql, set_price


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_run_market_runs_a_bounded_number_of_ticks_and_reports_each_one():
    for i, price in enumerate(("70000", "190000", "4995")):
        StockFactory(code=f"{100000 + i:06d}", current_price=Decimal(price), volatility=Decimal("0.05"))
    out, _ = run("run_market", "--ticks", "3", "--interval", "0", "--seed", "42", verbosity=2)
    assert "seed 42" in out
    for tick in (1, 2, 3):
        assert f"tick {tick}: " in out
    assert "tick 4:" not in out
    assert "orders filled" in out and " ms" in out
    assert "stopped after 3 ticks" in out
    assert PriceBar.objects.filter(interval=PriceBar.Interval.MINUTE).exists()
    assert all(volume > 0 for volume in Stock.objects.values_list("volume", flat=True))


@pytest.mark.django_db
def test_run_market_with_the_same_seed_is_reproducible():
    StockFactory(code="005930", current_price=Decimal("70000"), volatility=Decimal("0.3"))

    def run_from_the_same_start() -> tuple[list[str], Decimal]:
        Stock.objects.update(
            current_price=Decimal("70000"), volume=0, day_open=None, day_high=None, day_low=None, trading_date=None
        )
        out, _ = run("run_market", "--ticks", "20", "--interval", "0", "--seed", "9", verbosity=2)
        moved_per_tick = [line.split()[2] for line in out.splitlines() if line.startswith("tick ")]
        return moved_per_tick, Stock.objects.get(code="005930").current_price

    moves, price = run_from_the_same_start()
    assert price != Decimal("70000") and "1" in moves
    assert run_from_the_same_start() == (moves, price)


@pytest.mark.django_db
def test_run_market_fills_orders_the_price_crosses(user, stock):
    order = limit(user, stock, "buy", "69000")
    set_price(stock, "68500")
    out, _ = run("run_market", "--ticks", "1", "--interval", "0", "--no-simulate", verbosity=2)
    assert "tick 1: 0 stocks moved, 1 orders filled, 0 orders expired" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    assert_books_balance(user)


@pytest.mark.django_db
def test_run_market_expires_stale_day_orders_before_the_first_fill(user, stock):
    order = limit(user, stock, "buy", "69000")
    Order.objects.filter(pk=order.pk).update(trading_date=order.trading_date - timedelta(days=1))
    set_price(stock, "68500")
    out, _ = run("run_market", "--ticks", "1", "--interval", "0", "--no-simulate", verbosity=1)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert "0 orders filled, 1 orders expired" in out
    assert_books_balance(user)


@pytest.mark.django_db
def test_run_market_stops_cleanly_on_sigterm_and_prints_a_summary():
    StockFactory(code="005930")

    def safety_net(signum, frame):
        pass  # if run_market failed before taking over SIGTERM, the signal must not kill pytest

    before = signal.signal(signal.SIGTERM, safety_net)
    timer = threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGTERM))
    try:
        timer.start()
        out, _ = run("run_market", "--interval", "0.05", "--seed", "1", verbosity=1)
        timer.join()
        assert "Market engine stopped after" in out
        assert signal.getsignal(signal.SIGTERM) is safety_net
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, before)


def test_run_market_rejects_a_negative_interval():
    with pytest.raises(CommandError):
        run("run_market", "--interval", "-1", "--ticks", "1")


@pytest.mark.django_db
def test_match_orders_prints_each_fill(user, stock):
    seller = holder(stock, quantity=10)
    buy = limit(user, stock, "buy", "69000", quantity=3)
    sell = limit(seller, stock, "sell", "72000", quantity=4)
    set_price(stock, "68000")
    out, _ = run("match_orders")
    assert f"Filled order #{buy.pk}: buy 3 005930 @ 68000 (limit 69000)" in out
    assert "Matched 1 orders." in out
    set_price(stock, "72500")
    out, _ = run("match_orders", "--stock", "005930")
    assert f"Filled order #{sell.pk}: sell 4 005930 @ 72500 (limit 72000)" in out
    assert_books_balance(user, seller)


@pytest.mark.django_db
def test_match_orders_reports_a_closed_market(user, stock, settings):
    order = limit(user, stock, "buy", "69000")
    set_price(stock, "68000")
    settings.ENFORCE_MARKET_HOURS = True
    settings.MARKET_HOLIDAYS = [local_now().date().isoformat()]  # closed all day, whatever the time
    out, _ = run("match_orders")
    assert "market is closed" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.django_db
def test_expire_orders_dry_run_lists_and_changes_nothing_then_expires(user, stock):
    order = limit(user, stock, "buy", "65000")
    Order.objects.filter(pk=order.pk).update(trading_date=order.trading_date - timedelta(days=1))
    out, _ = run("expire_orders", "--dry-run", verbosity=2)
    assert f"Would expire order #{order.pk}" in out
    assert "1 orders would expire" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    out, _ = run("expire_orders", verbosity=2)
    assert f"Expired order #{order.pk}" in out and "1 orders expired" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    out, _ = run("expire_orders")
    assert "0 orders expired, 0 stocks rolled" in out
    assert_books_balance(user)


@pytest.mark.django_db
def test_import_stocks_rejects_a_bad_file_with_line_numbers(tmp_path):
    path = tmp_path / "stocks.csv"
    path.write_text("code,name,market,sector,price\n005930,삼성전자,KOSPI,전기전자,70000\n00066,Bad,KOSPI,전기전자,1\n")
    with pytest.raises(CommandError, match="1 invalid rows; nothing was imported"):
        run("import_stocks", str(path))
    assert not Stock.objects.exists()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_stocks", str(path), stdout=StringIO(), stderr=err)
    assert "line 3: code '00066' is not six digits" in err.getvalue()


@pytest.mark.django_db
def test_import_stocks_skip_invalid_and_dry_run(tmp_path):
    path = tmp_path / "stocks.csv"
    path.write_text("code,name,market,sector,price\n005930,삼성전자,KOSPI,전기전자,70000\n00066,Bad,KOSPI,전기전자,1\n")
    out, err = run("import_stocks", str(path), "--skip-invalid", "--dry-run")
    assert "Would import 1 stocks (1 new, 0 updated), skipped 1 invalid rows." in out
    assert "line 3:" in err
    assert not Stock.objects.exists()
    out, _ = run("import_stocks", str(path), "--skip-invalid")
    assert "Imported 1 stocks" in out
    assert Stock.objects.get().code == "005930"


@pytest.mark.django_db
def test_import_stocks_reads_korean_excel_files_with_an_encoding_option(tmp_path):
    path = tmp_path / "stocks.csv"
    path.write_bytes("code,name,market,sector,price\n005930,삼성전자,KOSPI,전기전자,70000\n".encode("cp949"))
    with pytest.raises(CommandError, match="try --encoding cp949"):
        run("import_stocks", str(path))
    run("import_stocks", str(path), "--encoding", "cp949")
    assert Stock.objects.get().name == "삼성전자"


@pytest.mark.django_db
def test_import_prices_command(tmp_path):
    StockFactory(code="005930")
    path = tmp_path / "prices.csv"
    path.write_text(
        "code,date_or_datetime,interval,open,high,low,close,volume\n"
        "005930,2026-11-23,1d,69000,71000,68500,70000,1500000\n"
        "005930,2026-11-24,1d,70000,70500,69000,69500,1200000\n"
    )
    out, _ = run("import_prices", str(path))
    assert "Imported 2 bars (2 new, 0 updated)." in out
    assert PriceBar.objects.filter(interval="1d").count() == 2
    with pytest.raises(CommandError, match="No such file"):
        run("import_prices", str(tmp_path / "missing.csv"))


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_two_market_engines_side_by_side_settle_every_order_once():
    stocks = [StockFactory(code=f"{200000 + i:06d}", volatility=Decimal("0.3")) for i in range(4)]
    traders = [holder(stock, quantity=20) for stock in stocks]
    orders = []
    for trader, stock in zip(traders, stocks, strict=True):
        for step in range(1, 6):
            orders.append(limit(trader, stock, "buy", str(10000 - 100 * step), quantity=2))
            orders.append(limit(trader, stock, "sell", str(10000 + 100 * step), quantity=2))

    def engine(seed: int):
        run("run_market", "--ticks", "25", "--interval", "0", "--seed", str(seed), verbosity=0)

    with override_settings(SIMULATOR_SPEEDUP=3000.0):
        assert not _run_in_threads(lambda: engine(1), lambda: engine(2))
    filled = Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.FILLED)
    assert filled.exists()
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert order.executions.count() == (1 if order.status == OrderStatus.FILLED else 0)
    assert_books_balance(*traders)
