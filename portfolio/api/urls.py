from django.urls import path

from portfolio.api import views

urlpatterns = [
    path("balance", views.BalanceView.as_view(), name="balance"),
    path("balance/deposit", views.DepositView.as_view(), name="balance-deposit"),
    path("balance/withdraw", views.WithdrawView.as_view(), name="balance-withdraw"),
    path("balance/transactions", views.LedgerListView.as_view(), name="balance-transactions"),
]
