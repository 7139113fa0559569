"""What a user's account is worth now: cash plus every position at the current price."""

import heapq
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from portfolio.models import Position
from portfolio.selectors.cash import balance_get
from stocking.core.money import ZERO, rate_percent
from trading.models import Execution

UNCLASSIFIED_SECTOR = "기타"


@dataclass(frozen=True)
class PositionValue:
    stock_code: str
    stock_name: str
    market: str
    sector: str
    quantity: int
    available_quantity: int
    average_price: Decimal
    cost_basis: Decimal
    current_price: Decimal
    previous_close: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal
    unrealized_pnl_rate: Decimal | None
    weight: Decimal | None
    day_change: Decimal
    day_change_rate: Decimal | None
    realized_pnl: Decimal


@dataclass(frozen=True)
class PortfolioTotals:
    """The account's totals (`_summary`), which every valuation carries."""

    as_of: datetime
    cash: Decimal
    reserved_cash: Decimal
    available_cash: Decimal
    holdings_value: Decimal
    total_value: Decimal
    total_cost: Decimal
    unrealized_pnl: Decimal
    unrealized_pnl_rate: Decimal | None
    day_change: Decimal
    day_change_rate: Decimal | None
    net_capital: Decimal
    total_pnl: Decimal
    total_return_rate: Decimal | None


@dataclass(frozen=True)
class PortfolioValue(PortfolioTotals):
    realized_pnl: Decimal
    positions: list[PositionValue]


def _price_now(position) -> Decimal:
    # A stock that lost its quote (delisted without a price) is carried at what it cost.
    stock = position.stock
    return stock.current_price if stock.current_price is not None else position.average_price


def _value_position(position, total_value: Decimal) -> PositionValue:
    stock = position.stock
    price = _price_now(position)
    previous = stock.previous_close or price
    market_value = price * position.quantity
    unrealized = market_value - position.cost_basis
    day_change = (price - previous) * position.quantity
    return PositionValue(
        stock_code=stock.code,
        stock_name=stock.name,
        market=stock.market,
        sector=stock.sector or UNCLASSIFIED_SECTOR,
        quantity=position.quantity,
        available_quantity=position.available_quantity,
        average_price=position.average_price,
        cost_basis=position.cost_basis,
        current_price=price,
        previous_close=previous,
        market_value=market_value,
        unrealized_pnl=unrealized,
        unrealized_pnl_rate=rate_percent(unrealized, position.cost_basis),
        weight=rate_percent(market_value, total_value),
        day_change=day_change,
        day_change_rate=rate_percent(day_change, market_value - day_change),
        realized_pnl=position.realized_pnl,
    )


def position_list(*, user: User) -> list[Position]:
    return list(Position.objects.filter(user=user).select_related("stock").order_by("stock__code"))


def realized_pnl_total(*, user: User, after_execution_id: int = 0) -> Decimal:
    """Realized P/L summed from the fills themselves, so closed (deleted) positions still count."""
    total = Execution.objects.filter(user=user, id__gt=after_execution_id).aggregate(total=Sum("realized_pnl"))
    return total["total"] or ZERO


def portfolio_value(*, user: User) -> PortfolioValue:
    """Cash, holdings at current prices, P/L and per-position figures; two queries whatever the size."""
    rows, balance = _rows_and_cash(user=user)
    summary = _summary(rows, balance)
    values = [_value_position(row, summary["total_value"]) for row in rows]
    return PortfolioValue(**summary, realized_pnl=realized_pnl_total(user=user), positions=values)


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    value: Decimal
    weight: Decimal | None


@dataclass(frozen=True)
class Allocation:
    total_value: Decimal
    cash: Slice
    by_stock: list[Slice]
    by_sector: list[Slice]


def portfolio_allocation(*, user: User) -> Allocation:
    """Weights by stock and by sector, with cash as its own slice; largest first."""
    positions, balance = _rows_and_cash(user=user)
    holdings = sum((_price_now(p) * p.quantity for p in positions), ZERO)
    total = balance.cash + holdings
    by_stock = [
        Slice(p.stock.code, p.stock.name, _price_now(p) * p.quantity, rate_percent(_price_now(p) * p.quantity, total))
        for p in positions
    ]
    sectors: dict[str, Decimal] = {}
    for position in positions:
        sector = position.stock.sector or UNCLASSIFIED_SECTOR
        sectors[sector] = sectors.get(sector, ZERO) + _price_now(position) * position.quantity
    by_sector = [Slice(name, name, value, rate_percent(value, total)) for name, value in sectors.items()]
    return Allocation(
        total_value=total,
        cash=Slice("cash", "현금", balance.cash, rate_percent(balance.cash, total)),
        by_stock=sorted(by_stock, key=lambda s: (-s.value, s.key)),
        by_sector=sorted(by_sector, key=lambda s: (-s.value, s.key)),
    )


# --- the one read and the totals every valuation shares ---------------------------------------


@dataclass(frozen=True)
class _Cash:
    cash: Decimal
    reserved_cash: Decimal
    net_capital: Decimal

    @property
    def available_cash(self) -> Decimal:
        return self.cash - self.reserved_cash


_COLUMNS = (
    "quantity",
    "reserved_quantity",
    "average_price",
    "cost_basis",
    "realized_pnl",
    "stock__code",
    "stock__name",
    "stock__market",
    "stock__sector",
    "stock__current_price",
    "stock__previous_close",
    "user__balance__cash",
    "user__balance__reserved_cash",
    "user__balance__net_capital",
)


class _RowStock(NamedTuple):
    code: str
    name: str
    market: str
    sector: str
    current_price: Decimal | None
    previous_close: Decimal | None


class _Row:
    """A position read as a tuple, shaped like a Position with its stock (for _price_now and
    _value_position): Position and Stock instances cost 5–6× more to build, per position."""

    __slots__ = ("quantity", "reserved_quantity", "average_price", "cost_basis", "realized_pnl", "stock")

    def __init__(self, values: tuple) -> None:
        self.quantity, self.reserved_quantity, self.average_price, self.cost_basis, self.realized_pnl = values[:5]
        self.stock = _RowStock(*values[5:11])

    @property
    def available_quantity(self) -> int:
        return self.quantity - self.reserved_quantity


def _rows_and_cash(*, user: User) -> tuple[list[_Row], _Cash]:
    """The positions (by code) and the balance as of one moment. One statement, the balance joined
    to each position: under READ COMMITTED two statements could straddle a fill and count its
    cash after the debit but its shares before."""
    tuples = list(Position.objects.filter(user=user).order_by("stock__code").values_list(*_COLUMNS))
    if tuples:
        return [_Row(values) for values in tuples], _Cash(*tuples[0][11:14])
    bare = balance_get(user=user)
    return [], _Cash(bare.cash, bare.reserved_cash, bare.net_capital)


def _summary(rows: list[_Row], balance: _Cash) -> dict:
    """The fields of PortfolioTotals, as PortfolioValue and PortfolioHeadline both carry them."""
    holdings = total_cost = day_change = ZERO
    for row in rows:
        price = _price_now(row)
        holdings += price * row.quantity
        total_cost += row.cost_basis
        day_change += (price - (row.stock.previous_close or price)) * row.quantity
    total_value = balance.cash + holdings
    unrealized = holdings - total_cost
    total_pnl = total_value - balance.net_capital
    return {
        "as_of": timezone.now(),
        "cash": balance.cash,
        "reserved_cash": balance.reserved_cash,
        "available_cash": balance.available_cash,
        "holdings_value": holdings,
        "total_value": total_value,
        "total_cost": total_cost,
        "unrealized_pnl": unrealized,
        "unrealized_pnl_rate": rate_percent(unrealized, total_cost),
        "day_change": day_change,
        "day_change_rate": rate_percent(day_change, total_value - day_change),
        "net_capital": balance.net_capital,
        "total_pnl": total_pnl,
        "total_return_rate": rate_percent(total_pnl, balance.net_capital) if balance.net_capital > 0 else None,
    }


# --- the dashboard's figures ---------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioHeadline(PortfolioTotals):
    """portfolio_value's totals (without realized_pnl, which the dashboard leaves out) with its
    `top` largest positions only, largest first, and how many positions there are in all."""

    position_count: int
    top_positions: list[PositionValue]


def portfolio_headline(*, user: User, top: int) -> PortfolioHeadline:
    """The figures portfolio_value gives, for a page that shows the totals and a few positions:
    only the `top` largest positions become PositionValues."""
    rows, balance = _rows_and_cash(user=user)
    summary = _summary(rows, balance)
    # nlargest is a stable sort: equal values stay in code order, as portfolio_value's pages list them.
    largest = heapq.nlargest(top, rows, key=lambda row: _price_now(row) * row.quantity)
    return PortfolioHeadline(
        **summary,
        position_count=len(rows),
        top_positions=[_value_position(row, summary["total_value"]) for row in largest],
    )


def allocation_of(value: PortfolioValue) -> Allocation:
    """portfolio_allocation's weights from a PortfolioValue already read (a page showing both
    reads the positions once)."""
    total = value.total_value
    by_stock = [
        Slice(p.stock_code, p.stock_name, p.market_value, rate_percent(p.market_value, total)) for p in value.positions
    ]
    sectors: dict[str, Decimal] = {}
    for position in value.positions:
        sectors[position.sector] = sectors.get(position.sector, ZERO) + position.market_value
    by_sector = [Slice(name, name, amount, rate_percent(amount, total)) for name, amount in sectors.items()]
    return Allocation(
        total_value=total,
        cash=Slice("cash", "현금", value.cash, rate_percent(value.cash, total)),
        by_stock=sorted(by_stock, key=lambda s: (-s.value, s.key)),
        by_sector=sorted(by_sector, key=lambda s: (-s.value, s.key)),
    )
