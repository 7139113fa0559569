from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from stocking.core.schema import error_responses
from watchlist import selectors, services
from watchlist.api import serializers as s

NO_LIST = "No such watchlist (or not yours)."
LIST_ERRORS = error_responses(
    e400="`invalid` with `errors`, `invalid_watchlist`, or a name you already use: `duplicate_watchlist_name`.",
    e404=NO_LIST,
    e409="Too many lists: `watchlist_limit`.",
)
ITEM_ERRORS = error_responses(
    e400="`invalid` with `errors`, a target price off the KRX tick grid (`invalid_watchlist`), or a stock "
    "already on the list (`already_in_watchlist`).",
    e404=f"{NO_LIST} Or an unknown stock (`unknown_stock`), or a stock not on the list.",
    e409="Too many stocks on the list: `watchlist_limit`.",
)
STOCK_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=r"^\d{6}$",
    description="KRX code, six digits",
    examples=[OpenApiExample("Samsung Electronics", value="005930")],
)


@extend_schema_view(
    list=extend_schema(summary="Your watchlists with live quotes", tags=["watchlists"]),
    retrieve=extend_schema(
        responses={200: s.WatchlistSerializer, **error_responses(e404=NO_LIST)},
        summary="One watchlist",
        tags=["watchlists"],
    ),
)
class WatchlistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.WatchlistSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.watchlist_list(user=self.request.user)

    def _detail(self, watchlist_id: int, code: int = status.HTTP_200_OK) -> Response:
        watchlist = selectors.watchlist_get(user=self.request.user, watchlist_id=watchlist_id)
        return Response(s.WatchlistSerializer(watchlist).data, status=code)

    @extend_schema(
        request=s.WatchlistCreateSerializer,
        responses={201: s.WatchlistSerializer, **LIST_ERRORS},
        examples=[OpenApiExample("A list", value={"name": "반도체"}, request_only=True)],
        summary="Create a watchlist (placed last)",
        tags=["watchlists"],
    )
    def create(self, request):
        data = s.WatchlistCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        watchlist = services.watchlist_create(user=request.user, **data.validated_data)
        return self._detail(watchlist.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.WatchlistUpdateSerializer,
        responses={200: s.WatchlistSerializer, **LIST_ERRORS},
        summary="Rename a watchlist or move it",
        tags=["watchlists"],
    )
    def partial_update(self, request, pk=None):
        data = s.WatchlistUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.watchlist_update(user=request.user, watchlist_id=int(pk), **data.validated_data)
        return self._detail(int(pk))

    @extend_schema(
        responses={204: None, **error_responses(e404=NO_LIST)}, summary="Delete a watchlist", tags=["watchlists"]
    )
    def destroy(self, request, pk=None):
        services.watchlist_delete(user=request.user, watchlist_id=int(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.ItemAddSerializer,
        responses={201: s.WatchlistSerializer, **ITEM_ERRORS},
        examples=[
            OpenApiExample(
                "SK hynix with a target",
                value={"stock": "000660", "memo": "HBM", "target_price": "160000"},
                request_only=True,
            )
        ],
        summary="Add a stock to a watchlist (placed last)",
        tags=["watchlists"],
    )
    @action(detail=True, methods=["post"])
    def stocks(self, request, pk=None):
        data = s.ItemAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        services.watchlist_add_stock(user=request.user, watchlist_id=int(pk), stock_code=fields.pop("stock"), **fields)
        return self._detail(int(pk), status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        parameters=[STOCK_CODE],
        request=s.ItemUpdateSerializer,
        responses={200: s.WatchlistSerializer, **ITEM_ERRORS},
        summary="Edit a stock's memo or target price, or move it within the list",
        tags=["watchlists"],
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[STOCK_CODE],
        responses={
            204: None,
            **error_responses(e404=f"{NO_LIST} Or an unknown stock (`unknown_stock`), or a stock not on the list."),
        },
        summary="Remove a stock",
        tags=["watchlists"],
    )
    @action(detail=True, methods=["patch", "delete"], url_path=r"stocks/(?P<code>\d{6})")
    def stock(self, request, pk=None, code=None):
        if request.method == "DELETE":
            services.watchlist_remove_stock(user=request.user, watchlist_id=int(pk), stock_code=code)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = s.ItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.watchlist_update_item(user=request.user, watchlist_id=int(pk), stock_code=code, **data.validated_data)
        return self._detail(int(pk))
