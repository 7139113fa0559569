from django.apps import AppConfig


class WatchlistConfig(AppConfig):
    name = "watchlist"
    verbose_name = "Watchlists"
