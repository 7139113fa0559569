"""The market overview, rankings and indices. Public reads: the overview and rankings answer from
the newest per-tick record (one query), never computing anything per request; the overview is sent
as the JSON text it was stored as.

Market data is the same for every client, so these views look up no user; they are throttled at
THROTTLE_ANON per address and endpoint, one counter in the shared cache (every worker sees it).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from stocking.core.schema import error_responses
from stocking.core.throttling import AnonPerViewRateThrottle
from trading import selectors
from trading.api import overview_serializers as s
from trading.models import MarketIndex
from trading.services.indices import index_quote

BAD_QUERY = error_responses(e400="A query parameter outside its allowed values: `invalid` with `errors`.")
NO_INDEX = error_responses(e404="No such index (KOSPI or KOSDAQ).")
INDEX_CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, enum=MarketIndex.Code.values, description="KOSPI or KOSDAQ"
)


class MarketDataView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonPerViewRateThrottle]


def _index(code: str) -> MarketIndex:
    return get_object_or_404(MarketIndex, code=code.upper())


class MarketOverviewView(MarketDataView):
    @extend_schema(
        parameters=[s.OverviewQuerySerializer],
        responses={200: s.OverviewSerializer, **BAD_QUERY},
        summary="The market at the last tick: indices, breadth, rankings, sectors, new 52-week highs and lows",
        tags=["market"],
    )
    def get(self, request):
        market = request.query_params.get("market")
        if market is not None and market.upper() not in MarketIndex.Code.values:
            # What OverviewQuerySerializer would say, without its cost on the hottest read.
            s.OverviewQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        text = selectors.market_overview_json(market=market.upper() if market else None)
        return HttpResponse(text, content_type="application/json")


class MarketRankingsView(MarketDataView):
    @extend_schema(
        parameters=[s.RankingsQuerySerializer],
        responses={200: s.RankingSerializer, **BAD_QUERY},
        summary="The top stocks by gain, loss, volume, trading value or market cap at the last tick",
        tags=["market"],
    )
    def get(self, request):
        query = s.RankingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        market, by = query.validated_data.get("market"), query.validated_data["by"]
        body = selectors.market_overview(market=market)
        results = body["rankings"][by][: query.validated_data["limit"]]
        return Response({"at": body["at"], "market": market, "by": by, "results": results})


def _index_detail(index: MarketIndex) -> dict:
    return s.IndexDetailSerializer(
        {**index_quote(index), "trading_date": index.trading_date, "updated_at": index.updated_at}
    ).data


class IndexListView(MarketDataView):
    @extend_schema(
        responses={200: s.IndexDetailSerializer(many=True)},
        summary="KOSPI and KOSDAQ: a plain list, not paginated",
        tags=["market"],
    )
    def get(self, request):
        return Response([_index_detail(index) for index in MarketIndex.objects.order_by("pk")])


class IndexDetailView(MarketDataView):
    @extend_schema(
        parameters=[INDEX_CODE],
        responses={200: s.IndexDetailSerializer, **NO_INDEX},
        summary="One index: value, change, day range",
        tags=["market"],
    )
    def get(self, request, code: str):
        return Response(_index_detail(_index(code)))


class IndexCandlesView(MarketDataView):
    @extend_schema(
        parameters=[INDEX_CODE, s.IndexCandleQuerySerializer],
        responses={200: s.IndexCandleSerializer(many=True), **BAD_QUERY, **NO_INDEX},
        summary="An index's OHLC bars, oldest first: a plain list of at most `limit` bars, not paginated",
        tags=["market"],
    )
    def get(self, request, code: str):
        index = _index(code)
        query = s.IndexCandleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bars = selectors.index_candle_list(index=index, **query.validated_data)
        return Response(s.IndexCandleSerializer(bars, many=True).data)
