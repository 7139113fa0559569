"""The Alpaca-compatible API, mounted at /alpaca: alpaca-py builds `url_override + "/v2" + path`.
No trailing slashes, and every other path under /alpaca answers Alpaca's JSON 404 (never a redirect,
which the SDK does not follow)."""

from django.urls import path, re_path

from alpaca.views import account, assets, marketdata, orders, positions, watchlists
from alpaca.views.base import not_found

urlpatterns = [
    path("v2/account", account.AccountView.as_view(), name="alpaca-account"),
    path("v2/account/configurations", account.AccountConfigurationsView.as_view()),
    path("v2/account/portfolio/history", account.PortfolioHistoryView.as_view()),
    path("v2/clock", account.ClockView.as_view()),
    path("v2/calendar", account.CalendarView.as_view()),
    path("v2/assets", assets.AssetListView.as_view()),
    path("v2/assets/<str:symbol_or_asset_id>", assets.AssetDetailView.as_view()),
    path("v2/orders", orders.OrderListView.as_view(), name="alpaca-orders"),
    # Before orders/<uuid>: the colon is a literal part of Alpaca's path.
    path("v2/orders:by_client_order_id", orders.OrderByClientIdView.as_view()),
    path("v2/orders/<uuid:order_id>", orders.OrderDetailView.as_view()),
    path("v2/positions", positions.PositionListView.as_view()),
    path("v2/positions/<str:symbol_or_asset_id>", positions.PositionDetailView.as_view()),
    path("v2/watchlists", watchlists.WatchlistListView.as_view()),
    path("v2/watchlists/<uuid:watchlist_id>", watchlists.WatchlistDetailView.as_view()),
    path("v2/watchlists/<uuid:watchlist_id>/<str:symbol>", watchlists.WatchlistSymbolView.as_view()),
    path("v2/stocks/bars", marketdata.BarsView.as_view()),
    path("v2/stocks/bars/latest", marketdata.LatestBarsView.as_view()),
    path("v2/stocks/quotes/latest", marketdata.LatestQuotesView.as_view()),
    path("v2/stocks/trades/latest", marketdata.LatestTradesView.as_view()),
    path("v2/stocks/snapshots", marketdata.SnapshotsView.as_view()),
    re_path(r"^.*$", not_found),
]
