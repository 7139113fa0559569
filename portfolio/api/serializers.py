from decimal import Decimal

from rest_framework import serializers

from portfolio.models import CashLedgerEntry


class BalanceSerializer(serializers.Serializer):
    cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    reserved_cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    available_cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()


class AmountInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=15, decimal_places=0, min_value=Decimal("1"), help_text='Whole won, e.g. "1000000".'
    )


class LedgerEntrySerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    execution = serializers.IntegerField(source="execution_id", read_only=True, allow_null=True)

    class Meta:
        model = CashLedgerEntry
        fields = ("id", "kind", "amount", "balance_after", "order", "execution", "reference", "memo", "created_at")
        read_only_fields = fields


class CashMovementSerializer(serializers.Serializer):
    entry = LedgerEntrySerializer()
    balance = BalanceSerializer()
