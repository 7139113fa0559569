from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/deposit/", views.deposit, name="deposit"),
    path("wallet/withdraw/", views.withdraw, name="withdraw"),
    path("wallet/topup/", views.topup, name="topup"),
    path("wallet/topup/<str:merchant_uid>/pay/", views.topup_pay, name="topup-pay"),
    path("wallet/topup/<str:merchant_uid>/done/", views.topup_done, name="topup-done"),
]
