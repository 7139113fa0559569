from django.urls import path

from portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/reset/", views.reset, name="reset"),
    path("analytics/", views.analytics, name="analytics"),
    path("leaderboard/", views.leaderboard_page, name="leaderboard"),
]
