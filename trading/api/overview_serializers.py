"""The market overview and the indices: query serializers, and the answer shapes for the schema.
Overview answers are the stored record as it is (built once per tick by trading.services.overview),
so the serializers below describe it rather than produce it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trading.api.serializers import CaseInsensitiveChoiceField
from trading.models import IndexBar, MarketIndex, PriceBar
from trading.services.overview import RANKING_SIZE, RANKINGS

POINTS = {"max_digits": 12, "decimal_places": 2}
WON = {"max_digits": 24, "decimal_places": 0}
RATE = {"max_digits": 10, "decimal_places": 2}
MARKETS = MarketIndex.Code.choices


# A pattern, not an enum: drf-spectacular would name this choice set "Market" too, beside the stocks'.
@extend_schema_field({"type": "string", "pattern": "^(KOSPI|KOSDAQ)$"})
class IndexMarketField(CaseInsensitiveChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=MARKETS, **kwargs)


class OverviewQuerySerializer(serializers.Serializer):
    market = IndexMarketField(required=False, help_text="KOSPI or KOSDAQ; left out, every listed stock.")


class RankingsQuerySerializer(OverviewQuerySerializer):
    by = serializers.ChoiceField(choices=[(name, name) for name in RANKINGS], default="gainers")
    limit = serializers.IntegerField(min_value=1, max_value=RANKING_SIZE, default=10)


class IndexCandleQuerySerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=PriceBar.Interval.choices, default=PriceBar.Interval.DAY)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=120)


class IndexSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="KOSPI or KOSDAQ.")
    name = serializers.CharField()
    value = serializers.DecimalField(allow_null=True, help_text="Points.", **POINTS)
    previous_close = serializers.DecimalField(allow_null=True, **POINTS)
    change = serializers.DecimalField(allow_null=True, max_digits=12, decimal_places=2)
    change_rate = serializers.DecimalField(allow_null=True, help_text="Percent, two decimals.", **RATE)
    open = serializers.DecimalField(allow_null=True, **POINTS)
    high = serializers.DecimalField(allow_null=True, **POINTS)
    low = serializers.DecimalField(allow_null=True, **POINTS)


class IndexDetailSerializer(IndexSerializer):
    trading_date = serializers.DateField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class IndexCandleSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndexBar
        fields = ("start", "open", "high", "low", "close")
        read_only_fields = fields


class OverviewQuoteSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    market = serializers.CharField()
    price = serializers.DecimalField(**WON)
    change = serializers.DecimalField(allow_null=True, max_digits=24, decimal_places=0)
    change_rate = serializers.DecimalField(allow_null=True, **RATE)
    volume = serializers.IntegerField()
    trading_value = serializers.DecimalField(help_text="Won traded today.", **WON)
    market_cap = serializers.DecimalField(help_text="Price × listed shares.", **WON)


class BreadthSerializer(serializers.Serializer):
    advancers = serializers.IntegerField()
    decliners = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Halted and unpriced stocks included.")
    upper_limit = serializers.IntegerField(help_text="Advancers at the day's upper price limit.")
    lower_limit = serializers.IntegerField(help_text="Decliners at the day's lower price limit.")


class RankingsSerializer(serializers.Serializer):
    gainers = OverviewQuoteSerializer(many=True)
    losers = OverviewQuoteSerializer(many=True)
    volume = OverviewQuoteSerializer(many=True)
    trading_value = OverviewQuoteSerializer(many=True)
    market_cap = OverviewQuoteSerializer(many=True)


class SectorSerializer(serializers.Serializer):
    sector = serializers.CharField(help_text="KRX industry group (GET /api/v1/stocks?sector= takes it).")
    change_rate = serializers.DecimalField(allow_null=True, help_text="Weighted by market cap.", **RATE)
    advancers = serializers.IntegerField()
    decliners = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    trading_value = serializers.DecimalField(**WON)
    stocks = serializers.IntegerField()
    market_cap = serializers.DecimalField(**WON)


class OverviewSerializer(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True, help_text="The tick this record describes; null before any.")
    market = serializers.CharField(allow_null=True, help_text="KOSPI, KOSDAQ, or null for every market.")
    indices = IndexSerializer(many=True)
    breadth = BreadthSerializer()
    rankings = RankingsSerializer(help_text=f"The top {RANKING_SIZE} of each.")
    sectors = SectorSerializer(many=True)
    new_highs = OverviewQuoteSerializer(many=True, help_text="Today's high above the 52 weeks before.")
    new_lows = OverviewQuoteSerializer(many=True)


class RankingSerializer(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True)
    market = serializers.CharField(allow_null=True, help_text="KOSPI, KOSDAQ, or null for every market.")
    by = serializers.ChoiceField(choices=[(name, name) for name in RANKINGS])
    results = OverviewQuoteSerializer(many=True)
