from rest_framework.routers import SimpleRouter

from watchlist.api import views

router = SimpleRouter(trailing_slash=False)
router.register("watchlists", views.WatchlistViewSet, basename="watchlist")

urlpatterns = router.urls
