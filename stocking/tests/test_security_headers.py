"""Security headers on pages and API alike, and CORS only for the origins the environment lists."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/market/", "/accounts/login/", "/api/v1/stocks", "/healthz", "/api/v1/nope"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_only_the_vendored_docs_may_use_inline_styles(client):
    assert "style-src 'self' 'unsafe-inline'" in client.get("/docs")["Content-Security-Policy"]
    assert "script-src 'self';" in client.get("/docs")["Content-Security-Policy"]


PREFLIGHT = {
    "HTTP_ORIGIN": "https://spa.example",
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
}


@override_settings(CORS_ALLOWED_ORIGINS=["https://spa.example"])
def test_a_listed_spa_origin_may_call_the_api(client):
    preflight = client.options("/api/v1/orders", **PREFLIGHT)
    assert preflight["Access-Control-Allow-Origin"] == "https://spa.example"
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight
    assert client.get("/api/v1/stocks", HTTP_ORIGIN="https://spa.example")["Access-Control-Allow-Origin"]


@override_settings(CORS_ALLOWED_ORIGINS=["https://spa.example"])
def test_other_origins_and_pages_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.options(
        "/api/v1/orders", **{**PREFLIGHT, "HTTP_ORIGIN": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in client.get("/market/", HTTP_ORIGIN="https://spa.example")


def test_no_origin_is_allowed_by_default(client):
    assert "Access-Control-Allow-Origin" not in client.options("/api/v1/orders", **PREFLIGHT)
