import logging

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.api import serializers as s
from payments.models import Payment, PaymentStatus
from payments.selectors import payment_get, payment_list
from payments.services import UnknownMerchantUid, payment_complete, payment_prepare, payment_sync
from stocking.core.schema import error_responses
from stocking.core.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

GATEWAY_ERRORS = error_responses(
    502,
    e503="PortOne is down or too slow, or top-ups are not configured here; retry later: "
    "`payment_gateway_unavailable`, `payments_not_configured`.",
)


def _prepared(payment: Payment, user) -> dict:
    return {
        "id": payment.pk,
        "merchant_uid": payment.merchant_uid,
        "amount": payment.amount,
        "virtual_amount": payment.virtual_amount,
        "currency": payment.currency,
        "name": payment.name,
        "pay_method": "card",
        "store_id": settings.PORTONE_STORE_ID,
        "channel_key": settings.PORTONE_CHANNEL_KEY,
        "buyer_name": user.get_full_name() or user.display_name or user.get_username(),
        "buyer_email": user.email,
        "sandbox": settings.PORTONE_SANDBOX,
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", str, enum=PaymentStatus.values)],
        summary="Your top-ups, newest first",
        tags=["payments"],
    ),
    retrieve=extend_schema(
        responses={200: s.PaymentDetailSerializer, **error_responses(e404="Not yours, or no such payment.")},
        summary="One of your top-ups with its refunds",
        tags=["payments"],
    ),
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.PaymentSerializer
    lookup_value_regex = r"\d+"

    def get_throttles(self):
        self.throttle_scope = "payments" if self.request.method == "POST" else None
        return super().get_throttles()

    def get_queryset(self):
        status_filter = self.request.query_params.get("status", "")
        return payment_list(user=self.request.user, status=status_filter if status_filter in PaymentStatus else "")

    def retrieve(self, request, pk=None):
        return Response(s.PaymentDetailSerializer(payment_get(user=request.user, payment_id=int(pk))).data)

    @extend_schema(
        request=s.PrepareInputSerializer,
        responses={
            201: s.PreparedPaymentSerializer,
            **error_responses(
                e400="Bad amount: `invalid`, `invalid_amount`, `payment_amount_out_of_range` (with `min_amount`, "
                "`max_amount`), `payment_amount_not_on_step` (with `step`).",
                e409="PortOne refused to register the amount: `payment_gateway_rejected`.",
            ),
            **GATEWAY_ERRORS,
        },
        examples=[OpenApiExample("Ten thousand won", value={"amount": "10000"}, request_only=True)],
        summary="Start a top-up: registers the amount with PortOne and returns what its browser SDK needs",
        tags=["payments"],
    )
    @action(detail=False, methods=["post"])
    def prepare(self, request):
        data = s.PrepareInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_prepare(user=request.user, amount=data.validated_data["amount"])
        return Response(
            s.PreparedPaymentSerializer(_prepared(payment, request.user)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=s.CompleteInputSerializer,
        responses={
            200: OpenApiResponse(s.PaymentDetailSerializer, description="Credited, now or earlier."),
            **error_responses(
                e400="`invalid`: an imp_uid not of PortOne V1's shape (`imp_` and digits), or a merchant_uid "
                "prepare did not return.",
                e404="`payment_not_found`: not your order, or PortOne has no such imp_uid.",
                e409="`payment_amount_mismatch` (cancelled at PortOne, under review) or `payment_not_paid`.",
            ),
            **GATEWAY_ERRORS,
        },
        summary="Finish a top-up after PortOne's window: verified with PortOne, credited exactly once",
        tags=["payments"],
    )
    @action(detail=False, methods=["post"])
    def complete(self, request):
        data = s.CompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_complete(user=request.user, **data.validated_data)
        return Response(s.PaymentDetailSerializer(payment_get(user=request.user, payment_id=payment.pk)).data)


class PortOneWebhookView(APIView):
    """PortOne's server-to-server notification. Anonymous and CSRF-exempt (no session authentication):
    the body is only a hint, the payment is fetched from PortOne again."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # PortOne posts from a handful of addresses: its own generous per-address scope, so anonymous
    # traffic sharing the `anon` budget can never make us drop (and PortOne give up on) a notification.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhook"

    @extend_schema(
        request={
            "application/json": s.WebhookInputSerializer,
            "application/x-www-form-urlencoded": s.WebhookInputSerializer,
        },
        responses={
            200: OpenApiResponse(
                s.WebhookResultSerializer, description="Processed, or safely ignored (not our order)."
            ),
            **error_responses(
                e400="No imp_uid, or one not of PortOne V1's shape (`imp_` and digits): `invalid` with `errors`.",
                e404="PortOne does not know this imp_uid (a forged notification): `payment_not_found`.",
            ),
            **GATEWAY_ERRORS,
        },
        summary="PortOne webhook: {imp_uid, merchant_uid, status}, JSON or form",
        tags=["payments"],
    )
    def post(self, request):
        data = s.WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            payment_sync(imp_uid=data.validated_data["imp_uid"])
        except UnknownMerchantUid:
            # Real PortOne payment, someone else's order (a shared store id): acknowledge so it stops retrying.
            logger.info("webhook for foreign payment %s ignored", data.validated_data["imp_uid"])
            return Response(s.WebhookResultSerializer({"result": "ignored"}).data)
        return Response(s.WebhookResultSerializer({"result": "processed"}).data)
