"""Every error under /api/ answers JSON in the API's shape, whatever went wrong."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/orders/", "/api/v2/orders", "/api/", "/api/v1/stocks/12/candles"]
)
def test_an_unknown_api_path_is_a_json_404(auth_client, method, path):
    response = getattr(auth_client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found" and response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/api/v1/balance"), ("put", "/api/v1/orders/1"), ("get", "/api/v1/balance/deposit")],
)
def test_a_wrong_method_is_a_json_405(auth_client, method, path):
    response = getattr(auth_client, method)(path)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", ['{"amount": ', "[1, 2", "\x00\x01", '{"amount": NaN}'])
def test_malformed_json_is_a_json_400(auth_client, body):
    response = auth_client.post("/api/v1/balance/deposit", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in {"parse_error", "invalid"}


def test_unauthenticated_unknown_paths_are_still_404_json(api_client):
    response = api_client.get("/api/v1/does-not-exist")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_an_unexpected_error_under_the_api_is_json_not_an_html_page(user, monkeypatch):
    from django.test import Client

    import portfolio.api.views

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(portfolio.api.views, "balance_get", broken)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/api/v1/balance")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}
