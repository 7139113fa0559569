"""The order and fill JSON of the API, built by hand for the hot paths: the order-event payloads of
every order change and the answer to a new order. They must equal what OrderDetailSerializer and
ExecutionSerializer produce (trading/tests/test_representations.py compares them field by field);
the serializers stay the reference and the schema. DRF's generic field machinery costs ~10× more
per order, which the order path and a matching batch of 200 fills pay on every change."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from trading.models import Execution, Order

WON = Decimal("1")
CENT = Decimal("0.01")


def _decimal(value, step: Decimal) -> str | None:
    if value is None:
        return None
    return f"{Decimal(value).quantize(step):f}"


def _datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def execution_json(execution: Execution) -> dict:
    return {
        "id": execution.pk,
        "order": execution.order_id,
        "stock": execution.stock.code,
        "side": execution.side,
        "quantity": execution.quantity,
        "price": _decimal(execution.price, WON),
        "gross_amount": _decimal(execution.gross_amount, CENT),
        "fee": _decimal(execution.fee, CENT),
        "tax": _decimal(execution.tax, CENT),
        "realized_pnl": _decimal(execution.realized_pnl, CENT),
        "executed_at": _datetime(execution.executed_at),
    }


def order_json(order: Order, executions: list[Execution]) -> dict:
    """The order as GET /api/v1/orders/{id} shows it, with `executions` as its fills."""
    return {
        "id": order.pk,
        "stock": order.stock.code,
        "stock_name": order.stock.name,
        "side": order.side,
        "order_type": order.order_type,
        "time_in_force": order.time_in_force,
        "quantity": order.quantity,
        "limit_price": _decimal(order.limit_price, WON),
        "stop_price": _decimal(order.stop_price, WON),
        "trail_price": _decimal(order.trail_price, WON),
        "trail_percent": _decimal(order.trail_percent, CENT),
        "high_water_mark": _decimal(order.high_water_mark, WON),
        "triggered_at": _datetime(order.triggered_at),
        "oco_group": None if order.oco_group is None else str(order.oco_group),
        "status": order.status,
        "filled_quantity": order.filled_quantity,
        "remaining_quantity": order.remaining_quantity,
        "average_fill_price": _decimal(order.average_fill_price, CENT),
        "reserved_cash": _decimal(order.reserved_cash, CENT),
        "reserved_quantity": order.reserved_quantity,
        "fee": _decimal(order.fee, CENT),
        "tax": _decimal(order.tax, CENT),
        "client_order_id": order.client_order_id,
        "reject_reason": order.reject_reason,
        "cancel_reason": order.cancel_reason,
        "trading_date": _date(order.trading_date),
        "created_at": _datetime(order.created_at),
        "updated_at": _datetime(order.updated_at),
        "closed_at": _datetime(order.closed_at),
        "executions": [execution_json(execution) for execution in executions],
    }
