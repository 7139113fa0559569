from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api import analytics_serializers as s
from portfolio.selectors import (
    leaderboard,
    portfolio_allocation,
    portfolio_history,
    portfolio_stats,
    portfolio_value,
)
from stocking.core.schema import error_responses

BAD_PERIOD = error_responses(e400="`period` outside the allowed values: `invalid` with `errors`.")


class PortfolioView(APIView):
    @extend_schema(responses={200: s.PortfolioSerializer}, summary="Your portfolio valued now", tags=["portfolio"])
    def get(self, request):
        return Response(s.PortfolioSerializer(portfolio_value(user=request.user)).data)


class PortfolioHistoryView(APIView):
    @extend_schema(
        parameters=[s.HistoryQuerySerializer],
        responses={200: s.HistorySerializer, **BAD_PERIOD},
        summary="Daily equity curve since the last reset; the last point is today's live value",
        tags=["portfolio"],
    )
    def get(self, request):
        query = s.HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        points = portfolio_history(user=request.user, period=period)
        return Response(s.HistorySerializer({"period": period, "points": points}).data)


class PortfolioStatsView(APIView):
    @extend_schema(
        parameters=[s.StatsQuerySerializer],
        responses={200: s.StatsSerializer, **BAD_PERIOD},
        summary="Trading statistics over a calendar period (Asia/Seoul) since the last reset",
        tags=["portfolio"],
    )
    def get(self, request):
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = portfolio_stats(user=request.user, period=query.validated_data["period"])
        return Response(s.StatsSerializer(stats).data)


class PortfolioAllocationView(APIView):
    @extend_schema(
        responses={200: s.AllocationSerializer},
        summary="Weights by stock and by sector, cash as its own slice",
        tags=["portfolio"],
    )
    def get(self, request):
        return Response(s.AllocationSerializer(portfolio_allocation(user=request.user)).data)


@extend_schema(summary="Opt-in ranking by total return since each user's last reset", tags=["portfolio"])
class LeaderboardView(generics.ListAPIView):
    serializer_class = s.LeaderboardRowSerializer

    def get_queryset(self):
        return leaderboard(viewer=self.request.user)
