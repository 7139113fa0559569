from django.urls import path

from portfolio.api import analytics_views, views

urlpatterns = [
    path("balance", views.BalanceView.as_view(), name="balance"),
    path("balance/deposit", views.DepositView.as_view(), name="balance-deposit"),
    path("balance/withdraw", views.WithdrawView.as_view(), name="balance-withdraw"),
    path("balance/transactions", views.LedgerListView.as_view(), name="balance-transactions"),
    path("portfolio", analytics_views.PortfolioView.as_view(), name="portfolio"),
    path("portfolio/history", analytics_views.PortfolioHistoryView.as_view(), name="portfolio-history"),
    path("portfolio/stats", analytics_views.PortfolioStatsView.as_view(), name="portfolio-stats"),
    path("portfolio/allocation", analytics_views.PortfolioAllocationView.as_view(), name="portfolio-allocation"),
    path("leaderboard", analytics_views.LeaderboardView.as_view(), name="leaderboard"),
]
