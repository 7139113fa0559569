"""POST /account/reset: start over without losing history or real money."""

from decimal import Decimal as D

import pytest

from portfolio.models import AccountReset, Balance, CashLedgerEntry, LedgerKind, PortfolioSnapshot, Position
from portfolio.services import balance_deposit
from portfolio.tests.helpers import assert_books_balance
from portfolio.tests.trades import market, set_price, winning_round_trip
from trading.models import Execution, Order, OrderStatus
from trading.services import order_place
from trading.services.reset import account_reset
from trading.sessions import market_clock
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
RESET = "/api/v1/account/reset"


@pytest.fixture
def kospi():
    return StockFactory(code="100100", current_price=D("10000"))


def test_reset_cancels_orders_removes_positions_and_restores_the_grant(auth_client, user, kospi):
    winning_round_trip(user, kospi)  # 60 shares left, cash 9,438,904
    buy = order_place(
        user=user, stock_code=kospi.code, side="buy", order_type="limit", quantity=5, limit_price=D("9000")
    )
    sell = order_place(
        user=user, stock_code=kospi.code, side="sell", order_type="limit", quantity=10, limit_price=D("12000")
    )
    balance_deposit(user=user, amount=D("500000"))

    response = auth_client.post(RESET, {"confirm": "RESET"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["cash_before"], body["cash_after"]) == ("9938904.00", "10000000.00")
    assert (body["orders_cancelled"], body["positions_removed"]) == (2, 1)
    for order in (buy.order, sell.order):
        order.refresh_from_db()
        assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "reset")
        assert order.reserved_cash == 0 and order.reserved_quantity == 0
    assert not Position.objects.filter(user=user).exists()
    balance = Balance.objects.get(user=user)
    assert (balance.cash, balance.reserved_cash, balance.net_capital) == (D("10000000"), 0, D("10000000"))
    entry = CashLedgerEntry.objects.filter(user=user).order_by("-id").first()
    assert (entry.kind, entry.amount) == (LedgerKind.RESET, D("61096"))
    assert AccountReset.objects.get(user=user).ledger_entry == entry
    # History is kept.
    assert Execution.objects.filter(user=user).count() == 2
    assert Order.objects.filter(user=user).count() == 4
    assert_books_balance()


def test_after_a_reset_stats_start_over_and_portfolio_shows_the_fresh_account(auth_client, user, kospi):
    winning_round_trip(user, kospi)
    account_reset(user=user, confirm="RESET")
    stats = auth_client.get("/api/v1/portfolio/stats").json()
    assert (stats["trades"], stats["realized_pnl"], stats["pnl"], stats["total_return_rate"]) == (
        0,
        "0.00",
        "0.00",
        "0.00",
    )
    portfolio = auth_client.get("/api/v1/portfolio").json()
    assert portfolio["total_value"] == portfolio["net_capital"] == "10000000.00"
    assert portfolio["positions"] == []
    assert portfolio["realized_pnl"] == "38994.00"  # all time, from the executions

    set_price(kospi, "10000", previous_close="10000")
    market(user, kospi, "buy", 10)
    set_price(kospi, "10500")
    market(user, kospi, "sell", 10)
    stats = auth_client.get("/api/v1/portfolio/stats").json()
    assert (stats["trades"], stats["wins"]) == (2, 1)
    # 105,000 − 15 fee − 210 tax − (100,000 + 15)
    assert stats["realized_pnl"] == "4760.00"
    assert_books_balance()


def test_reset_writes_todays_snapshot_and_history_starts_there(auth_client, user, kospi):
    from datetime import timedelta

    today = market_clock().trading_date
    PortfolioSnapshot.objects.create(
        user=user,
        date=today - timedelta(days=2),
        cash=D("1"),
        holdings_value=D("0"),
        total_value=D("1"),
        net_capital=D("1"),
    )
    account_reset(user=user, confirm="RESET")
    snapshot = PortfolioSnapshot.objects.get(user=user, date=today)
    assert (snapshot.total_value, snapshot.net_capital) == (D("10000000"), D("10000000"))
    points = auth_client.get("/api/v1/portfolio/history", {"period": "all"}).json()["points"]
    assert [p["date"] for p in points] == [str(today)]


def test_a_second_reset_is_harmless(user, kospi):
    account_reset(user=user, confirm="RESET")
    again = account_reset(user=user, confirm="RESET")
    assert again.ledger_entry is None and again.cash_after == D("10000000")
    assert AccountReset.objects.filter(user=user).count() == 2
    assert_books_balance()


@pytest.mark.parametrize("body", [{}, {"confirm": "reset"}, {"confirm": "yes"}, {"confirm": ""}])
def test_reset_without_the_confirmation_is_400_and_changes_nothing(auth_client, user, kospi, body):
    winning_round_trip(user, kospi)
    response = auth_client.post(RESET, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reset_not_confirmed"
    assert Position.objects.filter(user=user).exists()
    assert not AccountReset.objects.exists()


def test_reset_needs_authentication(api_client):
    assert api_client.post(RESET, {"confirm": "RESET"}, format="json").status_code == 401


def test_resetting_one_user_leaves_others_alone(user, kospi):
    from accounts.tests.factories import UserFactory

    other = UserFactory()
    winning_round_trip(other, kospi)
    account_reset(user=user, confirm="RESET")
    assert Position.objects.get(user=other).quantity == 60
    assert_books_balance()


@pytest.mark.parametrize("enforced", [False, True])
def test_a_reset_after_the_close_starts_history_and_day_stats_afresh(auth_client, user, kospi, settings, enforced):
    """With market hours enforced the trading date runs ahead of the calendar after the close;
    history and calendar stats follow Seoul's calendar, so the old account never leaks in."""
    from stocking.core.clock import local_now

    today = local_now().date()
    PortfolioSnapshot.objects.create(
        user=user, date=today, cash=D("9000000"), holdings_value=D("0"), total_value=D("9000000"), net_capital=D("1")
    )
    winning_round_trip(user, kospi)  # traded while the (always-open) market was open
    settings.ENFORCE_MARKET_HOURS = enforced  # a reset needs no open market
    account_reset(user=user, confirm="RESET")
    points = auth_client.get("/api/v1/portfolio/history", {"period": "all"}).json()["points"]
    assert [(p["date"], p["total_value"]) for p in points] == [(str(today), "10000000.00")]
    for period in ("day", "week", "all"):
        stats = auth_client.get("/api/v1/portfolio/stats", {"period": period}).json()
        assert (stats["trades"], stats["pnl"], stats["total_return_rate"]) == (0, "0.00", "0.00"), period
