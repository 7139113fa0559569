"""StocKing's objects in Alpaca's wire shapes (ALPACA.md §4-§6). Translation only: every figure
comes from the models and selectors as they are. Money and quantities are JSON strings wherever
alpaca-py types them `str` (its pydantic models refuse numbers there); the data API uses numbers.
Plain dicts, not serializers: the order answer is on the hot path the benchmark measures."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings

from accounts.models import User
from alpaca.ids import account_id, account_number, asset_id
from portfolio.models import Position
from portfolio.selectors.valuation import PortfolioValue
from stocking.core.clock import SEOUL
from trading import krx
from trading.models import Order, OrderSide, OrderStatus, Stock, TimeInForce
from trading.sessions import session_bounds

ZERO = Decimal(0)
FRACTION = Decimal("0.000001")
ALPACA_ORDER_TYPES = {"market", "limit", "stop", "stop_limit", "trailing_stop"}
STATUS = {
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled",  # the SDK's enum has Alpaca's one-l spelling only
    OrderStatus.REJECTED: "rejected",
    OrderStatus.EXPIRED: "expired",
}


def iso(value: datetime | None) -> str | None:
    return value.astimezone(SEOUL).isoformat() if value is not None else None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SEOUL)


def money(value: Decimal | int | None) -> str | None:
    """A decimal string without exponent: whole won as "70000", anything finer as it is."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.normalize())


def ratio(part: Decimal, whole: Decimal) -> str:
    """A fraction ("0.012345" is 1.2345%), as Alpaca's *_plpc and change_today are."""
    if not whole:
        return "0"
    return str((part / whole).quantize(FRACTION) + ZERO)  # + ZERO: no "-0.000000"


def number(value: Decimal | int | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def asset_json(stock: Stock) -> dict:
    return {
        "id": str(asset_id(stock.code)),
        "class": "us_equity",  # the SDK's AssetClass has no other equity value
        "exchange": "",  # nor an exchange that would not mislead; the market is in attributes
        "symbol": stock.code,
        "name": stock.name,
        "status": "active" if stock.is_listed else "inactive",
        "tradable": stock.is_tradable,
        "marginable": False,
        "shortable": False,
        "easy_to_borrow": False,
        "fractionable": False,
        "min_order_size": 1,
        "min_trade_increment": 1,
        "price_increment": number(krx.tick_size(stock.current_price)) if stock.current_price else None,
        "attributes": ["krx", stock.market.lower()],
    }


def _expires_at(order: Order) -> datetime | None:
    if order.time_in_force != TimeInForce.DAY:
        return None
    if settings.ENFORCE_MARKET_HOURS:
        return session_bounds(order.trading_date)[1]
    return day_start(order.trading_date + timedelta(days=1))  # the always-open market rolls at midnight


def order_json(order: Order) -> dict:
    """`order.stock` must be loaded (select_related, or the object the service just wrote)."""
    status = STATUS.get(order.status)
    if status is None:  # open
        status = "partially_filled" if order.filled_quantity else "new"
    closed_at = iso(order.closed_at)
    order_type = order.order_type if order.order_type in ALPACA_ORDER_TYPES else "limit"
    created_at = iso(order.created_at)
    stop_price = getattr(order, "stop_price", None)
    trail_price = getattr(order, "trail_price", None)
    trail_percent = getattr(order, "trail_percent", None)
    hwm = getattr(order, "high_water_mark", None)
    return {
        "id": str(order.public_id),
        "client_order_id": order.client_order_id or str(order.public_id),
        "created_at": created_at,
        "updated_at": iso(order.updated_at),
        "submitted_at": created_at,
        "filled_at": closed_at if order.status == OrderStatus.FILLED else None,
        "expired_at": closed_at if order.status == OrderStatus.EXPIRED else None,
        "expires_at": iso(_expires_at(order)),
        "canceled_at": closed_at if order.status == OrderStatus.CANCELLED else None,
        "failed_at": closed_at if order.status == OrderStatus.REJECTED else None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": str(asset_id(order.stock.code)),
        "symbol": order.stock.code,
        "asset_class": "us_equity",
        "notional": None,
        "qty": str(order.quantity),
        "filled_qty": str(order.filled_quantity),
        "filled_avg_price": money(order.average_fill_price),
        "order_class": "oco" if getattr(order, "oco_group", None) else "simple",
        "order_type": order_type,
        "type": order_type,
        "side": order.side,
        "position_intent": "buy_to_open" if order.side == OrderSide.BUY else "sell_to_close",
        "time_in_force": order.time_in_force,
        "limit_price": money(order.limit_price),
        "stop_price": money(stop_price),
        "trail_percent": money(trail_percent),
        "trail_price": money(trail_price),
        "hwm": money(hwm),
        "status": status,
        "extended_hours": False,
        "legs": None,
    }


def position_json(position: Position) -> dict:
    """`position.stock` must be loaded. A stock without a quote is carried at its average price."""
    stock = position.stock
    qty = position.quantity
    price = stock.current_price if stock.current_price is not None else position.average_price
    previous = stock.previous_close or price
    market_value = price * qty
    unrealized = market_value - position.cost_basis
    intraday = (price - previous) * qty
    return {
        "asset_id": str(asset_id(stock.code)),
        "symbol": stock.code,
        "exchange": "",
        "asset_class": "us_equity",
        "asset_marginable": False,
        "avg_entry_price": money(position.average_price),
        "qty": str(qty),
        "qty_available": str(position.available_quantity),
        "side": "long",
        "market_value": money(market_value),
        "cost_basis": money(position.cost_basis),
        "unrealized_pl": money(unrealized),
        "unrealized_plpc": ratio(unrealized, position.cost_basis),
        "unrealized_intraday_pl": money(intraday),
        "unrealized_intraday_plpc": ratio(intraday, previous * qty),
        "current_price": money(price),
        "lastday_price": money(previous),
        "change_today": ratio(price - previous, previous),
    }


def account_json(user: User, value: PortfolioValue) -> dict:
    last_equity = value.cash + sum((p.previous_close * p.quantity for p in value.positions), ZERO)
    buying_power = money(value.available_cash)
    zero = "0"
    return {
        "id": str(account_id(user.pk)),
        "account_number": account_number(user.pk),
        "status": "ACTIVE",
        "crypto_status": None,
        "currency": "KRW",
        "cash": money(value.cash),
        "buying_power": buying_power,
        "regt_buying_power": buying_power,
        "non_marginable_buying_power": buying_power,
        "daytrading_buying_power": zero,
        "options_buying_power": zero,
        "equity": money(value.total_value),
        "portfolio_value": money(value.total_value),
        "long_market_value": money(value.holdings_value),
        "short_market_value": zero,
        "last_equity": money(last_equity),
        "multiplier": "1",
        "initial_margin": zero,
        "maintenance_margin": zero,
        "last_maintenance_margin": zero,
        "sma": zero,
        "accrued_fees": zero,
        "pending_transfer_in": zero,
        "pending_transfer_out": zero,
        "pattern_day_trader": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "trade_suspended_by_user": False,
        "shorting_enabled": False,
        "daytrade_count": 0,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "created_at": iso(user.date_joined),
    }


def watchlist_json(watchlist, *, assets: bool = True) -> dict:
    """With `assets`, the list's items must be prefetched with their stocks (watchlist selectors)."""
    data = {
        "id": str(watchlist.public_id),
        "account_id": str(account_id(watchlist.user_id)),
        "name": watchlist.name,
        "created_at": iso(watchlist.created_at),
        "updated_at": iso(watchlist.updated_at),
    }
    if assets:
        data["assets"] = [asset_json(item.stock) for item in watchlist.items.all()]
    return data


def bar_json(start: datetime, open_, high, low, close, volume) -> dict:
    # n (trades) and vw (VWAP) are not recorded; the SDK's Bar requires both keys, null allowed.
    return {
        "t": iso(start),
        "o": number(open_),
        "h": number(high),
        "l": number(low),
        "c": number(close),
        "v": volume,
        "n": None,
        "vw": None,
    }
