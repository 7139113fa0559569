from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from stocking.core.exceptions import StockNotTradable
from stocking.core.schema import error_responses
from trading import selectors
from trading.api import serializers as s
from trading.api.representations import order_json
from trading.models import Stock
from trading.services import order_cancel, order_modify, order_place
from trading.services.oco_orders import oco_place
from trading.services.orders import UnknownStock, validate_limit_price
from trading.services.reset import account_reset
from trading.sessions import market_clock

KRX_RULES = (
    "`invalid` with `errors` by field, or a rule the order breaks: `invalid_order`, `invalid_tick_size` (with "
    "`tick_size`), `price_out_of_limit` (with `lower_limit`, `upper_limit`), `insufficient_cash` (with "
    "`available_cash`), `insufficient_shares` (with `available_quantity`), `invalid_order_type`, "
    "`invalid_time_in_force`, `invalid_stop_price`, `invalid_trail`."
)
ORDER_CONFLICTS = (
    "`market_closed`, `stock_not_tradable` (halted, delisted or unpriced), `order_not_cancellable` or "
    "`order_not_modifiable` (no longer open, or a DAY order whose day has ended)."
)
ERRORS = error_responses(404, e400=KRX_RULES, e409=ORDER_CONFLICTS)
BAD_QUERY = error_responses(e400="A query parameter outside its allowed values: `invalid` with `errors`.")
STOCK_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=r"^\d{6}$",
    description="KRX code, six digits",
    examples=[OpenApiExample("Samsung Electronics", value="005930")],
)
ORDER_EXAMPLES = [
    OpenApiExample(
        "Limit buy",
        value={"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 10, "limit_price": "70000"},
        request_only=True,
    ),
    OpenApiExample(
        "Market sell",
        value={"stock": "005930", "side": "sell", "order_type": "market", "quantity": 1},
        request_only=True,
    ),
]


@extend_schema_view(
    list=extend_schema(
        parameters=[s.StockListQuerySerializer],
        responses={200: s.StockSerializer(many=True), **BAD_QUERY},
        summary="List stocks",
        tags=["market"],
    ),
    retrieve=extend_schema(
        parameters=[STOCK_CODE],
        responses={200: s.QuoteSerializer, **error_responses(e404="No such stock.")},
        summary="A stock's quote",
        tags=["market"],
    ),
)
class StockViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    lookup_field = "code"
    lookup_value_regex = r"\d{6}"
    serializer_class = s.StockSerializer

    def get_queryset(self):
        if self.action != "list":
            return Stock.objects.all()
        query = s.StockListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.stock_list(**query.validated_data)

    def get_serializer_class(self):
        return s.QuoteSerializer if self.action == "retrieve" else s.StockSerializer

    @extend_schema(
        parameters=[STOCK_CODE, s.CandleQuerySerializer],
        responses={200: s.CandleSerializer(many=True), **BAD_QUERY, **error_responses(e404="No such stock.")},
        summary="OHLCV bars, oldest first: a plain list of at most `limit` bars, not paginated",
        tags=["market"],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def candles(self, request, code=None):
        stock = get_object_or_404(Stock, code=code)
        query = s.CandleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bars = selectors.candle_list(stock=stock, **query.validated_data)
        return Response(s.CandleSerializer(bars, many=True).data)


class MarketClockView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: s.MarketClockSerializer}, summary="Is the market open (Asia/Seoul)?", tags=["market"]
    )
    def get(self, request):
        clock = market_clock()
        return Response(s.MarketClockSerializer(clock).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[s.OrderListQuerySerializer],
        responses={200: s.OrderSerializer(many=True), **BAD_QUERY},
        summary="Your orders, newest first",
        tags=["orders"],
    ),
    retrieve=extend_schema(
        responses={200: s.OrderDetailSerializer, **error_responses(404)},
        summary="One order with its executions",
        tags=["orders"],
    ),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.OrderSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_throttles(self):
        self.throttle_scope = "orders" if self.request.method in ("POST", "PATCH") else None
        return super().get_throttles()

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.order_detail_queryset(user=self.request.user)
        query = s.OrderListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        filters["status"] = ",".join(sorted(filters.get("status", [])))
        return selectors.order_list(user=self.request.user, **filters)

    def get_serializer_class(self):
        return s.OrderDetailSerializer if self.action == "retrieve" else s.OrderSerializer

    def _detail(self, order_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        order = selectors.order_detail_queryset(user=self.request.user).get(pk=order_id)
        return Response(s.OrderDetailSerializer(order).data, status=status_code)

    @extend_schema(
        request=s.OrderInputSerializer,
        responses={
            201: s.OrderDetailSerializer,
            200: OpenApiResponse(
                s.OrderDetailSerializer, description="A repeated client_order_id: the existing order."
            ),
            **ERRORS,
        },
        examples=ORDER_EXAMPLES,
        summary="Place an order",
        tags=["orders"],
    )
    def create(self, request):
        data = s.OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        placed = order_place(user=request.user, stock_code=fields.pop("stock"), **fields)
        if not placed.created:
            return self._detail(placed.order.pk)
        # Built from the objects the service just wrote: nothing to read back (the same JSON as a GET).
        return Response(order_json(placed.order, getattr(placed.order, "fills", [])), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.OrderModifySerializer,
        responses={200: s.OrderDetailSerializer, **ERRORS},
        examples=[OpenApiExample("A new price", value={"limit_price": "65000"}, request_only=True)],
        summary="Modify an open limit order (re-reserves)",
        tags=["orders"],
    )
    def partial_update(self, request, pk=None):
        data = s.OrderModifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_modify(user=request.user, order_id=int(pk), **data.validated_data)
        return self._detail(order.pk)

    @extend_schema(
        request=None,
        responses={200: s.OrderDetailSerializer, **error_responses(404, e409=ORDER_CONFLICTS)},
        summary="Cancel an open order",
        tags=["orders"],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = order_cancel(user=request.user, order_id=int(pk))
        return self._detail(order.pk)

    @extend_schema(
        request=s.OcoInputSerializer,
        responses={201: s.OcoSerializer, **ERRORS},
        summary="A stop-loss / take-profit pair: two sells sharing one hold of the shares",
        tags=["orders"],
    )
    @action(detail=False, methods=["post"])
    def oco(self, request):
        data = s.OcoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        pair = oco_place(user=request.user, stock_code=fields.pop("stock"), **fields)
        return Response(s.OcoSerializer(pair).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[s.OrderableQuerySerializer],
        responses={
            200: s.OrderableSerializer,
            **error_responses(
                e400="`invalid` with `errors` by field, or a price off the grid or the limits: `invalid_tick_size`, "
                "`price_out_of_limit`.",
                e404="No such stock: `unknown_stock`.",
                e409="`stock_not_tradable`: the stock has no price yet.",
            ),
        },
        summary="How many shares you can buy or sell, with estimated fee and tax",
        tags=["orders"],
    )
    @action(detail=False, methods=["get"])
    def orderable(self, request):
        query = s.OrderableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stock = Stock.objects.filter(code=query.validated_data["stock"]).first()
        if stock is None:
            raise UnknownStock()
        if stock.current_price is None:
            raise StockNotTradable(f"{stock.name} ({stock.code}) has no price yet.")
        price = query.validated_data.get("price")
        if price is not None:
            validate_limit_price(stock, price)  # the same tick and limit rules an order would meet
        result = selectors.orderable(user=request.user, stock=stock, side=query.validated_data["side"], price=price)
        return Response(s.OrderableSerializer(result).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("stock", str, description="KRX code")],
        summary="Your fills, newest first",
        tags=["orders"],
    ),
    retrieve=extend_schema(
        responses={200: s.ExecutionSerializer, **error_responses(404)}, summary="One fill", tags=["orders"]
    ),
)
class ExecutionViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    serializer_class = s.ExecutionSerializer

    def get_queryset(self):
        return selectors.execution_list(user=self.request.user, stock=self.request.query_params.get("stock", ""))


class AccountResetView(APIView):
    throttle_scope = "orders"

    @extend_schema(
        request=s.ResetInputSerializer,
        responses={
            200: s.ResetSerializer,
            **error_responses(
                e400='Without {"confirm": "RESET"}: `reset_not_confirmed`.',
                e409="Orders kept arriving during the reset; try again: `reset_busy`.",
            ),
        },
        summary="Start over: cancel open orders, remove positions, cash back to the grant plus paid top-ups",
        tags=["portfolio"],
    )
    def post(self, request):
        data = s.ResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reset = account_reset(user=request.user, confirm=data.validated_data.get("confirm", ""))
        return Response(s.ResetSerializer(reset).data)
