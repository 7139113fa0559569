from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from portfolio.models import Balance, Position
from stocking.core.clock import SEOUL
from trading.models import Order, OrderStatus, PriceBar, Stock
from trading.services import order_execute
from trading.services.market_day import daily_bar_start, market_day_plan, market_day_roll
from trading.tests.factories import StockFactory
from trading.tests.test_matching import _run_in_threads, assert_books_balance, holder, limit, needs_mysql

TUESDAY = date(2026, 11, 24)
ZERO = Decimal("0")


def midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0, 1), tzinfo=SEOUL)


def on_day(day: date, *objects) -> None:
    """Put orders and stocks on `day`, as if they had been placed or rolled then."""
    for obj in objects:
        type(obj).objects.filter(pk=obj.pk).update(trading_date=day)


@pytest.mark.django_db
def test_day_roll_expires_day_orders_and_releases_every_reservation(stock):
    seller = holder(stock, quantity=50)
    buyer = UserFactory()
    buy = limit(buyer, stock, "buy", "65000", quantity=10)
    sell = limit(seller, stock, "sell", "75000", quantity=20)
    on_day(TUESDAY, buy, sell, stock)
    cash_before = Balance.objects.get(user=buyer).cash
    assert Balance.objects.get(user=buyer).reserved_cash == buy.reserved_cash > 0
    assert Position.objects.get(user=seller).reserved_quantity == 20

    result = market_day_roll(now=midnight_after(TUESDAY))

    assert sorted(result.expired_order_ids) == sorted([buy.pk, sell.pk])
    for order in (buy, sell):
        order.refresh_from_db()
        assert order.status == OrderStatus.EXPIRED
        assert (order.reserved_cash, order.reserved_quantity) == (ZERO, 0)
        assert order.closed_at is not None and "expired" in order.reject_reason
        assert order.cancel_reason == "expired"
    balance = Balance.objects.get(user=buyer)
    assert (balance.cash, balance.reserved_cash) == (cash_before, ZERO)
    position = Position.objects.get(user=seller)
    assert (position.quantity, position.reserved_quantity) == (50, 0)
    assert_books_balance(buyer, seller)


@pytest.mark.django_db
def test_a_partially_filled_day_order_expires_with_the_rest_released(user, stock):
    order = limit(user, stock, "buy", "65000", quantity=10)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        order_execute(order=locked, quantity=4, price=Decimal("65000"))
    on_day(TUESDAY, order)
    market_day_roll(now=midnight_after(TUESDAY))
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.reserved_cash) == (OrderStatus.EXPIRED, 4, ZERO)
    assert Balance.objects.get(user=user).reserved_cash == ZERO
    assert Position.objects.get(user=user).quantity == 4
    assert_books_balance(user)


@pytest.mark.django_db
def test_gtc_orders_never_expire(user, stock):
    order = limit(user, stock, "buy", "65000", tif="gtc")
    on_day(TUESDAY, order)
    market_day_roll(now=midnight_after(TUESDAY + timedelta(days=30)))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Balance.objects.get(user=user).reserved_cash == order.reserved_cash > 0
    assert_books_balance(user)


@pytest.mark.django_db
def test_day_orders_of_the_current_day_stay_open(user, stock):
    order = limit(user, stock, "buy", "65000")
    on_day(TUESDAY, order)
    assert market_day_roll(now=datetime(2026, 11, 24, 23, 59, tzinfo=SEOUL)).expired == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.django_db
def test_day_roll_writes_the_daily_bar_and_starts_the_new_day_from_the_last_price():
    stock = StockFactory(
        code="000660",
        current_price=Decimal("190500"),
        previous_close=Decimal("185000"),
        day_open=Decimal("186000"),
        day_high=Decimal("192000"),
        day_low=Decimal("184500"),
        volume=123456,
        trading_date=TUESDAY,
    )
    result = market_day_roll(now=midnight_after(TUESDAY))
    assert result.rolled_stock_ids == [stock.pk] and result.trading_date == TUESDAY + timedelta(days=1)
    bar = PriceBar.objects.get(stock=stock, interval=PriceBar.Interval.DAY)
    assert bar.start == daily_bar_start(TUESDAY)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        Decimal("186000"),
        Decimal("192000"),
        Decimal("184500"),
        Decimal("190500"),
        123456,
    )
    stock.refresh_from_db()
    assert stock.previous_close == Decimal("190500")
    assert (stock.day_open, stock.day_high, stock.day_low) == (Decimal("190500"),) * 3
    assert (stock.volume, stock.trading_date) == (0, TUESDAY + timedelta(days=1))


@pytest.mark.django_db
def test_day_roll_is_idempotent(user, stock):
    order = limit(user, stock, "buy", "65000")
    on_day(TUESDAY, order, stock)
    first = market_day_roll(now=midnight_after(TUESDAY))
    second = market_day_roll(now=midnight_after(TUESDAY) + timedelta(hours=1))
    assert (first.expired, first.rolled) == (1, 1)
    assert (second.expired, second.rolled) == (0, 0)
    assert PriceBar.objects.filter(stock=stock, interval=PriceBar.Interval.DAY).count() == 1
    assert_books_balance(user)


@pytest.mark.django_db
def test_first_roll_of_a_new_stock_only_dates_it():
    stock = StockFactory(code="035720", day_open=None, day_high=None, day_low=None, previous_close=None)
    market_day_roll(now=midnight_after(TUESDAY))
    stock.refresh_from_db()
    assert stock.trading_date == TUESDAY + timedelta(days=1)
    assert stock.previous_close == stock.day_open == stock.current_price
    assert not PriceBar.objects.exists()


@pytest.mark.django_db
def test_with_enforced_hours_the_day_ends_at_the_close(user, stock, settings):
    order = limit(user, stock, "buy", "65000")
    on_day(TUESDAY, order, stock)
    settings.ENFORCE_MARKET_HOURS = True
    assert market_day_roll(now=datetime(2026, 11, 24, 15, 29, tzinfo=SEOUL)).expired == 0
    result = market_day_roll(now=datetime(2026, 11, 24, 15, 30, tzinfo=SEOUL))
    assert result.expired == 1 and result.trading_date == date(2026, 11, 25)
    friday = date(2026, 11, 27)
    on_day(friday, stock)
    # Friday's close rolls straight to Monday.
    assert market_day_roll(now=datetime(2026, 11, 27, 16, 0, tzinfo=SEOUL)).trading_date == date(2026, 11, 30)


@pytest.mark.django_db
def test_plan_lists_what_would_expire_without_changing_anything(user, stock):
    order = limit(user, stock, "buy", "65000")
    on_day(TUESDAY, order, stock)
    plan = market_day_plan(now=midnight_after(TUESDAY))
    assert [o.pk for o in plan.orders] == [order.pk]
    assert [s.pk for s in plan.stocks] == [stock.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Stock.objects.get(pk=stock.pk).trading_date == TUESDAY


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_two_processes_rolling_at_once_expire_and_roll_each_thing_once():
    stocks = [StockFactory(code=f"{100 + i:06d}", trading_date=TUESDAY) for i in range(5)]
    users = [UserFactory() for _ in range(3)]
    orders = [limit(user, stock, "buy", "9000", quantity=5) for user in users for stock in stocks]
    Order.objects.update(trading_date=TUESDAY)
    results = []
    errors = _run_in_threads(*(lambda: results.append(market_day_roll(now=midnight_after(TUESDAY))) for _ in range(3)))
    assert not errors
    expired = sorted(order_id for result in results for order_id in result.expired_order_ids)
    assert expired == sorted(order.pk for order in orders)
    assert sum(result.rolled for result in results) == len(stocks)
    assert PriceBar.objects.filter(interval=PriceBar.Interval.DAY).count() == len(stocks)
    assert_books_balance(*users)
