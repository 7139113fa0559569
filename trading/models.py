import json
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from stocking.core.models import TimeStampedModel
from trading.sectors import Sector


def PriceField(**kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    """A KRX price in whole won."""
    return models.DecimalField(max_digits=12, decimal_places=0, **kwargs)


def MoneyField(**kwargs) -> models.DecimalField:  # noqa: N802
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


class Market(models.TextChoices):
    KOSPI = "KOSPI", "KOSPI"
    KOSDAQ = "KOSDAQ", "KOSDAQ"
    KONEX = "KONEX", "KONEX"


TRADABLE = Q(is_listed=True, is_halted=False, current_price__isnull=False)


class StockQuerySet(models.QuerySet):
    def tradable(self) -> "StockQuerySet":
        """Listed, not halted and priced: the stocks that move, fill and accept orders."""
        return self.filter(TRADABLE)


class Stock(models.Model):
    code = models.CharField(max_length=6, unique=True, validators=[RegexValidator(r"^\d{6}$", "Six digits.")])
    name = models.CharField(max_length=100, db_index=True)
    market = models.CharField(max_length=6, choices=Market.choices, db_index=True)
    sector = models.CharField(max_length=60, blank=True, choices=Sector.choices, help_text="KRX industry group.")
    current_price = PriceField(null=True, blank=True)
    previous_close = PriceField(null=True, blank=True)
    day_open = PriceField(null=True, blank=True)
    day_high = PriceField(null=True, blank=True)
    day_low = PriceField(null=True, blank=True)
    volume = models.BigIntegerField(default=0)
    trading_value = models.DecimalField(
        max_digits=20, decimal_places=0, default=Decimal("0"), help_text="Won traded today (price × shares per trade)."
    )
    listed_shares = models.PositiveBigIntegerField(default=0, help_text="Shares listed; × price = market cap.")
    float_ratio = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent of the shares that trade freely."
    )
    # The 52 weeks before trading_date, from the daily bars (the day roll keeps them); a quote's
    # 52-week range adds today's, and today's high above high_52w is a new 52-week high.
    high_52w = PriceField(null=True, blank=True, help_text="Highest daily high of the 52 weeks before today.")
    low_52w = PriceField(null=True, blank=True, help_text="Lowest daily low of the 52 weeks before today.")
    trading_date = models.DateField(null=True, blank=True, help_text="The day the day_* fields describe.")
    volatility = models.DecimalField(
        max_digits=6, decimal_places=4, default=Decimal("0.0200"), help_text="Daily σ of log returns (simulator)."
    )
    is_listed = models.BooleanField(default=True)
    is_halted = models.BooleanField(default=False)
    # 정적 VI (trading.krx.static_vi_trigger): until vi_until orders are accepted but not matched.
    # Cleared at the day roll; an old vi_until in the past just means no VI.
    vi_until = models.DateTimeField(null=True, blank=True, help_text="End of the volatility interruption.")
    vi_reference = PriceField(
        null=True, blank=True, help_text="Today's last VI price: the static VI reference instead of the previous close."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_price__gt=0) | Q(current_price__isnull=True), name="stock_price_positive"
            ),
            models.CheckConstraint(condition=Q(volume__gte=0), name="stock_volume_non_negative"),
            models.CheckConstraint(
                condition=Q(float_ratio__isnull=True) | Q(float_ratio__gte=0, float_ratio__lte=100),
                name="stock_float_ratio_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_tradable(self) -> bool:
        return self.is_listed and not self.is_halted and self.current_price is not None

    def vi_active(self, now: datetime | None = None) -> bool:
        return self.vi_until is not None and self.vi_until > (now or timezone.now())

    @property
    def vi_active_until(self) -> datetime | None:
        return self.vi_until if self.vi_active() else None

    @property
    def market_cap(self) -> Decimal | None:
        return None if self.current_price is None else self.current_price * self.listed_shares

    @property
    def range_52w(self) -> tuple[Decimal | None, Decimal | None]:
        """The 52-week low and high as a quote shows them: the stored ones with today's range."""
        lows = [v for v in (self.low_52w, self.day_low, self.current_price) if v is not None]
        highs = [v for v in (self.high_52w, self.day_high, self.current_price) if v is not None]
        return (min(lows) if lows else None, max(highs) if highs else None)


class PriceBar(models.Model):
    class Interval(models.TextChoices):
        MINUTE = "1m", "1 minute"
        DAY = "1d", "1 day"

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="bars")
    interval = models.CharField(max_length=2, choices=Interval.choices)
    start = models.DateTimeField()
    open = PriceField()
    high = PriceField()
    low = PriceField()
    close = PriceField()
    volume = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["stock", "interval", "start"]
        constraints = [
            models.UniqueConstraint(fields=["stock", "interval", "start"], name="pricebar_unique_start"),
            models.CheckConstraint(condition=Q(low__lte=F("high")), name="pricebar_low_le_high"),
        ]

    def __str__(self) -> str:
        return f"{self.stock_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"


class OrderSide(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class OrderType(models.TextChoices):
    MARKET = "market", "Market"
    LIMIT = "limit", "Limit"
    BEST_LIMIT = "best_limit", "Best limit (최유리지정가)"
    BEST_OWN = "best_own", "Best own (최우선지정가)"
    CONDITIONAL_LIMIT = "conditional_limit", "Conditional limit (조건부지정가)"
    STOP = "stop", "Stop"
    STOP_LIMIT = "stop_limit", "Stop limit"
    TRAILING_STOP = "trailing_stop", "Trailing stop"


# Types that rest with a limit price (the matching engine's); stops wait for their trigger first.
LIMIT_TYPES = (OrderType.LIMIT, OrderType.BEST_LIMIT, OrderType.BEST_OWN, OrderType.CONDITIONAL_LIMIT)
STOP_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)
PRICELESS_TYPES = (OrderType.MARKET, OrderType.STOP, OrderType.TRAILING_STOP)


class TimeInForce(models.TextChoices):
    DAY = "day", "Day"
    GTC = "gtc", "Good till cancelled"
    IOC = "ioc", "Immediate or cancel"
    FOK = "fok", "Fill or kill"


# Decided at acceptance: what does not fill at once is cancelled in the same transaction.
IMMEDIATE_TIME_IN_FORCE = {TimeInForce.IOC: "ioc_unfilled", TimeInForce.FOK: "fok_unfilled"}


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


OPEN_STATUSES = (OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED)


class CancelReason(models.TextChoices):
    """Why an order was closed without filling completely (null while it is open or once filled)."""

    USER = "user", "Cancelled by the user"
    EXPIRED = "expired", "Expired at the end of its day"
    IOC_UNFILLED = "ioc_unfilled", "IOC remainder"
    FOK_UNFILLED = "fok_unfilled", "FOK could not fill"
    OCO = "oco", "The other order of its OCO pair settled"
    VI_ACTIVE = "vi_active", "Volatility interruption"
    RESET = "reset", "Account reset"
    STAFF = "staff", "Cancelled by staff"


class Order(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=OrderSide.choices)
    order_type = models.CharField(max_length=20, choices=OrderType.choices)
    time_in_force = models.CharField(max_length=3, choices=TimeInForce.choices, default=TimeInForce.DAY)
    quantity = models.PositiveIntegerField()
    limit_price = PriceField(null=True, blank=True)
    stop_price = PriceField(
        null=True, blank=True, help_text="Stops: the trigger (a trailing stop's moves with its mark)."
    )
    trail_price = PriceField(null=True, blank=True)
    trail_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    high_water_mark = PriceField(
        null=True,
        blank=True,
        help_text="Trailing stops: the best price since acceptance (sells: highest, buys: lowest).",
    )
    triggered_at = models.DateTimeField(null=True, blank=True)
    oco_group = models.UUIDField(null=True, blank=True, db_index=True, help_text="The pair an OCO order belongs to.")
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    filled_quantity = models.PositiveIntegerField(default=0)
    average_fill_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reserve_price = PriceField(help_text="Price the cash reservation of a buy is computed at.", null=True, blank=True)
    reserved_cash = MoneyField(default=Decimal("0"))
    reserved_quantity = models.PositiveIntegerField(default=0)
    fee = MoneyField(default=Decimal("0"))
    tax = MoneyField(default=Decimal("0"))
    # NULL, not "", so any number of orders without an id pass the per-user unique constraint.
    client_order_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    reject_reason = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=16, choices=CancelReason.choices, null=True, blank=True)  # noqa: DJ001
    trading_date = models.DateField(help_text="The trading day a DAY order lives for.")
    closed_at = models.DateTimeField(null=True, blank=True)
    # The id the Alpaca-compatible API shows (its clients require UUIDs); the API here uses `id`.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_order_id"], name="order_client_id_unique_per_user"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(filled_quantity__lte=F("quantity")), name="order_fill_le_quantity"),
            models.CheckConstraint(condition=Q(reserved_cash__gte=0), name="order_reserved_cash_non_negative"),
            models.CheckConstraint(
                condition=Q(order_type__in=PRICELESS_TYPES) | Q(limit_price__isnull=False),
                name="order_limit_has_price",
            ),
            models.CheckConstraint(
                condition=~Q(order_type__in=STOP_TYPES) | Q(stop_price__isnull=False) | Q(triggered_at__isnull=False),
                name="order_stop_has_stop_price",
            ),
        ]
        indexes = [
            # The matching engine asks "open limit orders on this stock and side that the price crossed".
            models.Index(fields=["stock", "side", "status", "limit_price", "id"], name="order_match_idx"),
            models.Index(fields=["user", "status", "-created_at"], name="order_user_status_idx"),
            models.Index(fields=["status", "time_in_force", "trading_date"], name="order_expiry_idx"),
            # Market orders rest only through a VI: the matching pass finds the few there are here.
            models.Index(fields=["order_type", "status"], name="order_type_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.quantity} {self.stock_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity


class Execution(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="executions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="executions")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="executions")
    side = models.CharField(max_length=4, choices=OrderSide.choices)
    quantity = models.PositiveIntegerField()
    price = PriceField()
    gross_amount = MoneyField()
    fee = MoneyField(default=Decimal("0"))
    tax = MoneyField(default=Decimal("0"))
    realized_pnl = MoneyField(null=True, blank=True, help_text="Sells only: proceeds net of costs minus cost basis.")
    executed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-executed_at", "-id"]
        indexes = [models.Index(fields=["user", "-executed_at"], name="execution_user_time_idx")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="execution_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.side} {self.quantity}@{self.price} ({self.stock_id})"

    @property
    def net_amount(self) -> Decimal:
        """Signed cash effect: negative for a buy, positive for a sell."""
        if self.side == OrderSide.BUY:
            return -(self.gross_amount + self.fee)
        return self.gross_amount - self.fee - self.tax


class OrderEventType(models.TextChoices):
    NEW = "new", "New"
    FILL = "fill", "Fill"
    PARTIAL_FILL = "partial_fill", "Partial fill"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    REPLACED = "replaced", "Replaced"
    REJECTED = "rejected", "Rejected"
    TRIGGERED = "triggered", "Triggered"


class OrderEvent(models.Model):
    """The outbox of order changes: written in the transaction that makes the change, with the
    user's next `seq` (counted on their balance row, which every order change already locks), so
    a stream never publishes a change that rolled back nor misses one that committed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_events")
    seq = models.PositiveBigIntegerField()
    event = models.CharField(max_length=16, choices=OrderEventType.choices)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    execution = models.ForeignKey(Execution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The order (and fill) as the API showed them right after the change, built from the objects in memory.
    payload = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["user", "seq"]
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="order_event_unique_user_seq")]

    def __str__(self) -> str:
        return f"{self.user_id}#{self.seq} {self.event} order {self.order_id}"


class MarketTick(models.Model):
    """One move of the market: the quotes that changed, written by the one process moving prices.
    Stream processes send every tick after the last one they sent, in id order."""

    at = models.DateTimeField(db_index=True)
    quotes = models.JSONField(help_text='[{"code", "price", "change", "change_rate", "volume"}, ...]')

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"tick {self.pk} at {self.at:%H:%M:%S}"


class EngineLease(models.Model):
    """Who may move prices: one row per role; the holder renews it every tick, another process
    takes it over only once it has expired (a compare-and-swap UPDATE decides)."""

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"


class MarketIndex(models.Model):
    """KOSPI and KOSDAQ over the simulated universe: Σ price × listed shares of the market's listed
    stocks ÷ divisor. Listings, delistings and share changes rescale the divisor (trading.services.
    indices) so they never move the value; only prices do. The price mover writes value and day
    range every tick; the day roll moves the value into previous_close."""

    class Code(models.TextChoices):
        KOSPI = "KOSPI", "KOSPI"
        KOSDAQ = "KOSDAQ", "KOSDAQ"

    code = models.CharField(max_length=6, unique=True, choices=Code.choices)
    name = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    previous_close = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    day_open = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    day_high = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    day_low = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    trading_date = models.DateField(null=True, blank=True)
    divisor = models.DecimalField(
        max_digits=30, decimal_places=6, null=True, blank=True, help_text="Won of market cap per index point."
    )
    base_value = models.DecimalField(max_digits=12, decimal_places=2, help_text="The level the divisor started at.")
    # What the divisor was last fitted to: a tick whose stocks add up differently knows the universe
    # changed under it and re-reads it instead of jumping.
    constituents = models.PositiveIntegerField(default=0)
    constituent_shares = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(divisor__isnull=True) | Q(divisor__gt=0), name="index_divisor_positive")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.value}"


class IndexBar(models.Model):
    index = models.ForeignKey(MarketIndex, on_delete=models.CASCADE, related_name="bars")
    interval = models.CharField(max_length=2, choices=PriceBar.Interval.choices)
    start = models.DateTimeField()
    open = models.DecimalField(max_digits=12, decimal_places=2)
    high = models.DecimalField(max_digits=12, decimal_places=2)
    low = models.DecimalField(max_digits=12, decimal_places=2)
    close = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["index", "interval", "start"]
        constraints = [
            models.UniqueConstraint(fields=["index", "interval", "start"], name="indexbar_unique_start"),
            models.CheckConstraint(condition=Q(low__lte=F("high")), name="indexbar_low_le_high"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"


class CompactJSONEncoder(json.JSONEncoder):
    """UTF-8 text without padding: the API sends a stored overview as it is, so it is stored the
    way a response should look (a tenth smaller than json.dumps' defaults)."""

    def __init__(self, *args, **kwargs):
        kwargs.update(ensure_ascii=False, separators=(",", ":"))
        super().__init__(*args, **kwargs)


class MarketOverview(models.Model):
    """The market at one tick, as GET /api/v1/market/overview answers it: written once per tick by
    the price mover (one INSERT), read by the API, the pages and the stream, never recomputed."""

    at = models.DateTimeField(db_index=True)
    body = models.JSONField(
        encoder=CompactJSONEncoder,
        help_text="Every market: {at, indices, breadth, rankings, sectors, new_highs, new_lows}.",
    )
    body_kospi = models.JSONField(encoder=CompactJSONEncoder, help_text="The same for KOSPI stocks only.")
    body_kosdaq = models.JSONField(encoder=CompactJSONEncoder, help_text="The same for KOSDAQ stocks only.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"overview {self.pk} at {self.at:%H:%M:%S}"
