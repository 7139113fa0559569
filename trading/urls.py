from django.urls import path

from trading import overview_pages, views

app_name = "trading"

urlpatterns = [
    path("market/", views.market, name="market"),
    path("market/overview/", overview_pages.market_overview_fragment, name="market-overview"),
    path("market/index/<str:code>/", overview_pages.index_page, name="index"),
    path("market/index/<str:code>/chart/", overview_pages.index_chart, name="index-chart"),
    path("market/<str:code>/", views.stock_detail, name="stock"),
    path("market/<str:code>/chart/", views.stock_chart, name="stock-chart"),
    path("market/<str:code>/oco/", views.stock_oco, name="stock-oco"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("orders/<int:order_id>/modify/", views.order_modify_view, name="order-modify"),
]
