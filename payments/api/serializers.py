from rest_framework import serializers

from payments.ids import IMP_UID_PATTERN, MERCHANT_UID_PATTERN
from payments.models import Payment, PaymentRefund


def imp_uid_field(**kwargs) -> serializers.RegexField:
    # The id goes into a PortOne URL path: only PortOne V1's shape passes (the gateway checks again).
    return serializers.RegexField(
        IMP_UID_PATTERN,
        max_length=64,
        error_messages={"invalid": "Not a PortOne imp_uid (imp_ followed by digits)."},
        **kwargs,
    )


class PrepareInputSerializer(serializers.Serializer):
    # Shape only: the service answers with the specific code for a bad amount (range, step, fractions).
    amount = serializers.DecimalField(max_digits=15, decimal_places=2, help_text='KRW, e.g. "10000".')


class CompleteInputSerializer(serializers.Serializer):
    imp_uid = imp_uid_field(help_text="PortOne's payment id, from the browser SDK, e.g. `imp_123456789012`.")
    merchant_uid = serializers.RegexField(
        MERCHANT_UID_PATTERN,
        max_length=40,
        error_messages={"invalid": "Not a merchant_uid from prepare."},
        help_text="The merchant_uid that prepare returned.",
    )


class WebhookInputSerializer(serializers.Serializer):
    """PortOne's notification. Only `imp_uid` is used: the payment is fetched from PortOne again.
    `merchant_uid` is not checked against our format: another shop's order on a shared store id is
    acknowledged (200 `ignored`), not refused."""

    imp_uid = imp_uid_field()
    merchant_uid = serializers.CharField(max_length=40, required=False, allow_blank=True)
    status = serializers.CharField(max_length=20, required=False, allow_blank=True)


class WebhookResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["processed", "ignored"])


class PreparedPaymentSerializer(serializers.Serializer):
    """What PortOne's browser SDK needs to open the payment window."""

    id = serializers.IntegerField()
    merchant_uid = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    virtual_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    name = serializers.CharField()
    pay_method = serializers.CharField()
    store_id = serializers.CharField()
    channel_key = serializers.CharField(allow_blank=True)
    buyer_name = serializers.CharField()
    buyer_email = serializers.EmailField()
    sandbox = serializers.BooleanField(help_text="True when the server talks to the local PortOne sandbox.")


class PaymentRefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentRefund
        fields = ("amount", "virtual_amount", "reason", "cancelled_at", "created_at")
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    credited = serializers.BooleanField(source="is_credited", read_only=True)

    class Meta:
        model = Payment
        fields = (
            "id",
            "merchant_uid",
            "imp_uid",
            "name",
            "amount",
            "virtual_amount",
            "refunded_amount",
            "currency",
            "status",
            "credited",
            "pay_method",
            "fail_reason",
            "paid_at",
            "failed_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class PaymentDetailSerializer(PaymentSerializer):
    refunds = PaymentRefundSerializer(many=True, read_only=True)

    class Meta(PaymentSerializer.Meta):
        fields = (*PaymentSerializer.Meta.fields, "refunds")
        read_only_fields = fields
