import contextlib
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import client_for
from portfolio.audit import run_audit
from portfolio.models import Balance, CashLedgerEntry, Position
from stocking.core.clock import SEOUL
from stocking.core.exceptions import InsufficientFunds, OrderNotCancellable
from trading.models import OPEN_STATUSES, Execution, Order, OrderSide, OrderStatus, Stock
from trading.services import matching, order_cancel, order_place
from trading.services.matching import match_orders
from trading.tests.factories import StockFactory

ZERO = Decimal("0")
needs_mysql = pytest.mark.skipif(connection.vendor != "mysql", reason="needs MySQL/MariaDB row locks")


def assert_books_balance(*users) -> None:
    """Every money invariant for these users, then the project-wide audit."""
    for user in users:
        balance = Balance.objects.get(user=user)
        ledger = CashLedgerEntry.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or ZERO
        assert ledger == balance.cash, f"{user}: ledger {ledger} != cash {balance.cash}"
        open_orders = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
        held_cash = open_orders.filter(side=OrderSide.BUY).aggregate(total=Sum("reserved_cash"))["total"] or ZERO
        assert balance.reserved_cash == held_cash, f"{user}: reserved {balance.reserved_cash} != {held_cash}"
        for position in Position.objects.filter(user=user):
            held = (
                open_orders.filter(side=OrderSide.SELL, stock=position.stock).aggregate(total=Sum("reserved_quantity"))[
                    "total"
                ]
                or 0
            )
            assert position.reserved_quantity == held, f"{user} {position.stock_id}: {position.reserved_quantity}"
    report = run_audit()
    assert report.ok, report.violations


def set_price(stock: Stock, price: str) -> None:
    Stock.objects.filter(pk=stock.pk).update(current_price=Decimal(price))


def limit(user, stock, side: str, price: str, quantity: int = 10, tif: str = "day") -> Order:
    placed = order_place(
        user=user,
        stock_code=stock.code,
        side=side,
        order_type="limit",
        quantity=quantity,
        limit_price=Decimal(price),
        time_in_force=tif,
    )
    return placed.order


def holder(stock: Stock, quantity: int = 100):
    """A user who owns `quantity` shares of `stock`, bought at the current price."""
    user = UserFactory()
    order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=quantity)
    return user


@pytest.mark.django_db
def test_buy_limit_fills_when_price_falls_to_the_limit(user, stock):
    order = limit(user, stock, "buy", "69000")
    set_price(stock, "69100")
    assert match_orders().filled == 0
    set_price(stock, "69000")
    result = match_orders()
    order.refresh_from_db()
    assert [fill.order_id for fill in result.fills] == [order.pk]
    assert order.status == OrderStatus.FILLED
    assert order.average_fill_price == Decimal("69000.00")
    assert order.reserved_cash == ZERO
    assert_books_balance(user)


@pytest.mark.django_db
def test_buy_fills_at_the_market_price_not_the_limit(user, stock):
    order = limit(user, stock, "buy", "69000")
    set_price(stock, "68000")
    match_orders()
    execution = Execution.objects.get(order=order)
    assert execution.price == Decimal("68000")
    balance = Balance.objects.get(user=user)
    # 680,000 + 102 commission; the 690,103 held at the limit is released in full.
    assert balance.cash == Decimal("10000000") - Decimal("680102")
    assert balance.reserved_cash == ZERO
    assert_books_balance(user)


@pytest.mark.django_db
def test_sell_limit_fills_when_price_rises_to_the_limit_at_the_market_price(stock):
    seller = holder(stock)
    order = limit(seller, stock, "sell", "71000")
    set_price(stock, "70900")
    assert match_orders().filled == 0
    assert Position.objects.get(user=seller).reserved_quantity == 10
    set_price(stock, "71500")
    match_orders()
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    assert Execution.objects.get(order=order).price == Decimal("71500")
    position = Position.objects.get(user=seller)
    assert (position.quantity, position.reserved_quantity) == (90, 0)
    assert_books_balance(seller)


@pytest.mark.django_db
def test_orders_fill_oldest_first_by_creation_time(user, stock):
    first, second, third = (limit(user, stock, "buy", "69000", quantity=1) for _ in range(3))
    # The newest id is made the oldest: creation time decides, the id only breaks ties.
    Order.objects.filter(pk=third.pk).update(created_at=first.created_at - timedelta(seconds=1))
    set_price(stock, "68000")
    result = match_orders()
    assert [fill.order_id for fill in result.fills] == [third.pk, first.pk, second.pk]
    executions = Execution.objects.order_by("id").values_list("order_id", flat=True)
    assert list(executions) == [third.pk, first.pk, second.pk]


@pytest.mark.django_db
def test_halted_stock_never_fills_until_trading_resumes(user, stock):
    order = limit(user, stock, "buy", "69000")
    Stock.objects.filter(pk=stock.pk).update(current_price=Decimal("68000"), is_halted=True)
    assert match_orders().filled == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    Stock.objects.filter(pk=stock.pk).update(is_halted=False)
    assert match_orders().filled == 1


@pytest.mark.django_db
def test_stock_without_a_price_is_never_matched(user, stock):
    order = limit(user, stock, "buy", "69000")
    Stock.objects.filter(pk=stock.pk).update(current_price=None)
    assert match_orders().filled == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.django_db
def test_day_order_of_a_finished_day_waits_for_expiry_but_gtc_fills(user, stock):
    day_order = limit(user, stock, "buy", "69000", quantity=1)
    gtc_order = limit(user, stock, "buy", "69000", quantity=1, tif="gtc")
    Order.objects.filter(pk__in=[day_order.pk, gtc_order.pk]).update(
        trading_date=day_order.trading_date - timedelta(days=1)
    )
    set_price(stock, "68000")
    assert [fill.order_id for fill in match_orders().fills] == [gtc_order.pk]


@pytest.mark.django_db
def test_nothing_fills_while_the_market_is_closed_under_enforced_hours(user, stock, settings):
    limit(user, stock, "buy", "69000", tif="gtc")
    set_price(stock, "68000")
    settings.ENFORCE_MARKET_HOURS = True
    for closed in (datetime(2026, 11, 28, 10, 0), datetime(2026, 11, 24, 8, 59), datetime(2026, 11, 24, 15, 30)):
        result = match_orders(now=closed.replace(tzinfo=SEOUL))
        assert not result.market_open and result.filled == 0
    assert match_orders(now=datetime(2026, 11, 24, 15, 29, tzinfo=SEOUL)).filled == 1  # a Tuesday session


@pytest.mark.django_db
def test_an_order_that_cannot_be_settled_stays_open_and_the_pass_goes_on(user, stock, monkeypatch, caplog):
    stuck = limit(user, stock, "buy", "69000", quantity=1)
    fine = limit(user, stock, "buy", "69000", quantity=1)
    real_execute, real_batch = matching.order_execute, matching.fills_for_locked_orders

    def execute(*, order, quantity, price):
        if order.pk == stuck.pk:
            raise InsufficientFunds()
        return real_execute(order=order, quantity=quantity, price=price)

    def batch(*, fills, **kwargs):
        if any(request.order.pk == stuck.pk for request in fills):
            raise InsufficientFunds()  # the batch fails as a whole and is retried order by order
        return real_batch(fills=fills, **kwargs)

    monkeypatch.setattr(matching, "order_execute", execute)
    monkeypatch.setattr(matching, "fills_for_locked_orders", batch)
    set_price(stock, "68000")
    result = match_orders()
    assert result.failed_order_ids == [stuck.pk]
    assert [fill.order_id for fill in result.fills] == [fine.pk]
    stuck.refresh_from_db()
    assert stuck.status == OrderStatus.PENDING and stuck.reserved_cash > 0
    assert "could not be settled" in caplog.text
    assert_books_balance(user)


@pytest.mark.django_db
def test_pass_cost_does_not_grow_with_resting_orders(stock):
    trader = UserFactory()
    limit(trader, stock, "buy", "69000", quantity=1)
    set_price(stock, "69000")
    with CaptureQueriesContext(connection) as few:
        assert match_orders().filled == 1
    for _ in range(60):
        limit(trader, stock, "buy", "60000", quantity=1)
    limit(trader, stock, "buy", "68000", quantity=1)
    set_price(stock, "68000")
    with CaptureQueriesContext(connection) as many:
        assert match_orders().filled == 1
    assert len(many) == len(few)


@pytest.mark.django_db
def test_limit_order_placed_through_the_api_fills_after_the_price_crosses(user, stock):
    client = client_for(user)
    response = client.post(
        "/api/v1/orders",
        {"stock": stock.code, "side": "buy", "order_type": "limit", "quantity": 5, "limit_price": "69500"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    set_price(stock, "69400")
    match_orders()
    order = client.get(f"/api/v1/orders/{body['id']}").json()
    assert order["status"] == "filled"
    assert Decimal(order["average_fill_price"]) == Decimal("69400")
    assert client.get("/api/v1/balance").json()["reserved_cash"] == "0.00"
    assert_books_balance(user)


def _run_in_threads(*targets) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_two_engines_in_parallel_fill_each_order_exactly_once():
    stock = StockFactory(code="005930", current_price=Decimal("70000"))
    buyers = [UserFactory() for _ in range(3)]
    seller = holder(stock, quantity=100)
    orders = [limit(buyer, stock, "buy", "69000", quantity=2) for buyer in buyers for _ in range(10)]
    orders += [limit(seller, stock, "sell", "71000", quantity=3) for _ in range(10)]
    set_price(stock, "69000")
    fills: list = []
    errors = _run_in_threads(*(lambda: fills.extend(match_orders().fills) for _ in range(2)))
    assert not errors
    buy_ids = sorted(order.pk for order in orders if order.side == OrderSide.BUY)
    assert sorted(fill.order_id for fill in fills) == buy_ids
    assert Execution.objects.count() == len(buy_ids) + 1  # plus the seller's market buy
    assert Order.objects.filter(pk__in=buy_ids, status=OrderStatus.FILLED).count() == len(buy_ids)
    set_price(stock, "71000")
    fills.clear()
    errors = _run_in_threads(*(lambda: fills.extend(match_orders().fills) for _ in range(2)))
    assert not errors and len(fills) == 10
    assert Position.objects.get(user=seller).quantity == 70
    assert_books_balance(seller, *buyers)


@pytest.mark.mysql
@needs_mysql
@pytest.mark.django_db(transaction=True)
def test_cancel_racing_a_fill_ends_with_exactly_one_outcome():
    stock = StockFactory(code="005930", current_price=Decimal("70000"))
    buyer = UserFactory()
    seller = holder(stock, quantity=100)
    buys = [limit(buyer, stock, "buy", "69000", quantity=1) for _ in range(15)]
    sells = [limit(seller, stock, "sell", "71000", quantity=1) for _ in range(15)]

    def cancel_all(orders, user):
        for order in orders:
            with contextlib.suppress(OrderNotCancellable):
                order_cancel(user=user, order_id=order.pk)

    for orders, user, price in ((buys, buyer, "69000"), (sells, seller, "71000")):
        set_price(stock, price)
        errors = _run_in_threads(match_orders, lambda orders=orders, user=user: cancel_all(orders, user))
        assert not errors
        for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
            executions = Execution.objects.filter(order=order).count()
            assert (order.status, executions) in {(OrderStatus.FILLED, 1), (OrderStatus.CANCELLED, 0)}
            assert order.reserved_cash == ZERO and order.reserved_quantity == 0
    position = Position.objects.get(user=seller)
    sold = Order.objects.filter(pk__in=[o.pk for o in sells], status=OrderStatus.FILLED).count()
    assert (position.quantity, position.reserved_quantity) == (100 - sold, 0)
    assert_books_balance(buyer, seller)
