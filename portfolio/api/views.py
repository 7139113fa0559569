from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api import serializers as s
from portfolio.models import LedgerKind
from portfolio.selectors import balance_get, ledger_list
from portfolio.services import balance_deposit, balance_withdraw
from stocking.core.schema import error_responses


class BalanceView(APIView):
    @extend_schema(responses={200: s.BalanceSerializer}, summary="Your virtual cash", tags=["balance"])
    def get(self, request):
        return Response(s.BalanceSerializer(balance_get(user=request.user)).data)


class _CashMovementView(APIView):
    throttle_scope = "orders"
    service = None

    def post(self, request):
        data = s.AmountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = type(self).service(user=request.user, amount=data.validated_data["amount"])
        body = {"entry": entry, "balance": balance_get(user=request.user)}
        return Response(s.CashMovementSerializer(body).data, status=201)


class DepositView(_CashMovementView):
    service = staticmethod(balance_deposit)

    @extend_schema(
        request=s.AmountInputSerializer,
        responses={
            201: s.CashMovementSerializer,
            **error_responses(
                e400="`invalid` with `errors`, or over the day's cap (`DAILY_DEPOSIT_LIMIT`, Asia/Seoul): "
                "`deposit_limit_exceeded` with `remaining_today`."
            ),
        },
        examples=[OpenApiExample("One million won", value={"amount": "1000000"}, request_only=True)],
        summary="Add virtual cash (capped per day)",
        tags=["balance"],
    )
    def post(self, request):
        return super().post(request)


class WithdrawView(_CashMovementView):
    service = staticmethod(balance_withdraw)

    @extend_schema(
        request=s.AmountInputSerializer,
        responses={
            201: s.CashMovementSerializer,
            **error_responses(
                e400="`invalid` with `errors`, or more than the available cash: `insufficient_cash` with "
                "`available_cash`."
            ),
        },
        examples=[OpenApiExample("A hundred thousand won", value={"amount": "100000"}, request_only=True)],
        summary="Take out virtual cash (up to the available cash)",
        tags=["balance"],
    )
    def post(self, request):
        return super().post(request)


@extend_schema(
    parameters=[OpenApiParameter("kind", str, enum=[k for k, _ in LedgerKind.choices])],
    summary="Your cash ledger, newest first",
    tags=["balance"],
)
class LedgerListView(generics.ListAPIView):
    serializer_class = s.LedgerEntrySerializer

    def get_queryset(self):
        kind = self.request.query_params.get("kind", "")
        return ledger_list(user=self.request.user, kind=kind if kind in LedgerKind.values else "")
