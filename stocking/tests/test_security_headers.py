"""Security headers on pages and API alike, and CORS only for the origins the environment lists."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    """The policy as {directive: sources}; django-csp writes directives in no fixed order."""
    parts = (part.strip().split(None, 1) for part in response["Content-Security-Policy"].split(";"))
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts if part}


@pytest.mark.parametrize("path", ["/", "/market/", "/accounts/login/", "/api/v1/stocks", "/healthz", "/api/v1/nope"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = directives(response)
    assert (policy["default-src"], policy["script-src"], policy["style-src"]) == ("'self'", "'self'", "'self'")
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_only_the_vendored_docs_may_use_inline_styles(client):
    policy = directives(client.get("/docs"))
    assert (policy["style-src"], policy["script-src"]) == ("'self' 'unsafe-inline'", "'self'")


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
