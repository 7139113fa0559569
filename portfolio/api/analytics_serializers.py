"""Output shapes of the portfolio analytics endpoints. Money and prices are decimal strings, rates
are percent with two decimals (as a quote's change_rate)."""

from rest_framework import serializers

from portfolio.selectors import HISTORY_PERIODS, STATS_PERIODS

MONEY = {"max_digits": 18, "decimal_places": 2}
PRICE = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 12, "decimal_places": 2, "allow_null": True}


class PositionValueSerializer(serializers.Serializer):
    stock = serializers.CharField(source="stock_code")
    name = serializers.CharField(source="stock_name")
    market = serializers.CharField()
    sector = serializers.CharField()
    quantity = serializers.IntegerField()
    available_quantity = serializers.IntegerField()
    average_price = serializers.DecimalField(**PRICE)
    current_price = serializers.DecimalField(**PRICE)
    previous_close = serializers.DecimalField(**PRICE)
    cost_basis = serializers.DecimalField(**MONEY)
    market_value = serializers.DecimalField(**MONEY)
    unrealized_pnl = serializers.DecimalField(**MONEY)
    unrealized_pnl_rate = serializers.DecimalField(**RATE)
    weight = serializers.DecimalField(**RATE, help_text="Percent of total value.")
    day_change = serializers.DecimalField(**MONEY)
    day_change_rate = serializers.DecimalField(**RATE)
    realized_pnl = serializers.DecimalField(**MONEY, help_text="Realized on this position since it opened.")


class PortfolioSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    currency = serializers.CharField(default="KRW")
    cash = serializers.DecimalField(**MONEY)
    reserved_cash = serializers.DecimalField(**MONEY)
    available_cash = serializers.DecimalField(**MONEY)
    holdings_value = serializers.DecimalField(**MONEY)
    total_value = serializers.DecimalField(**MONEY, help_text="Cash (reserved included) + holdings value.")
    total_cost = serializers.DecimalField(**MONEY, help_text="Cost basis of the held shares, fees included.")
    unrealized_pnl = serializers.DecimalField(**MONEY)
    unrealized_pnl_rate = serializers.DecimalField(**RATE)
    realized_pnl = serializers.DecimalField(**MONEY, help_text="All time, summed from the executions.")
    day_change = serializers.DecimalField(**MONEY, help_text="Holdings' change against the previous close.")
    day_change_rate = serializers.DecimalField(**RATE)
    net_capital = serializers.DecimalField(**MONEY, help_text="Capital put in since the last reset.")
    total_pnl = serializers.DecimalField(**MONEY)
    total_return_rate = serializers.DecimalField(**RATE)
    positions = PositionValueSerializer(many=True)


class HistoryQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=HISTORY_PERIODS, default="3m")


class HistoryPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    cash = serializers.DecimalField(**MONEY)
    holdings_value = serializers.DecimalField(**MONEY)
    total_value = serializers.DecimalField(**MONEY)
    net_capital = serializers.DecimalField(**MONEY)
    live = serializers.BooleanField(help_text="True for today's point, valued now rather than at the close.")


class HistorySerializer(serializers.Serializer):
    period = serializers.CharField()
    points = HistoryPointSerializer(many=True)


class StatsQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=STATS_PERIODS, default="all")


class DrawdownSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="Percent fall from the peak, ≥ 0.")
    peak_date = serializers.DateField(allow_null=True)
    trough_date = serializers.DateField(allow_null=True)


class StatsSerializer(serializers.Serializer):
    period = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True, help_text="Start of the calendar period; null for all.")
    trades = serializers.IntegerField()
    buys = serializers.IntegerField()
    sells = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    win_rate = serializers.DecimalField(**RATE, help_text="Winning sells in percent of all sells.")
    average_win = serializers.DecimalField(**MONEY, allow_null=True)
    average_loss = serializers.DecimalField(**MONEY, allow_null=True)
    realized_pnl = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    turnover = serializers.DecimalField(**MONEY, help_text="Traded value, buys and sells.")
    net_capital = serializers.DecimalField(**MONEY)
    total_value = serializers.DecimalField(**MONEY)
    pnl = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text="Value gained in the period, net of deposits and withdrawals; null when no closing "
        "value before the period is known.",
    )
    total_return_rate = serializers.DecimalField(**RATE)
    max_drawdown = DrawdownSerializer()


class SliceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.DecimalField(**MONEY)
    weight = serializers.DecimalField(**RATE)


class AllocationSerializer(serializers.Serializer):
    total_value = serializers.DecimalField(**MONEY)
    cash = SliceSerializer()
    by_stock = SliceSerializer(many=True)
    by_sector = SliceSerializer(many=True)


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    display_name = serializers.CharField()
    total_return_rate = serializers.DecimalField(**RATE)
    since = serializers.DateTimeField(allow_null=True, help_text="The last reset, or null.")
    is_you = serializers.BooleanField()
