from decimal import Decimal as D

import pytest
from django.db import transaction

from portfolio.models import Balance, CashLedgerEntry, LedgerKind, Position
from portfolio.tests.helpers import assert_books_balance
from stocking.core.exceptions import (
    InsufficientFunds,
    InsufficientShares,
    InvalidTickSize,
    MarketClosed,
    NotFound,
    OrderNotCancellable,
    OrderNotModifiable,
    PriceOutOfLimit,
    StockNotTradable,
)
from trading.models import Order, OrderStatus
from trading.services import InvalidOrder, UnknownStock, order_cancel, order_execute, order_modify, order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
START = D("10000000")


def cash(user) -> D:
    return Balance.objects.get(user=user).cash


def reserved(user) -> D:
    return Balance.objects.get(user=user).reserved_cash


def place(user, side="buy", order_type="market", quantity=10, limit_price=None, code="005930", **extra):
    return order_place(
        user=user,
        stock_code=code,
        side=side,
        order_type=order_type,
        quantity=quantity,
        limit_price=D(limit_price) if limit_price else None,
        **extra,
    ).order


def set_price(stock, price):
    stock.current_price = D(price)
    stock.save(update_fields=["current_price"])


class TestMarketOrders:
    def test_market_buy_debits_amount_plus_commission_and_opens_a_position(self, user, stock):
        order = place(user, quantity=10)
        assert order.status == OrderStatus.FILLED
        assert order.filled_quantity == 10
        assert order.average_fill_price == D("70000")
        assert order.fee == D("105") and order.tax == 0
        assert cash(user) == START - D("700105")
        assert reserved(user) == 0
        kinds = list(CashLedgerEntry.objects.filter(order=order).order_by("id").values_list("kind", "amount"))
        assert kinds == [(LedgerKind.BUY, D("-700000")), (LedgerKind.FEE, D("-105"))]
        position = Position.objects.get(user=user, stock=stock)
        assert (position.quantity, position.average_price, position.cost_basis) == (10, D("70000"), D("700105"))
        assert_books_balance()

    def test_market_buy_is_held_at_the_upper_limit_so_it_can_fail_even_if_the_price_fits(self, user, stock):
        # 110 shares cost 7.7M at 70,000 but the hold at the 91,000 upper limit is 10.01M > 10M.
        with pytest.raises(InsufficientFunds):
            place(user, quantity=110)
        assert not Order.objects.exists()
        assert cash(user) == START and reserved(user) == 0

    def test_buys_average_in_and_cost_basis_includes_fees(self, user, stock):
        place(user, quantity=10)
        set_price(stock, "72000")
        place(user, quantity=10)
        position = Position.objects.get(user=user, stock=stock)
        assert position.quantity == 20
        assert position.average_price == D("71000")
        assert position.cost_basis == D("700105") + D("720108")
        assert_books_balance()

    def test_market_sell_credits_proceeds_less_fee_and_tax_and_realizes_pnl(self, user, stock):
        place(user, quantity=10)
        set_price(stock, "77000")
        order = place(user, side="sell", quantity=10)
        # 770,000 − 115 commission − 1,540 tax (0.20%)
        assert (order.fee, order.tax) == (D("115"), D("1540"))
        assert cash(user) == START - D("700105") + D("770000") - D("115") - D("1540")
        execution = order.executions.get()
        assert execution.realized_pnl == D("770000") - D("115") - D("1540") - D("700105")
        assert not Position.objects.filter(user=user).exists()  # removed at zero
        assert_books_balance()

    def test_partial_sell_releases_a_proportional_cost_basis(self, user, stock):
        place(user, quantity=10)
        place(user, side="sell", quantity=4)
        position = Position.objects.get(user=user, stock=stock)
        assert position.quantity == 6
        assert position.cost_basis == D("420063.00")  # 700,105 × 6/10 rounded to the won-cent
        assert position.reserved_quantity == 0
        assert_books_balance()

    def test_kosdaq_sell_uses_the_kosdaq_tax_rate(self, user, settings):
        settings.SELL_TAX_RATES = {**settings.SELL_TAX_RATES, "KOSDAQ": D("0.0018")}
        StockFactory(code="247540", market="KOSDAQ", current_price=D("100000"))
        place(user, code="247540", quantity=10)
        order = place(user, code="247540", side="sell", quantity=10)
        assert order.tax == D("1800")

    def test_selling_shares_you_do_not_have_is_rejected_and_writes_nothing(self, user, stock):
        with pytest.raises(InsufficientShares):
            place(user, side="sell", quantity=1)
        place(user, quantity=5)
        with pytest.raises(InsufficientShares):
            place(user, side="sell", quantity=6)
        assert Order.objects.filter(side="sell").count() == 0
        assert_books_balance()


class TestLimitOrders:
    def test_resting_limit_buy_reserves_cash_without_moving_it(self, user, stock):
        order = place(user, order_type="limit", limit_price="69000", quantity=10)
        assert order.status == OrderStatus.PENDING
        assert order.reserved_cash == D("690103")
        assert cash(user) == START and reserved(user) == D("690103")
        assert_books_balance()

    def test_marketable_limit_buy_fills_at_the_market_price_and_releases_the_hold(self, user, stock):
        order = place(user, order_type="limit", limit_price="71000", quantity=10)
        assert order.status == OrderStatus.FILLED
        assert order.average_fill_price == D("70000")
        assert order.reserved_cash == 0 and reserved(user) == 0
        assert cash(user) == START - D("700105")
        assert_books_balance()

    def test_resting_limit_sell_reserves_shares(self, user, stock):
        place(user, quantity=10)
        order = place(user, side="sell", order_type="limit", limit_price="75000", quantity=7)
        assert order.status == OrderStatus.PENDING
        position = Position.objects.get(user=user, stock=stock)
        assert (position.quantity, position.reserved_quantity) == (10, 7)
        with pytest.raises(InsufficientShares):
            place(user, side="sell", quantity=4)
        assert_books_balance()

    @pytest.mark.parametrize(
        ("price", "error"),
        [("70050", InvalidTickSize), ("91100", PriceOutOfLimit), ("48950", PriceOutOfLimit), ("1999", PriceOutOfLimit)],
    )
    def test_off_tick_or_out_of_limit_prices_are_rejected(self, user, stock, price, error):
        with pytest.raises(error):
            place(user, order_type="limit", limit_price=price)
        assert not Order.objects.exists()

    def test_limit_at_the_exact_limits_is_accepted(self, user, stock):
        assert place(user, order_type="limit", limit_price="49000", quantity=1).status == OrderStatus.PENDING
        place(user, quantity=1)
        assert place(user, side="sell", order_type="limit", limit_price="91000", quantity=1).is_open

    def test_limit_order_needs_a_price_and_market_order_takes_none(self, user, stock):
        with pytest.raises(InvalidOrder):
            place(user, order_type="limit")
        with pytest.raises(InvalidOrder):
            place(user, order_type="market", limit_price="70000")

    def test_partial_fill_releases_its_share_and_cancel_releases_the_rest(self, user, stock):
        order = place(user, order_type="limit", limit_price="69000", quantity=10)
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            order_execute(order=locked, quantity=4, price=D("68000"))
        order.refresh_from_db()
        assert order.status == OrderStatus.PARTIALLY_FILLED
        assert order.reserved_cash == D("414062")  # 6 × 69,000 + 62 commission
        assert reserved(user) == D("414062")
        assert_books_balance()
        order_cancel(user=user, order_id=order.pk)
        assert reserved(user) == 0
        assert cash(user) == START - D("272000") - D("40")
        assert_books_balance()


class TestValidation:
    def test_unknown_stock(self, user, db):
        with pytest.raises(UnknownStock):
            place(user, code="999999")

    @pytest.mark.parametrize("flags", [{"is_halted": True}, {"is_listed": False}, {"current_price": None}])
    def test_untradable_stocks_are_rejected(self, user, flags):
        StockFactory(code="000660", **flags)
        with pytest.raises(StockNotTradable):
            place(user, code="000660")

    @pytest.mark.parametrize("quantity", [0, -1, 1_000_001])
    def test_quantity_bounds(self, user, stock, quantity):
        with pytest.raises(InvalidOrder):
            place(user, quantity=quantity)

    def test_closed_market_rejects_orders_when_hours_are_enforced(self, user, stock, settings):
        settings.ENFORCE_MARKET_HOURS = True
        settings.MARKET_OPEN_TIME = settings.MARKET_CLOSE_TIME = "00:00"  # a session that never opens
        with pytest.raises(MarketClosed):
            place(user)
        assert cash(user) == START

    def test_repeated_client_order_id_returns_the_first_order(self, user, stock):
        first = order_place(
            user=user, stock_code="005930", side="buy", order_type="market", quantity=1, client_order_id="abc-1"
        )
        again = order_place(
            user=user, stock_code="005930", side="buy", order_type="market", quantity=5, client_order_id="abc-1"
        )
        assert first.created and not again.created
        assert again.order.pk == first.order.pk and again.order.quantity == 1
        assert Order.objects.count() == 1


class TestCancelAndModify:
    def test_cancel_pending_buy_releases_cash(self, user, stock):
        order = place(user, order_type="limit", limit_price="60000", quantity=10)
        cancelled = order_cancel(user=user, order_id=order.pk)
        assert cancelled.status == OrderStatus.CANCELLED and cancelled.reserved_cash == 0
        assert reserved(user) == 0 and cash(user) == START
        assert_books_balance()

    def test_cancel_pending_sell_releases_shares(self, user, stock):
        place(user, quantity=5)
        order = place(user, side="sell", order_type="limit", limit_price="80000", quantity=5)
        order_cancel(user=user, order_id=order.pk)
        assert Position.objects.get(user=user).reserved_quantity == 0
        assert_books_balance()

    def test_filled_or_cancelled_orders_cannot_be_cancelled(self, user, stock):
        filled = place(user, quantity=1)
        with pytest.raises(OrderNotCancellable):
            order_cancel(user=user, order_id=filled.pk)
        pending = place(user, order_type="limit", limit_price="60000", quantity=1)
        order_cancel(user=user, order_id=pending.pk)
        with pytest.raises(OrderNotCancellable):
            order_cancel(user=user, order_id=pending.pk)
        assert_books_balance()

    def test_another_users_order_is_not_found(self, user, stock):
        from accounts.tests.factories import UserFactory

        order = place(UserFactory(), order_type="limit", limit_price="60000", quantity=1)
        with pytest.raises(NotFound):
            order_cancel(user=user, order_id=order.pk)
        with pytest.raises(NotFound):
            order_modify(user=user, order_id=order.pk, limit_price=D("61000"))

    def test_modify_re_reserves_at_the_new_price_and_quantity(self, user, stock):
        order = place(user, order_type="limit", limit_price="60000", quantity=10)
        order = order_modify(user=user, order_id=order.pk, limit_price=D("65000"), quantity=20)
        assert (order.quantity, order.limit_price) == (20, D("65000"))
        assert order.reserved_cash == D("1300195") == reserved(user)
        assert_books_balance()

    def test_modify_that_cannot_be_afforded_keeps_the_old_order(self, user, stock):
        order = place(user, order_type="limit", limit_price="60000", quantity=10)
        with pytest.raises(InsufficientFunds):
            order_modify(user=user, order_id=order.pk, quantity=1000)
        order.refresh_from_db()
        assert order.quantity == 10 and order.reserved_cash == D("600090") == reserved(user)

    def test_modify_to_a_marketable_price_fills_at_once(self, user, stock):
        order = place(user, order_type="limit", limit_price="60000", quantity=10)
        order = order_modify(user=user, order_id=order.pk, limit_price=D("70000"))
        assert order.status == OrderStatus.FILLED and reserved(user) == 0
        assert_books_balance()

    def test_only_open_limit_orders_can_be_modified(self, user, stock):
        filled = place(user, quantity=1)
        with pytest.raises(OrderNotModifiable):
            order_modify(user=user, order_id=filled.pk, quantity=2)

    def test_modify_sell_quantity_is_bounded_by_the_position(self, user, stock):
        place(user, quantity=5)
        order = place(user, side="sell", order_type="limit", limit_price="80000", quantity=3)
        order_modify(user=user, order_id=order.pk, quantity=5)
        assert Position.objects.get(user=user).reserved_quantity == 5
        with pytest.raises(InsufficientShares):
            order_modify(user=user, order_id=order.pk, quantity=6)
        assert Position.objects.get(user=user).reserved_quantity == 5
        assert_books_balance()


def test_a_day_order_from_an_ended_trading_day_cannot_be_modified(user, stock):
    import datetime

    order = place(user, order_type="limit", limit_price="60000", quantity=1)
    Order.objects.filter(pk=order.pk).update(trading_date=datetime.date(2020, 1, 2))
    with pytest.raises(OrderNotModifiable):
        order_modify(user=user, order_id=order.pk, limit_price=D("70000"))
    order.refresh_from_db()
    assert order.is_open and not order.executions.exists()


def test_position_lock_does_not_join_the_stock_row(user, stock):
    """MySQL locks every joined row of a SELECT ... FOR UPDATE; the position lock must stay on its table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio.services.positions import position_lock

    place(user, quantity=1)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        position_lock(user=user, stock=stock)
    assert "trading_stock" not in queries.captured_queries[-1]["sql"]
