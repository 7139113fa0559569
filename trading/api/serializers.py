from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stocking.core.schema import request_schema
from trading import krx
from trading.models import Execution, Market, Order, OrderSide, OrderStatus, OrderType, PriceBar, Stock, TimeInForce
from trading.services.order_types import TAKES_LIMIT, InvalidOrderType

PRICE = {"max_digits": 12, "decimal_places": 0}


class WholeWonField(serializers.DecimalField):
    """A KRW price: a positive whole number of won, given as a string or an integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 0)
        kwargs.setdefault("min_value", Decimal("1"))
        super().__init__(**kwargs)


def price_change(stock: Stock) -> str | None:
    """Won change from the previous close, as every quote shows it."""
    if stock.current_price is None or not stock.previous_close:
        return None
    return str(stock.current_price - stock.previous_close)


def price_change_rate(stock: Stock) -> str | None:
    """Percent change from the previous close, two decimals (e.g. "-1.25")."""
    if stock.current_price is None or not stock.previous_close:
        return None
    rate = (stock.current_price - stock.previous_close) * 100 / stock.previous_close
    return str(rate.quantize(Decimal("0.01")))


class StockSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(source="current_price", read_only=True, **PRICE)
    change = serializers.SerializerMethodField()
    change_rate = serializers.SerializerMethodField()

    class Meta:
        model = Stock
        fields = (
            "code",
            "name",
            "market",
            "sector",
            "price",
            "previous_close",
            "change",
            "change_rate",
            "volume",
            "is_halted",
            "updated_at",
        )
        read_only_fields = fields

    def get_change(self, stock: Stock) -> str | None:
        return price_change(stock)

    def get_change_rate(self, stock: Stock) -> str | None:
        """Percent change from the previous close, two decimals (e.g. "-1.25")."""
        return price_change_rate(stock)


class QuoteSerializer(StockSerializer):
    day_open = serializers.DecimalField(read_only=True, **PRICE)
    day_high = serializers.DecimalField(read_only=True, **PRICE)
    day_low = serializers.DecimalField(read_only=True, **PRICE)
    tick_size = serializers.SerializerMethodField()
    upper_limit = serializers.SerializerMethodField()
    lower_limit = serializers.SerializerMethodField()
    market_cap = serializers.SerializerMethodField(help_text="Price × listed shares, won.")
    high_52w = serializers.SerializerMethodField(help_text="The 52 weeks' highest price, today included.")
    low_52w = serializers.SerializerMethodField(help_text="The 52 weeks' lowest price, today included.")
    vi_until = serializers.DateTimeField(
        source="vi_active_until",
        read_only=True,
        allow_null=True,
        help_text="While a volatility interruption (정적 VI) holds matching: when it ends. Null otherwise.",
    )

    class Meta(StockSerializer.Meta):
        fields = StockSerializer.Meta.fields + (
            "day_open",
            "day_high",
            "day_low",
            "trading_date",
            "is_listed",
            "tick_size",
            "upper_limit",
            "lower_limit",
            "trading_value",
            "listed_shares",
            "float_ratio",
            "market_cap",
            "high_52w",
            "low_52w",
            "vi_until",
        )
        read_only_fields = fields

    def get_market_cap(self, stock: Stock) -> str | None:
        cap = stock.market_cap
        return None if cap is None else str(cap)

    def get_high_52w(self, stock: Stock) -> str | None:
        high = stock.range_52w[1]
        return None if high is None else str(high)

    def get_low_52w(self, stock: Stock) -> str | None:
        low = stock.range_52w[0]
        return None if low is None else str(low)

    def _limits(self, stock: Stock) -> krx.PriceLimits | None:
        base = stock.previous_close or stock.current_price
        return krx.price_limits(base) if base else None

    def get_tick_size(self, stock: Stock) -> str | None:
        return str(krx.tick_size(stock.current_price)) if stock.current_price else None

    def get_upper_limit(self, stock: Stock) -> str | None:
        limits = self._limits(stock)
        return str(limits.upper) if limits else None

    def get_lower_limit(self, stock: Stock) -> str | None:
        limits = self._limits(stock)
        return str(limits.lower) if limits else None


class OrderTypeField(serializers.ChoiceField):
    """An unknown order type is the domain's `invalid_order_type`, not a generic field error."""

    def __init__(self, **kwargs):
        super().__init__(choices=OrderType.choices, **kwargs)

    def to_internal_value(self, data):
        if str(data) not in OrderType.values:
            raise InvalidOrderType(f"Unknown order type {data!r}; one of {', '.join(OrderType.values)}.")
        return str(data)


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        return super().to_internal_value(str(data).upper())


class StockListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=50)
    market = CaseInsensitiveChoiceField(choices=Market.choices, required=False)
    sector = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="Industry group, exact (e.g. 전기전자)"
    )


class CandleQuerySerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=PriceBar.Interval.choices, default=PriceBar.Interval.DAY)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=120)


class CandleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceBar
        fields = ("start", "open", "high", "low", "close", "volume")
        read_only_fields = fields


class MarketClockSerializer(serializers.Serializer):
    now = serializers.DateTimeField()
    is_open = serializers.BooleanField()
    enforced = serializers.BooleanField(help_text="Whether regular-session hours are enforced.")
    trading_date = serializers.DateField()
    next_open = serializers.DateTimeField(allow_null=True)
    next_close = serializers.DateTimeField(help_text="The session close, or the midnight day roll.")


def _absent(*fields: str) -> dict:
    return {field: {"not": {"anyOf": [{"type": "string"}, {"type": "number"}]}} for field in fields}


def _type_rule(types: str, *, required: tuple = (), absent: tuple = (), time_in_force: str | None = None) -> dict:
    properties = {"order_type": {"pattern": f"^({types})$"}, **_absent(*absent)}
    properties.update({field: {"type": "string"} for field in required})
    if time_in_force:
        properties["time_in_force"] = {"pattern": f"^({time_in_force})$"}
    rule = {"properties": properties}
    if required:  # OpenAPI 3.0 wants a non-empty list or none at all
        rule["required"] = list(required)
    return rule


STOP_FIELDS = ("stop_price", "trail_price", "trail_percent")


@request_schema(
    # What each order type takes (order_types.py), for clients and generated requests. Patterns, not
    # enums: drf-spectacular would name every enum as a choice set of its own.
    anyOf=[
        _type_rule("market|best_limit|best_own", absent=("limit_price", *STOP_FIELDS)),
        _type_rule("limit", required=("limit_price",), absent=STOP_FIELDS),
        _type_rule("conditional_limit", required=("limit_price",), absent=STOP_FIELDS, time_in_force="day"),
        _type_rule(
            "stop",
            required=("stop_price",),
            absent=("limit_price", "trail_price", "trail_percent"),
            time_in_force="day|gtc",
        ),
        _type_rule(
            "stop_limit",
            required=("limit_price", "stop_price"),
            absent=("trail_price", "trail_percent"),
            time_in_force="day|gtc",
        ),
        _type_rule(
            "trailing_stop",
            required=("trail_price",),
            absent=("limit_price", "stop_price", "trail_percent"),
            time_in_force="day|gtc",
        ),
        _type_rule(
            "trailing_stop",
            required=("trail_percent",),
            absent=("limit_price", "stop_price", "trail_price"),
            time_in_force="day|gtc",
        ),
    ]
)
class OrderInputSerializer(serializers.Serializer):
    stock = serializers.RegexField(
        r"^\d{6}$", help_text="KRX code, six digits", error_messages={"invalid": "A stock code is six digits."}
    )
    side = serializers.ChoiceField(choices=OrderSide.choices)
    order_type = OrderTypeField()
    quantity = serializers.IntegerField(min_value=1, max_value=settings.MAX_ORDER_QUANTITY)
    limit_price = WholeWonField(required=False, allow_null=True)
    stop_price = WholeWonField(required=False, allow_null=True, help_text="stop and stop_limit: the trigger price.")
    trail_price = WholeWonField(required=False, allow_null=True, help_text="trailing_stop: won behind the mark.")
    trail_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="trailing_stop: percent behind the mark.",
    )
    time_in_force = serializers.ChoiceField(choices=TimeInForce.choices, default=TimeInForce.DAY)
    client_order_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)

    def validate(self, attrs: dict) -> dict:
        # The limit-price rule stays a field error here, as before the other types; the service
        # checks the stop and trail fields and answers with their own codes.
        order_type, has_limit = attrs["order_type"], attrs.get("limit_price") is not None
        if order_type in TAKES_LIMIT and not has_limit:
            raise serializers.ValidationError({"limit_price": [f"A {order_type} order needs a limit_price."]})
        if order_type not in TAKES_LIMIT and has_limit:
            raise serializers.ValidationError({"limit_price": [f"A {order_type} order takes no limit_price."]})
        return attrs


@request_schema(minProperties=1)
class OrderModifySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=settings.MAX_ORDER_QUANTITY, required=False)
    limit_price = WholeWonField(required=False)
    stop_price = WholeWonField(required=False, help_text="An untriggered stop or stop_limit: a new trigger.")
    trail_price = WholeWonField(required=False, help_text="An untriggered trailing stop: a new trail in won.")
    trail_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text="An untriggered trailing stop: a new trail in percent.",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give a new quantity, limit_price or both.")
        return attrs


class OrderListQuerySerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=OrderStatus.choices, required=False)
    side = serializers.ChoiceField(choices=OrderSide.choices, required=False)
    stock = serializers.RegexField(r"^\d{6}$", required=False)

    def to_internal_value(self, data):
        # ?status=pending,filled and ?status=pending&status=filled both work.
        statuses = [part for value in data.getlist("status") for part in value.split(",") if part]
        mutable = {key: data.get(key) for key in data if key != "status"}
        if statuses:
            mutable["status"] = statuses
        return super().to_internal_value(mutable)


class OrderableQuerySerializer(serializers.Serializer):
    stock = serializers.RegexField(r"^\d{6}$")
    side = serializers.ChoiceField(choices=OrderSide.choices)
    price = WholeWonField(required=False)


class ExecutionSerializer(serializers.ModelSerializer):
    stock = serializers.CharField(source="stock.code", read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True)

    class Meta:
        model = Execution
        fields = (
            "id",
            "order",
            "stock",
            "side",
            "quantity",
            "price",
            "gross_amount",
            "fee",
            "tax",
            "realized_pnl",
            "executed_at",
        )
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    stock = serializers.CharField(source="stock.code", read_only=True)
    stock_name = serializers.CharField(source="stock.name", read_only=True)
    remaining_quantity = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        fields = (
            "id",
            "stock",
            "stock_name",
            "side",
            "order_type",
            "time_in_force",
            "quantity",
            "limit_price",
            "stop_price",
            "trail_price",
            "trail_percent",
            "high_water_mark",
            "triggered_at",
            "oco_group",
            "status",
            "filled_quantity",
            "remaining_quantity",
            "average_fill_price",
            "reserved_cash",
            "reserved_quantity",
            "fee",
            "tax",
            "client_order_id",
            "reject_reason",
            "cancel_reason",
            "trading_date",
            "created_at",
            "updated_at",
            "closed_at",
        )
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    executions = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = OrderSerializer.Meta.fields + ("executions",)
        read_only_fields = fields

    @extend_schema_field(ExecutionSerializer(many=True))
    def get_executions(self, order: Order) -> list:
        # An order placed in this request carries its fills in memory (`fills`): no second read.
        fills = getattr(order, "fills", None)
        return ExecutionSerializer(order.executions.all() if fills is None else fills, many=True).data


class OrderableSerializer(serializers.Serializer):
    stock = serializers.CharField(source="stock.code")
    side = serializers.CharField()
    price = serializers.DecimalField(**PRICE)
    max_quantity = serializers.IntegerField()
    available_cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    available_quantity = serializers.IntegerField()
    estimated_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    estimated_fee = serializers.DecimalField(max_digits=18, decimal_places=2)
    estimated_tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    tick_size = serializers.DecimalField(**PRICE)
    lower_limit = serializers.DecimalField(**PRICE)
    upper_limit = serializers.DecimalField(**PRICE)
    commission_rate = serializers.DecimalField(max_digits=8, decimal_places=6)
    sell_tax_rate = serializers.DecimalField(max_digits=8, decimal_places=6)


@request_schema(
    # Any other confirm reaches the service, which answers 400 `reset_not_confirmed`.
    properties={"confirm": {"type": "string", "enum": ["RESET"], "description": 'Must be exactly "RESET".'}},
    required=["confirm"],
)
class ResetInputSerializer(serializers.Serializer):
    confirm = serializers.CharField(required=False, allow_blank=True, help_text='Must be exactly "RESET".')


class ResetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    cash_before = serializers.DecimalField(max_digits=18, decimal_places=2)
    cash_after = serializers.DecimalField(max_digits=18, decimal_places=2)
    orders_cancelled = serializers.IntegerField()
    positions_removed = serializers.IntegerField()


class OcoInputSerializer(serializers.Serializer):
    stock = serializers.RegexField(
        r"^\d{6}$", help_text="KRX code, six digits", error_messages={"invalid": "A stock code is six digits."}
    )
    quantity = serializers.IntegerField(min_value=1, max_value=settings.MAX_ORDER_QUANTITY)
    stop_price = WholeWonField(help_text="The stop-loss: below the current price.")
    limit_price = WholeWonField(help_text="The take-profit: above the stop price.")
    time_in_force = serializers.ChoiceField(
        choices=TimeInForce.choices, default=TimeInForce.DAY, help_text="day or gtc (invalid_time_in_force otherwise)."
    )


class OcoSerializer(serializers.Serializer):
    oco_group = serializers.UUIDField()
    orders = serializers.SerializerMethodField()

    @extend_schema_field(OrderDetailSerializer(many=True))
    def get_orders(self, pair) -> list:
        return OrderDetailSerializer(pair.orders, many=True).data
