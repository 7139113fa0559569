from django.urls import path
from rest_framework.routers import SimpleRouter

from trading.api import views

router = SimpleRouter(trailing_slash=False)
router.register("stocks", views.StockViewSet, basename="stock")
router.register("orders", views.OrderViewSet, basename="order")
router.register("executions", views.ExecutionViewSet, basename="execution")

urlpatterns = [
    path("market/clock", views.MarketClockView.as_view(), name="market-clock"),
    path("account/reset", views.AccountResetView.as_view(), name="account-reset"),
    *router.urls,
]
