from rest_framework import serializers

from stocking.core.money import rate_percent
from stocking.core.schema import request_schema
from trading.api.serializers import WholeWonField, price_change, price_change_rate
from watchlist.models import Watchlist, WatchlistItem

PRICE = {"max_digits": 12, "decimal_places": 0}


class WatchlistItemSerializer(serializers.ModelSerializer):
    """An item with its stock's live quote."""

    stock = serializers.CharField(source="stock.code")
    name = serializers.CharField(source="stock.name")
    market = serializers.CharField(source="stock.market")
    price = serializers.DecimalField(source="stock.current_price", allow_null=True, **PRICE)
    previous_close = serializers.DecimalField(source="stock.previous_close", allow_null=True, **PRICE)
    change = serializers.SerializerMethodField()
    change_rate = serializers.SerializerMethodField()
    volume = serializers.IntegerField(source="stock.volume")
    is_halted = serializers.BooleanField(source="stock.is_halted")
    target_gap_rate = serializers.SerializerMethodField(help_text="How far the target is from the price, percent.")

    class Meta:
        model = WatchlistItem
        fields = (
            "stock",
            "name",
            "market",
            "price",
            "previous_close",
            "change",
            "change_rate",
            "volume",
            "is_halted",
            "memo",
            "target_price",
            "target_gap_rate",
            "position",
            "added_at",
        )
        read_only_fields = fields

    def get_change(self, item: WatchlistItem) -> str | None:
        return price_change(item.stock)

    def get_change_rate(self, item: WatchlistItem) -> str | None:
        return price_change_rate(item.stock)

    def get_target_gap_rate(self, item: WatchlistItem) -> str | None:
        price = item.stock.current_price
        if item.target_price is None or not price:
            return None
        return str(rate_percent(item.target_price - price, price))


class WatchlistSerializer(serializers.ModelSerializer):
    items = WatchlistItemSerializer(many=True, read_only=True)

    class Meta:
        model = Watchlist
        fields = ("id", "name", "position", "created_at", "updated_at", "items")
        read_only_fields = fields


class WatchlistCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)


@request_schema(minProperties=1)
class WatchlistUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False)
    position = serializers.IntegerField(min_value=0, required=False, help_text="Move the list here (0 = first).")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give a new name, position or both.")
        return attrs


class ItemAddSerializer(serializers.Serializer):
    stock = serializers.RegexField(
        r"^\d{6}$", help_text="KRX code, six digits", error_messages={"invalid": "A stock code is six digits."}
    )
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    target_price = WholeWonField(required=False, allow_null=True, default=None)


@request_schema(minProperties=1)
class ItemUpdateSerializer(serializers.Serializer):
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    target_price = WholeWonField(required=False, allow_null=True, help_text="null clears it.")
    position = serializers.IntegerField(min_value=0, required=False, help_text="Move the item here (0 = first).")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give a memo, target_price, position or a mix.")
        return attrs
