"""The lean reads the pages use agree with the canonical ones: portfolio_headline's figures are
portfolio_value's (totals, and its largest positions exactly as PositionValues), and allocation_of
a PortfolioValue is portfolio_allocation."""

from dataclasses import asdict
from decimal import Decimal as D

import pytest

from portfolio.models import Position
from portfolio.selectors import portfolio_allocation, portfolio_value
from portfolio.selectors.valuation import allocation_of, portfolio_headline
from portfolio.services import balance_deposit
from portfolio.tests.trades import losing_round_trip, market, set_price, winning_round_trip
from trading.models import Stock
from trading.services import order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db

HEADLINE_FIELDS = [
    "cash",
    "reserved_cash",
    "available_cash",
    "holdings_value",
    "total_value",
    "total_cost",
    "unrealized_pnl",
    "unrealized_pnl_rate",
    "day_change",
    "day_change_rate",
    "net_capital",
    "total_pnl",
    "total_return_rate",
]


def assert_headline_is_portfolio_value(user, top: int) -> None:
    value = portfolio_value(user=user)
    headline = portfolio_headline(user=user, top=top)
    assert {name: getattr(headline, name) for name in HEADLINE_FIELDS} == {
        name: getattr(value, name) for name in HEADLINE_FIELDS
    }
    assert headline.position_count == len(value.positions)
    largest = sorted(value.positions, key=lambda p: (-p.market_value, p.stock_code))[:top]
    assert [asdict(p) for p in headline.top_positions] == [asdict(p) for p in largest]


def test_an_account_without_positions(user):
    assert_headline_is_portfolio_value(user, top=5)
    assert portfolio_headline(user=user, top=5).top_positions == []
    assert allocation_of(portfolio_value(user=user)) == portfolio_allocation(user=user)


def test_a_traded_account_with_fractional_costs_reserved_shares_and_held_cash(user):
    kospi = StockFactory(code="100100", sector="전기전자", current_price=D("10000"))
    kosdaq = StockFactory(code="200200", market="KOSDAQ", sector="제약", current_price=D("5000"))
    winning_round_trip(user, kospi)  # 60 left, cost 600,090
    losing_round_trip(user, kosdaq)  # closed
    market(user, kosdaq, "buy", 7)
    set_price(kospi, "11050", previous_close="10500")
    set_price(kosdaq, "4990", previous_close="5020")
    balance_deposit(user=user, amount=D("123456"))
    order_place(user=user, stock_code=kospi.code, side="sell", order_type="limit", quantity=5, limit_price=D("12000"))
    order_place(user=user, stock_code=kosdaq.code, side="buy", order_type="limit", quantity=3, limit_price=D("4500"))
    unlisted = StockFactory(code="300300", sector="", current_price=D("2000"), previous_close=None)
    market(user, unlisted, "buy", 3)
    Stock.objects.filter(pk=unlisted.pk).update(current_price=None)  # lost its quote: carried at cost
    Position.objects.filter(user=user, stock=unlisted).update(average_price=D("2000.33"), cost_basis=D("6000.99"))
    for top in (1, 2, 5):
        assert_headline_is_portfolio_value(user, top)
    value = portfolio_value(user=user)
    assert value.reserved_cash > 0 and any(p.available_quantity < p.quantity for p in value.positions)
    assert allocation_of(value) == portfolio_allocation(user=user)


def test_many_positions_and_ties_in_value(user):
    for n in range(30):
        stock = StockFactory(code=f"{400000 + n:06d}", sector=f"업종{n % 4}", current_price=D(1000 + n % 3 * 1000))
        Position.objects.create(
            user=user,
            stock=stock,
            quantity=10 + n % 5,
            reserved_quantity=n % 2,
            average_price=D("1234.56"),
            cost_basis=D("12345.67") + n,
            realized_pnl=D(n),
        )
    assert_headline_is_portfolio_value(user, top=5)
    assert_headline_is_portfolio_value(user, top=50)
    assert allocation_of(portfolio_value(user=user)) == portfolio_allocation(user=user)
