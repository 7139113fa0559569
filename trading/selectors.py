"""Reads for the trading API and pages: quotes, candles, orders with their executions, orderable."""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from portfolio.models import Balance, Position
from trading import krx
from trading.models import Execution, IndexBar, Market, MarketIndex, MarketOverview, Order, OrderSide, PriceBar, Stock
from trading.services.indices import index_quote
from trading.services.orders import stock_price_limits
from trading.services.overview import RANKINGS


def stock_list(*, search: str = "", market: str = "", sector: str = "") -> QuerySet[Stock]:
    queryset = Stock.objects.filter(is_listed=True)
    if search:
        queryset = queryset.filter(Q(code__startswith=search) | Q(name__icontains=search))
    if market:
        queryset = queryset.filter(market=market.upper())
    if sector:
        queryset = queryset.filter(sector=sector)
    return queryset.order_by("code")


def candle_list(*, stock: Stock, interval: str, limit: int) -> list[PriceBar]:
    """The newest `limit` bars, returned oldest first (the order charts draw in)."""
    bars = list(PriceBar.objects.filter(stock=stock, interval=interval).order_by("-start")[:limit])
    bars.reverse()
    return bars


def order_list(*, user: User, status: str = "", side: str = "", stock: str = "") -> QuerySet[Order]:
    queryset = Order.objects.filter(user=user).select_related("stock")
    if status:
        queryset = queryset.filter(status__in=status.split(","))
    if side:
        queryset = queryset.filter(side=side)
    if stock:
        queryset = queryset.filter(stock__code=stock)
    return queryset.order_by("-created_at", "-id")


def order_detail_queryset(*, user: User) -> QuerySet[Order]:
    executions = Prefetch(
        "executions", queryset=Execution.objects.select_related("stock").order_by("executed_at", "id")
    )
    return Order.objects.filter(user=user).select_related("stock").prefetch_related(executions)


def execution_list(*, user: User, stock: str = "") -> QuerySet[Execution]:
    queryset = Execution.objects.filter(user=user).select_related("stock", "order")
    if stock:
        queryset = queryset.filter(stock__code=stock)
    return queryset.order_by("-executed_at", "-id")


@dataclass(frozen=True)
class Orderable:
    stock: Stock
    side: str
    price: Decimal
    max_quantity: int
    available_cash: Decimal
    available_quantity: int
    tick_size: Decimal
    lower_limit: Decimal
    upper_limit: Decimal
    estimated_amount: Decimal
    estimated_fee: Decimal
    estimated_tax: Decimal
    commission_rate: Decimal
    sell_tax_rate: Decimal


def orderable(*, user: User, stock: Stock, side: str, price: Decimal | None) -> Orderable:
    """How much the user can buy or sell at `price` (default: the current price; a market buy is
    held at the upper limit, so that is what bounds it)."""
    limits = stock_price_limits(stock)
    quote_price = price if price is not None else stock.current_price
    balance = Balance.objects.filter(user=user).first()
    available_cash = balance.available_cash if balance else Decimal("0")
    position = Position.objects.filter(user=user, stock=stock).first()
    available_quantity = position.available_quantity if position else 0
    if side == OrderSide.BUY:
        reserve_at = price if price is not None else limits.upper
        max_quantity = krx.max_buy_quantity(available_cash, reserve_at)
    else:
        max_quantity = available_quantity
    amount = quote_price * max_quantity
    return Orderable(
        stock=stock,
        side=side,
        price=quote_price,
        max_quantity=max_quantity,
        available_cash=available_cash,
        available_quantity=available_quantity,
        tick_size=krx.tick_size(quote_price),
        lower_limit=limits.lower,
        upper_limit=limits.upper,
        estimated_amount=amount,
        estimated_fee=krx.commission(amount),
        estimated_tax=krx.sell_tax(amount, stock.market) if side == OrderSide.SELL else Decimal("0"),
        commission_rate=settings.COMMISSION_RATE,
        sell_tax_rate=settings.SELL_TAX_RATES.get(stock.market, Decimal("0")),
    )


OVERVIEW_COLUMNS = {None: "body", Market.KOSPI: "body_kospi", Market.KOSDAQ: "body_kosdaq"}


def market_overview(*, market: str | None = None) -> dict:
    """The newest overview record's body for `market` (None: every market), as stored. Before any
    record exists, an empty body with the indices as they stand. One query, two without a record."""
    body = MarketOverview.objects.order_by("-pk").values_list(OVERVIEW_COLUMNS[market], flat=True).first()
    return _empty_overview(market) if body is None else body


def market_overview_json(*, market: str | None = None) -> str:
    """The same as JSON text, straight from the column: the API sends it without parsing and
    re-encoding it. Plain SQL on purpose: this read serves every client every few seconds, and
    the ORM's query building costs more than the query."""
    found = market_overview_json_after(after_id=None, market=market)
    return json.dumps(_empty_overview(market)) if found is None else found[1]


def market_overview_json_after(*, after_id: int | None, market: str | None = None) -> tuple[int, str] | None:
    """(id, JSON text) of the newest overview record, if it is newer than `after_id` (None: any)."""
    meta, quote = MarketOverview._meta, connection.ops.quote_name
    column = quote(meta.get_field(OVERVIEW_COLUMNS[market]).column)
    pk = quote(meta.pk.column)
    where, params = ("", []) if after_id is None else (f" WHERE {pk} > %s", [after_id])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {quote(meta.db_table)}{where} ORDER BY {pk} DESC LIMIT 1", params)
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], row[1].decode() if isinstance(row[1], bytes) else row[1]


def _empty_overview(market: str | None) -> dict:
    return {
        "at": None,
        "market": market,
        "indices": [index_quote(index) for index in MarketIndex.objects.order_by("pk")],
        "breadth": dict.fromkeys(("advancers", "decliners", "unchanged", "upper_limit", "lower_limit"), 0),
        "rankings": {name: [] for name in RANKINGS},
        "sectors": [],
        "new_highs": [],
        "new_lows": [],
    }


def index_candle_list(*, index: MarketIndex, interval: str, limit: int) -> list[IndexBar]:
    """The newest `limit` bars of an index, oldest first."""
    bars = list(IndexBar.objects.filter(index=index, interval=interval).order_by("-start")[:limit])
    bars.reverse()
    return bars
