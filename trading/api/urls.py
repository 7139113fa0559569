from django.urls import path
from rest_framework.routers import SimpleRouter

from trading.api import overview_views, views

router = SimpleRouter(trailing_slash=False)
router.register("stocks", views.StockViewSet, basename="stock")
router.register("orders", views.OrderViewSet, basename="order")
router.register("executions", views.ExecutionViewSet, basename="execution")

urlpatterns = [
    path("market/clock", views.MarketClockView.as_view(), name="market-clock"),
    path("market/overview", overview_views.MarketOverviewView.as_view(), name="market-overview"),
    path("market/rankings", overview_views.MarketRankingsView.as_view(), name="market-rankings"),
    path("indices", overview_views.IndexListView.as_view(), name="index-list"),
    path("indices/<str:code>", overview_views.IndexDetailView.as_view(), name="index-detail"),
    path("indices/<str:code>/candles", overview_views.IndexCandlesView.as_view(), name="index-candles"),
    path("account/reset", views.AccountResetView.as_view(), name="account-reset"),
    *router.urls,
]
