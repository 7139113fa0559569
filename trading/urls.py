from django.urls import path

from trading import views

app_name = "trading"

urlpatterns = [
    path("market/", views.market, name="market"),
    path("market/<str:code>/", views.stock_detail, name="stock"),
    path("market/<str:code>/chart/", views.stock_chart, name="stock-chart"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("orders/<int:order_id>/modify/", views.order_modify_view, name="order-modify"),
]
