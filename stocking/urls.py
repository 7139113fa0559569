from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from alpaca.views.base import not_found as alpaca_not_found
from stocking import pages
from stocking.core.views import api_not_found, healthz

DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("trading.api.urls")),
    path("", include("portfolio.api.urls")),
    path("", include("watchlist.api.urls")),
    path("", include("payments.api.urls")),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("trading.urls")),
    path("", include("portfolio.urls")),
    path("", include("watchlist.urls")),
    path("", include("payments.urls")),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/", api_not_found),  # after every API route: unknown API paths answer JSON 404
    # The Alpaca-compatible API (ALPACA.md): its own JSON 404 for every unknown path, /alpaca itself too.
    re_path(r"^alpaca/", include("alpaca.urls")),
    path("alpaca", alpaca_not_found),  # not a redirect to /alpaca/: bots do not follow redirects
    # The vendored Swagger UI and ReDoc inject their own <style> elements (and ReDoc searches in a
    # blob worker); their scripts are static files all the same, so script-src stays 'self'.
    path("docs", csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("redoc", csp_update(DOCS_CSP)(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler500 = "stocking.core.views.server_error"
