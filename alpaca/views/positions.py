"""Positions, and closing them with market sells through order_place (ALPACA.md §5)."""

from decimal import ROUND_FLOOR

from django.db import transaction
from rest_framework.response import Response

from alpaca import params, selectors
from alpaca.errors import error_status_and_body, not_found, unprocessable
from alpaca.representations import order_json, position_json
from alpaca.schema import array, operation, query, ref
from alpaca.views.base import AlpacaView
from alpaca.views.orders import cancel_all, place
from portfolio.selectors import position_list
from trading.models import OrderSide, OrderType, TimeInForce
from trading.services import order_cancel


def _position(request, symbol_or_asset_id: str):
    code = selectors.stock_code_for(symbol_or_asset_id.upper())
    position = selectors.position_get(user=request.user, code=code) if code else None
    if position is None:
        raise not_found("position does not exist")
    return position


def _close_quantity(query_params, held: int) -> int:
    qty, percentage = query_params.get("qty"), query_params.get("percentage")
    if qty and percentage:
        raise unprocessable("give qty or percentage, not both")
    if qty:
        quantity = params.quantity(qty)
        if quantity > held:
            raise unprocessable(f"insufficient qty available for order (requested: {quantity}, available: {held})")
        return quantity
    if percentage:
        share = params.price(percentage, "percentage")
        if not 0 < share <= 100:
            raise unprocessable("percentage must be more than 0 and at most 100")
        quantity = int((held * share / 100).to_integral_value(rounding=ROUND_FLOOR))
        if quantity < 1:
            raise unprocessable("that percentage is less than one share")
        return quantity
    return held


def close(user, position, quantity: int):
    """A market sell of `quantity`. Shares held by open sell orders are freed by cancelling those
    orders first, as Alpaca does, in the same transaction as the sell: both happen or neither."""
    with transaction.atomic():
        if quantity > position.available_quantity:
            for pk, _public_id in selectors.open_orders(user=user, stock=position.stock, side=OrderSide.SELL):
                order_cancel(user=user, order_id=pk)
        fields = {
            "stock_code": position.stock.code,
            "side": OrderSide.SELL,
            "order_type": OrderType.MARKET,
            "quantity": quantity,
            "time_in_force": TimeInForce.DAY,
        }
        return place(user, fields)


class PositionListView(AlpacaView):
    order_methods = ("DELETE",)

    @operation("alpaca_list_positions", "Your open positions (long only)", array("AlpacaPosition"))
    def get(self, request):
        return Response([position_json(position) for position in position_list(user=request.user)])

    @operation(
        "alpaca_close_all_positions",
        "Sell every position at market; one result per position (207)",
        array("AlpacaCloseResult"),
        status=207,
        parameters=[query("cancel_orders", bool, "Cancel every open order first.")],
    )
    def delete(self, request):
        if params.query_bool(request.query_params, "cancel_orders"):
            cancel_all(request.user)
        results = []
        for position in position_list(user=request.user):
            request.alpaca_order = {"symbol": position.stock.code, "qty": position.quantity}
            try:
                order = close(request.user, position, position.quantity)
            except Exception as exc:
                known = error_status_and_body(exc, request.alpaca_order)
                if known is None:
                    raise
                status, body = known
                results.append({"symbol": position.stock.code, "status": status, "body": body})
            else:
                results.append({"symbol": position.stock.code, "status": 200, "body": order_json(order)})
        return Response(results, status=207)


class PositionDetailView(AlpacaView):
    order_methods = ("DELETE",)

    @operation("alpaca_get_position", "One position by code or asset UUID", ref("AlpacaPosition"))
    def get(self, request, symbol_or_asset_id: str):
        return Response(position_json(_position(request, symbol_or_asset_id)))

    @operation(
        "alpaca_close_position",
        "Sell all of a position at market, or `qty` shares, or `percentage` of it (rounded down)",
        ref("AlpacaOrder"),
        errors=(403, 422),
        parameters=[
            query("qty", str, "Whole shares.", pattern=r"^\d{1,9}(\.0*)?$"),
            query("percentage", str, "Of the position, 0-100.", pattern=r"^\d{1,3}(\.\d{1,9})?$"),
        ],
    )
    def delete(self, request, symbol_or_asset_id: str):
        position = _position(request, symbol_or_asset_id)
        quantity = _close_quantity(request.query_params, position.quantity)
        request.alpaca_order = {"symbol": position.stock.code, "qty": quantity}
        return Response(order_json(close(request.user, position, quantity)))
