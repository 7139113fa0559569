"""Watchlists by public UUID, over the watchlist app's services. A body that changes several things
(create with symbols, replace the symbol list) runs in one transaction: all of it or none."""

import uuid

from django.db import transaction
from rest_framework.response import Response

from alpaca import params, selectors
from alpaca.errors import not_found, unprocessable
from alpaca.representations import watchlist_json
from alpaca.schema import WATCHLIST_ADD, WATCHLIST_CREATE, WATCHLIST_UPDATE, array, operation, ref
from alpaca.views.base import AlpacaView
from stocking.core.exceptions import ApplicationError
from watchlist import services
from watchlist.selectors import watchlist_get, watchlist_list


def _name(data: dict, *, required: bool) -> str | None:
    name = data.get("name")
    if name is None and not required:
        return None
    if not isinstance(name, str) or not name.strip():
        raise unprocessable("name is required")
    return name


def _symbols(data: dict) -> list[str] | None:
    symbols = data.get("symbols")
    if symbols is None:
        return None
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise unprocessable("symbols must be a list of symbols")
    return [s.strip().upper() for s in symbols]


def _pk(request, watchlist_id: uuid.UUID) -> int:
    pk = selectors.watchlist_pk(user=request.user, public_id=watchlist_id)
    if pk is None:
        raise not_found("watchlist not found")
    return pk


def _answer(request, pk: int) -> Response:
    return Response(watchlist_json(watchlist_get(user=request.user, watchlist_id=pk)))


def _replace_symbols(user, pk: int, symbols: list[str]) -> None:
    """Make the list hold exactly `symbols`, in that order; items kept keep their memo and target."""
    current = [item.stock.code for item in watchlist_get(user=user, watchlist_id=pk).items.all()]
    for code in current:
        if code not in symbols:
            services.watchlist_remove_stock(user=user, watchlist_id=pk, stock_code=code)
    for code in symbols:
        if code not in current:
            services.watchlist_add_stock(user=user, watchlist_id=pk, stock_code=code)
    for position, code in enumerate(symbols):
        services.watchlist_update_item(user=user, watchlist_id=pk, stock_code=code, position=position)


class WatchlistListView(AlpacaView):
    @operation("alpaca_list_watchlists", "Your watchlists (without their assets)", array("AlpacaWatchlist"))
    def get(self, request):
        return Response([watchlist_json(w, assets=False) for w in watchlist_list(user=request.user)])

    @operation(
        "alpaca_create_watchlist",
        "Create a watchlist, optionally with symbols",
        ref("AlpacaWatchlist"),
        request={"application/json": WATCHLIST_CREATE},
        errors=(422,),
    )
    def post(self, request):
        data = params.json_object(request)
        name, symbols = _name(data, required=True), _symbols(data) or []
        with transaction.atomic():
            watchlist = services.watchlist_create(user=request.user, name=name)
            for code in symbols:
                services.watchlist_add_stock(user=request.user, watchlist_id=watchlist.pk, stock_code=code)
        return _answer(request, watchlist.pk)


class WatchlistDetailView(AlpacaView):
    @operation("alpaca_get_watchlist", "One watchlist with its assets, in order", ref("AlpacaWatchlist"))
    def get(self, request, watchlist_id: uuid.UUID):
        return _answer(request, _pk(request, watchlist_id))

    @operation(
        "alpaca_update_watchlist",
        "Rename a watchlist and/or replace its whole symbol list",
        ref("AlpacaWatchlist"),
        request={"application/json": WATCHLIST_UPDATE},
        errors=(422,),
    )
    def put(self, request, watchlist_id: uuid.UUID):
        data = params.json_object(request)
        pk = _pk(request, watchlist_id)
        name, symbols = _name(data, required=False), _symbols(data)
        with transaction.atomic():
            if name is not None:
                services.watchlist_update(user=request.user, watchlist_id=pk, name=name)
            if symbols is not None:
                _replace_symbols(request.user, pk, symbols)
        return _answer(request, pk)

    @operation(
        "alpaca_add_asset_to_watchlist",
        "Append a symbol to a watchlist",
        ref("AlpacaWatchlist"),
        request={"application/json": WATCHLIST_ADD},
        errors=(422,),
    )
    def post(self, request, watchlist_id: uuid.UUID):
        data = params.json_object(request)
        pk = _pk(request, watchlist_id)
        code = params.symbol(data.get("symbol"))
        services.watchlist_add_stock(user=request.user, watchlist_id=pk, stock_code=code)
        return _answer(request, pk)

    @operation("alpaca_delete_watchlist", "Delete a watchlist", None, status=204)
    def delete(self, request, watchlist_id: uuid.UUID):
        services.watchlist_delete(user=request.user, watchlist_id=_pk(request, watchlist_id))
        return Response(status=204)


class WatchlistSymbolView(AlpacaView):
    @operation("alpaca_remove_asset_from_watchlist", "Remove a symbol from a watchlist", ref("AlpacaWatchlist"))
    def delete(self, request, watchlist_id: uuid.UUID, symbol: str):
        pk = _pk(request, watchlist_id)
        try:
            services.watchlist_remove_stock(user=request.user, watchlist_id=pk, stock_code=symbol.upper())
        except ApplicationError as exc:
            if exc.status_code == 404:  # unknown symbol, or not on this list
                raise not_found(f"{symbol} is not in this watchlist") from exc
            raise
        return _answer(request, pk)
