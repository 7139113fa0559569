"""The Alpaca streams' messages (ALPACA.md §8), built from what the stream process already has: the
native order-event payloads and the tick records. Pure functions, no I/O; the consumers in `stream/`
send them. The trade update's `order` goes through `representations.order_json`, so an order looks
the same on the stream as on GET /alpaca/v2/orders/{id} (as of the change the event describes)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgpack

from alpaca.representations import day_start, money, number, order_json
from trading import krx
from trading.models import Order, Stock

# Native event → Alpaca's TradeEvent. `triggered` has no TradeEvent value: a stop that triggers shows
# up as its fill (or as nothing more, until a stop-limit fills).
TRADE_EVENTS = {
    "new": "new",
    "fill": "fill",
    "partial_fill": "partial_fill",
    "cancelled": "canceled",
    "expired": "expired",
    "replaced": "replaced",
    "rejected": "rejected",
}
TRADE_UPDATES = "trade_updates"

# The data stream's channels, as the subscribe message and the subscription reply name them.
CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds")
ALL_SYMBOLS = "*"


def execution_id(execution_pk: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"stocking:execution:{execution_pk}")


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def order_from_payload(native: dict, public_id: uuid.UUID) -> Order:
    """The order of a native event payload (GET /api/v1/orders/{id}'s JSON) as an unsaved Order, so
    `order_json` can show it; the payload lacks only the public id."""
    return Order(
        pk=native["id"],
        public_id=public_id,
        stock=Stock(code=native["stock"], name=native.get("stock_name") or ""),
        side=native["side"],
        order_type=native["order_type"],
        time_in_force=native["time_in_force"],
        quantity=native["quantity"],
        limit_price=_decimal(native.get("limit_price")),
        stop_price=_decimal(native.get("stop_price")),
        trail_price=_decimal(native.get("trail_price")),
        trail_percent=_decimal(native.get("trail_percent")),
        high_water_mark=_decimal(native.get("high_water_mark")),
        oco_group=native.get("oco_group"),
        status=native["status"],
        filled_quantity=native["filled_quantity"],
        average_fill_price=_decimal(native.get("average_fill_price")),
        client_order_id=native.get("client_order_id"),
        trading_date=date.fromisoformat(native["trading_date"]),
        created_at=_datetime(native["created_at"]),
        updated_at=_datetime(native["updated_at"]),
        closed_at=_datetime(native.get("closed_at")),
    )


def trade_update(event: str, payload: dict, *, public_id: uuid.UUID, position_qty: int | None = None) -> dict:
    """`{"stream": "trade_updates", "data": ...}` for a native event other than `triggered`.

    A fill carries its execution's price, quantity, time and id, and `position_qty`: the shares held
    right after it. Any other event is timed by the order's last change."""
    native = payload["order"]
    data = {"event": TRADE_EVENTS[event], "order": order_json(order_from_payload(native, public_id))}
    execution = payload.get("execution")
    if execution is not None:
        data["execution_id"] = str(execution_id(execution["id"]))
        data["timestamp"] = execution["executed_at"]
        data["price"] = money(Decimal(execution["price"]))
        data["qty"] = str(execution["quantity"])
        if position_qty is not None:
            data["position_qty"] = str(position_qty)
    else:
        data["timestamp"] = data["order"]["updated_at"]
    return {"stream": TRADE_UPDATES, "data": data}


def authorization(status: str, *, message: str | None = None) -> dict:
    data = {"action": "authenticate", "status": status}
    if message:
        data["message"] = message
    return {"stream": "authorization", "data": data}


def listening(streams: list[str]) -> dict:
    return {"stream": "listening", "data": {"streams": streams}}


def trading_error(message: str) -> dict:
    return {"stream": "error", "data": {"error": message}}


# --- the market-data stream (msgpack)


def timestamp(at: datetime) -> msgpack.Timestamp:
    return msgpack.Timestamp.from_datetime(at)


def data_success(message: str) -> dict:
    return {"T": "success", "msg": message}


def data_error(code: int, message: str) -> dict:
    return {"T": "error", "code": code, "msg": message}


def subscription(lists: dict[str, list[str]]) -> dict:
    # Alpaca subscribes trade corrections and cancel errors with the trades; StocKing never sends any.
    trades = list(lists.get("trades", ()))
    return {"T": "subscription", **{name: list(lists.get(name, ())) for name in CHANNELS}} | {
        "corrections": trades,
        "cancelErrors": trades,
    }


def trade_message(*, code: str, price: Decimal, size: int, at: msgpack.Timestamp, trade_id: int) -> dict:
    return {"T": "t", "S": code, "i": trade_id, "x": "", "p": number(price), "s": size, "t": at, "c": [], "z": ""}


def quote_message(*, code: str, price: Decimal, at: msgpack.Timestamp) -> dict:
    """No order book is simulated: the bid is the last price and the ask the next price on the KRX
    grid above it (sizes 0, as the REST latest quote has them)."""
    return {
        "T": "q",
        "S": code,
        "bx": "",
        "bp": number(price),
        "bs": 0,
        "ax": "",
        "ap": number(krx.tick_above(price)),
        "as": 0,
        "t": at,
        "c": [],
        "z": "",
    }


def bar_message(kind: str, *, code: str, start: datetime, open_, high, low, close, volume: int) -> dict:
    """`kind` "b" (a closed minute) or "d" (the day so far). Trade count and VWAP are not recorded."""
    return {
        "T": kind,
        "S": code,
        "o": number(open_),
        "h": number(high),
        "l": number(low),
        "c": number(close),
        "v": volume,
        "n": None,
        "vw": None,
        "t": timestamp(start),
    }


def daily_bar_message(*, code: str, trading_date: date, open_, high, low, close, volume: int) -> dict:
    return bar_message(
        "d", code=code, start=day_start(trading_date), open_=open_, high=high, low=low, close=close, volume=volume
    )


def pack(messages: list[dict]) -> bytes:
    return msgpack.packb(messages)
