from trading.services.execution import order_execute
from trading.services.orders import (
    InvalidOrder,
    PlacedOrder,
    UnknownStock,
    order_cancel,
    order_close,
    order_modify,
    order_place,
)

__all__ = [
    "InvalidOrder",
    "PlacedOrder",
    "UnknownStock",
    "order_cancel",
    "order_close",
    "order_execute",
    "order_modify",
    "order_place",
]
