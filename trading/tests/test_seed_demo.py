import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from accounts.models import User
from accounts.tests.factories import UserFactory
from portfolio.models import Balance, CashLedgerEntry, Position
from portfolio.tests.helpers import assert_books_balance
from stocking.core.clock import SEOUL
from trading import krx
from trading.demo_data import DEMO_STOCKS, DEMO_USERS
from trading.models import OPEN_STATUSES, Execution, Market, Order, OrderStatus, PriceBar, Stock
from trading.sessions import current_trading_date, is_trading_day
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
DAYS = 20


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--days", str(DAYS), *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    from watchlist.models import WatchlistItem

    models = (Stock, PriceBar, User, Order, Execution, CashLedgerEntry, Position, Balance, WatchlistItem)
    return {model.__name__: model.objects.count() for model in models}


def test_seed_creates_a_universe_of_real_codes_with_quotes_on_the_tick_grid():
    output = seed("--no-users")

    stocks = list(Stock.objects.all())
    assert len(stocks) == len(DEMO_STOCKS) >= 40
    assert f"Stocks: {len(stocks)} created, 0 found" in output
    assert {stock.market for stock in stocks} == {Market.KOSPI, Market.KOSDAQ}
    assert Stock.objects.get(code="005930").name == "삼성전자"
    assert Stock.objects.get(code="247540").market == Market.KOSDAQ
    today = current_trading_date()
    for stock in stocks:
        assert re.fullmatch(r"\d{6}", stock.code)
        assert stock.is_tradable and stock.sector
        assert Decimal("0.01") <= stock.volatility <= Decimal("0.05")
        for price in (stock.current_price, stock.previous_close, stock.day_open, stock.day_high, stock.day_low):
            assert krx.is_on_tick(price), (stock.code, price)
        assert stock.day_low <= min(stock.day_open, stock.current_price)
        assert max(stock.day_open, stock.current_price) <= stock.day_high
        assert krx.price_limits(stock.previous_close).contains(stock.day_high)
        assert krx.price_limits(stock.previous_close).contains(stock.day_low)
        assert stock.volume > 0 and stock.trading_date == today
    # The quote is the data file's price: the walk ends there, so chart and quote agree.
    assert {s.code: s.current_price for s in stocks} == {d.code: Decimal(d.price) for d in DEMO_STOCKS}


def test_every_daily_bar_is_valid_and_the_last_close_is_the_previous_close():
    seed("--no-users")

    today = current_trading_date()
    expected_days = [day for day in (today - timedelta(days=n) for n in range(DAYS, 0, -1)) if is_trading_day(day)]
    assert not PriceBar.objects.filter(interval=PriceBar.Interval.MINUTE).exists()
    for stock in Stock.objects.all():
        bars = list(stock.bars.filter(interval=PriceBar.Interval.DAY).order_by("start"))
        assert [bar.start.astimezone(SEOUL).date() for bar in bars] == expected_days
        previous = None
        for bar in bars:
            assert all(krx.is_on_tick(price) for price in (bar.open, bar.high, bar.low, bar.close)), bar
            assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high, bar
            assert bar.volume > 0
            if previous is not None:
                limits = krx.price_limits(previous.close)
                assert limits.contains(bar.low) and limits.contains(bar.high), (previous, bar)
            previous = bar
        assert bars[-1].close == stock.previous_close
        assert krx.price_limits(stock.previous_close).contains(stock.current_price)


def test_demo_users_hold_positions_bought_through_real_orders_and_their_ledger_sums_to_cash():
    output = seed()

    assert f"Demo users: {len(DEMO_USERS)} created, 0 found" in output
    assert "demo / stocking-demo" in output
    demo = User.objects.get(username="demo")
    assert demo.check_password("stocking-demo") and not demo.is_staff
    positions = Position.objects.filter(user=demo)
    assert positions.count() >= 3
    for position in positions:
        assert Order.objects.filter(
            user=demo, stock=position.stock, side="buy", status=OrderStatus.FILLED, client_order_id__startswith="seed-"
        ).exists()
    balance = Balance.objects.get(user=demo)
    assert CashLedgerEntry.objects.filter(user=demo).aggregate(total=Sum("amount"))["total"] == balance.cash
    resting = Order.objects.filter(user=demo, status__in=OPEN_STATUSES)
    assert resting.count() == 2
    assert balance.reserved_cash == sum(order.reserved_cash for order in resting) > 0
    # minjun's partial sell realized P/L and paid the sell tax.
    assert CashLedgerEntry.objects.filter(user__username="minjun", kind="tax").exists()
    assert_books_balance()


def test_demo_users_are_on_the_leaderboard_and_watch_some_stocks():
    from watchlist.models import WatchlistItem

    seed()
    seed()
    demo = User.objects.get(username="demo")
    assert (demo.display_name, demo.show_on_leaderboard) == ("데모투자자", True)
    watched = WatchlistItem.objects.filter(watchlist__user=demo).order_by("position")
    assert list(watched.values_list("stock__code", flat=True)) == list(DEMO_USERS[0].watching)


def test_second_run_creates_nothing():
    seed("--with-admin")
    before = row_counts()

    output = seed("--with-admin")

    assert row_counts() == before
    assert f"Stocks: 0 created, {len(DEMO_STOCKS)} found" in output
    assert "Daily bars: 0 created" in output
    assert f"Demo users: 0 created, {len(DEMO_USERS)} found" in output
    assert "Demo orders: 0 placed, " in output
    assert "Admin user: found" in output
    assert_books_balance()


def test_the_same_seed_reproduces_the_same_history_and_another_seed_does_not():
    def closes() -> list[Decimal]:
        return list(PriceBar.objects.order_by("stock__code", "start").values_list("close", flat=True))

    seed("--no-users", "--seed", "7")
    first = closes()
    Stock.objects.all().delete()
    seed("--no-users", "--seed", "7")
    assert closes() == first
    Stock.objects.all().delete()
    seed("--no-users", "--seed", "8")
    assert closes() != first


def test_an_existing_stock_keeps_its_quote_and_gets_history_ending_at_its_previous_close():
    StockFactory(code="005930", name="삼성전자", current_price=Decimal("71000"), previous_close=Decimal("70500"))

    output = seed("--no-users")

    assert f"Stocks: {len(DEMO_STOCKS) - 1} created, 1 found" in output
    stock = Stock.objects.get(code="005930")
    assert (stock.current_price, stock.previous_close) == (Decimal("71000"), Decimal("70500"))
    assert stock.bars.order_by("start").last().close == Decimal("70500")


def test_dry_run_rolls_everything_back():
    output = seed("--dry-run", "--with-admin")

    assert "rolled back" in output
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_with_admin_creates_a_superuser_and_warns_it_is_for_local_demos():
    output = seed("--no-users", "--with-admin")

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("stocking-admin")
    assert "local demos only" in output.lower()
    assert not User.objects.filter(username="demo").exists()


def test_with_admin_refuses_to_promote_an_existing_ordinary_account():
    UserFactory(username="admin", email="someone@example.com")

    with pytest.raises(CommandError, match="not promoting"):
        seed("--no-users", "--with-admin")

    assert not User.objects.get(username="admin").is_superuser


def test_an_unrelated_account_with_a_demo_username_is_left_alone():
    stranger = UserFactory(username="demo", email="stranger@example.com")

    output = seed()

    assert "skipped demo: an unrelated account has this username; left alone" in output
    assert not Order.objects.filter(user=stranger).exists()
    assert not stranger.check_password("stocking-demo")
    assert Order.objects.filter(user__username="jiwoo").exists()


def test_orders_refused_by_a_closed_market_are_reported_and_placed_by_a_later_run(settings, monkeypatch):
    settings.ENFORCE_MARKET_HOURS = True
    saturday_noon = datetime(2026, 11, 21, 12, 0, tzinfo=SEOUL)
    monkeypatch.setattr("trading.sessions.local_now", lambda now=None: now or saturday_noon)

    output = seed()

    assert "Demo orders: 0 placed" in output
    assert "skipped demo buy 005930: The market is closed" in output
    assert User.objects.filter(username="demo").exists()
    assert not Order.objects.exists()

    monkeypatch.setattr("trading.sessions.local_now", lambda now=None: now or saturday_noon + timedelta(days=2))
    output = seed()
    assert "Demo users: 0 created" in output
    assert Order.objects.filter(user__username="demo").count() == 6
    assert_books_balance()
