"""The hand-built order and fill JSON equals the serializers' for every kind of order."""

from decimal import Decimal as D

import pytest

from trading.api.representations import execution_json, order_json
from trading.api.serializers import ExecutionSerializer, OrderDetailSerializer
from trading.models import Order
from trading.services import order_cancel, order_place
from trading.services.oco_orders import oco_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_every_kind_of_order_is_shown_exactly_as_the_serializer_shows_it(user):
    stock = StockFactory(code="100100", current_price=D("10000"), previous_close=D("10000"))
    place = dict(user=user, stock_code=stock.code)
    order_place(**place, side="buy", order_type="market", quantity=20, client_order_id="c-1")
    order_place(**place, side="buy", order_type="limit", quantity=3, limit_price=D("9000"))
    cancelled = order_place(**place, side="buy", order_type="limit", quantity=1, limit_price=D("9100")).order
    order_cancel(user=user, order_id=cancelled.pk)
    order_place(**place, side="sell", order_type="trailing_stop", quantity=2, trail_percent=D("5"))
    order_place(**place, side="buy", order_type="stop_limit", quantity=1, stop_price=D("10500"), limit_price=D("10600"))
    order_place(**place, side="sell", order_type="market", quantity=3)  # a sell: tax and realized P/L
    order_place(**place, side="buy", order_type="limit", quantity=1, limit_price=D("9000"), time_in_force="ioc")
    oco_place(user=user, stock_code=stock.code, quantity=4, stop_price=D("9500"), limit_price=D("10500"))
    orders = Order.objects.select_related("stock").prefetch_related("executions__stock")
    assert orders.count() == 9
    for order in orders:
        fills = list(order.executions.all())
        assert order_json(order, fills) == OrderDetailSerializer(order).data, order
        for fill in fills:
            assert execution_json(fill) == ExecutionSerializer(fill).data
