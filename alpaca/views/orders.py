"""Orders: Alpaca's order requests translated onto order_place / order_modify / order_cancel.

The services hold every rule (the KRX tick grid and ±30%, quantity bounds, cash and shares, hours,
which fields each order type takes); this module only refuses what Alpaca's protocol has and StocKing
has not (notional, fractions, bracket/oto classes, extended hours, opg/cls) and what differs by
surface: a repeated client_order_id is idempotent natively and a 422 here. Alpaca's five order types
are native ones; the Korean types (best_limit, ...) are not offered here and show as `limit`.
"""

import uuid
from datetime import datetime

from rest_framework.response import Response

from alpaca import params, selectors
from alpaca.errors import bad_request, duplicate_client_order_id, error_status_and_body, not_found, unprocessable
from alpaca.representations import order_json
from alpaca.schema import ORDER_REQUEST, REPLACE_REQUEST, array, operation, query, ref
from alpaca.views.base import AlpacaView
from trading.models import OrderSide, OrderType, TimeInForce
from trading.services import order_cancel, order_modify, order_place

TYPES = {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP}
TIMES_IN_FORCE = set(TimeInForce.values)
CLIENT_ORDER_ID_MAX = 64
TRAIL_PERCENT_PLACES = 2  # the column's


def _choice(data: dict, name: str, allowed: set[str], what: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or value.lower() not in allowed:
        raise unprocessable(f"invalid {what}: {value!r}" if value is not None else f"{name} is required")
    return value.lower()


def _client_order_id(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise unprocessable("client_order_id must be a string")
    if len(value) > CLIENT_ORDER_ID_MAX:
        raise unprocessable(f"client_order_id must be at most {CLIENT_ORDER_ID_MAX} characters")
    return value


def _optional_price(data: dict, name: str):
    value = data.get(name)
    return None if value is None else params.price(value, name)


def _trail_percent(value):
    if value is None:
        return None
    percent = params.price(value, "trail_percent")
    if -percent.as_tuple().exponent > TRAIL_PERCENT_PLACES:
        raise unprocessable(f"trail_percent has at most {TRAIL_PERCENT_PLACES} decimals")
    return percent


def order_request(data: dict) -> dict:
    """The keyword arguments of order_place for an Alpaca order body; 422 for what cannot be one."""
    if data.get("notional") not in (None, ""):
        raise unprocessable("notional orders are not supported: give qty in whole shares")
    if data.get("order_class") not in (None, "", "simple"):
        raise unprocessable(f"order_class {data['order_class']!r} is not supported")
    if data.get("legs") or data.get("take_profit") or data.get("stop_loss"):
        raise unprocessable("bracket, oco and oto orders are not supported")
    if data.get("extended_hours") not in (None, False):
        raise unprocessable("extended hours are not supported")
    order_type = _choice(data, "type", TYPES, "order type")
    time_in_force = _choice(data, "time_in_force", TIMES_IN_FORCE, "time_in_force")
    side = _choice(data, "side", {OrderSide.BUY, OrderSide.SELL}, "side")
    intent = data.get("position_intent")
    if intent not in (None, "", "buy_to_open" if side == OrderSide.BUY else "sell_to_close"):
        raise unprocessable(f"position_intent {intent!r} is not supported (no short selling)")
    if data.get("qty") is None:
        raise unprocessable("qty is required")
    code = params.symbol(data.get("symbol"))
    if not params.is_symbol(code):
        raise unprocessable(f'asset "{code}" not found')
    return {
        "stock_code": code,
        "side": side,
        "order_type": order_type,
        "quantity": params.quantity(data["qty"]),
        "limit_price": _optional_price(data, "limit_price"),
        "stop_price": _optional_price(data, "stop_price"),
        "trail_price": _optional_price(data, "trail_price"),
        "trail_percent": _trail_percent(data.get("trail_percent")),
        "time_in_force": time_in_force,
        "client_order_id": _client_order_id(data.get("client_order_id")),
    }


def place(user, fields: dict):
    """order_place for the facade: a repeated client_order_id creates nothing and answers 422."""
    placed = order_place(user=user, **fields)
    if not placed.created:
        raise duplicate_client_order_id()
    return placed.order


def _order_pk(request, order_id: uuid.UUID) -> int:
    pk = selectors.order_pk(user=request.user, public_id=order_id)
    if pk is None:
        raise not_found("order not found")
    return pk


class OrderListView(AlpacaView):
    order_methods = ("POST",)

    @operation(
        "alpaca_list_orders",
        "Your orders, newest first: a bare array",
        array("AlpacaOrder"),
        parameters=[
            query("status", str, "open (default), closed or all.", enum=["open", "closed", "all"]),
            query("limit", int, "1-500, default 50.", minimum=1, maximum=500),
            query("after", datetime, "Submitted after (exclusive)."),
            query("until", datetime, "Submitted before (exclusive)."),
            query("direction", str, "By submission time; default desc.", enum=["asc", "desc"]),
            query("side", str, enum=["buy", "sell"]),
            query("symbols", str, "Comma list of codes."),
            query("nested", bool, "Accepted, ignored (no multi-leg orders)."),
        ],
    )
    def get(self, request):
        query_params = request.query_params
        params.query_bool(query_params, "nested")
        orders = selectors.order_list(
            user=request.user,
            status=params.query_choice(query_params, "status", ("open", "closed", "all"), default="open"),
            limit=params.query_int(query_params, "limit", default=50, low=1, high=500),
            after=params.query_datetime(query_params, "after"),
            until=params.query_datetime(query_params, "until"),
            ascending=params.query_choice(query_params, "direction", ("asc", "desc"), default="desc") == "asc",
            side=params.query_choice(query_params, "side", ("buy", "sell")),
            symbols=params.query_symbols(query_params, required=False),
        )
        return Response([order_json(order) for order in orders])

    @operation(
        "alpaca_submit_order",
        "Place an order (a market order fills at once, in the same transaction)",
        ref("AlpacaOrder"),
        request={"application/json": ORDER_REQUEST},
        errors=(403, 422),
    )
    def post(self, request):
        fields = order_request(params.json_object(request))
        request.alpaca_order = {"symbol": fields["stock_code"], "qty": fields["quantity"]}
        return Response(order_json(place(request.user, fields)))

    @operation(
        "alpaca_cancel_all_orders",
        "Cancel every open order; one result per order (207)",
        array("AlpacaCancelResult"),
        status=207,
    )
    def delete(self, request):
        return Response(cancel_all(request.user), status=207)


def cancel_all(user) -> list[dict]:
    """Cancel each open order in its own transaction; one that closed meanwhile reports its error."""
    results = []
    for pk, public_id in selectors.open_orders(user=user):
        try:
            order = order_cancel(user=user, order_id=pk)
        except Exception as exc:
            known = error_status_and_body(exc)
            if known is None:
                raise
            status, body = known
            results.append({"id": str(public_id), "status": status, "body": body})
        else:
            results.append({"id": str(public_id), "status": 200, "body": order_json(order)})
    return results


class OrderByClientIdView(AlpacaView):
    @operation(
        "alpaca_get_order_by_client_order_id",
        "One order by its client_order_id",
        ref("AlpacaOrder"),
        parameters=[
            query(
                "client_order_id",
                {"type": "string", "minLength": 1},
                "The id given at submission (or the order's id).",
                required=True,
            )
        ],
    )
    def get(self, request):
        client_order_id = request.query_params.get("client_order_id")
        if not client_order_id:
            raise bad_request("client_order_id is required")
        order = selectors.order_by_client_order_id(user=request.user, client_order_id=client_order_id)
        if order is None:
            raise not_found("order not found")
        return Response(order_json(order))


class OrderDetailView(AlpacaView):
    order_methods = ("PATCH",)

    @operation(
        "alpaca_get_order",
        "One order by id",
        ref("AlpacaOrder"),
        parameters=[query("nested", bool, "Accepted, ignored.")],
    )
    def get(self, request, order_id: uuid.UUID):
        order = selectors.order_get(user=request.user, public_id=order_id)
        if order is None:
            raise not_found("order not found")
        return Response(order_json(order))

    @operation(
        "alpaca_replace_order",
        "Change an open limit order's qty and/or limit price, in place (same id)",
        ref("AlpacaOrder"),
        request={"application/json": REPLACE_REQUEST},
        errors=(403, 422),
    )
    def patch(self, request, order_id: uuid.UUID):
        data = params.json_object(request)
        order = selectors.order_get(user=request.user, public_id=order_id)
        if order is None:
            raise not_found("order not found")
        time_in_force = data.get("time_in_force")
        if time_in_force is not None and time_in_force != order.time_in_force:
            raise unprocessable("time_in_force cannot change; cancel and place a new order")
        client_order_id = _client_order_id(data.get("client_order_id"))
        if client_order_id is not None and client_order_id != (order.client_order_id or str(order.public_id)):
            if selectors.order_by_client_order_id(user=request.user, client_order_id=client_order_id):
                raise duplicate_client_order_id()
            raise unprocessable("client_order_id cannot change here; it stays the one given at submission")
        # `trail` is the trail_price or the trail_percent, whichever the order uses.
        trail_name = "trail_percent" if order.trail_percent is not None else "trail_price"
        trail = _trail_percent(data.get("trail")) if trail_name == "trail_percent" else _optional_price(data, "trail")
        quantity = params.quantity(data["qty"]) if data.get("qty") is not None else None
        request.alpaca_order = {"symbol": order.stock.code, "qty": quantity or order.quantity}
        modified = order_modify(
            user=request.user,
            order_id=order.pk,
            quantity=quantity,
            limit_price=_optional_price(data, "limit_price"),
            stop_price=_optional_price(data, "stop_price"),
            **{trail_name: trail},
        )
        return Response(order_json(modified))

    @operation("alpaca_cancel_order", "Cancel an open order", None, status=204, errors=(422,))
    def delete(self, request, order_id: uuid.UUID):
        order_cancel(user=request.user, order_id=_order_pk(request, order_id))
        return Response(status=204)
