"""Every error in Alpaca's shape, as alpaca-py's APIError reads it, and bad input: 4xx, never a 500,
never a half-done write."""

import json

import pytest
import requests
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.services import api_key_revoke
from alpaca.common.exceptions import APIError
from alpaca.middleware import AlpacaErrorMiddleware
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)
from portfolio.models import Balance
from trading.models import Order
from trading.services import order_place

pytestmark = pytest.mark.django_db(transaction=True)


def refused(call, status: int, code: int) -> APIError:
    with pytest.raises(APIError) as error:
        call()
    assert (error.value.status_code, error.value.code) == (status, code), error.value
    return error.value


@pytest.fixture
def http(trader, base_url):
    """Raw HTTP as a bot without the SDK would send it."""
    _user, key_id, secret = trader
    session = requests.Session()
    session.headers.update({"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret})

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, base_url + path, allow_redirects=False, **kwargs)

    yield call
    session.close()  # a kept-alive connection would outlive the test in the live server's thread


@pytest.fixture
def unchanged(trader):
    """Nothing written: no order, the same cash and holds, the books balanced."""
    user, _key_id, _secret = trader
    before = (Order.objects.count(), Balance.objects.values_list("cash", "reserved_cash").get(user=user))
    yield
    assert (Order.objects.count(), Balance.objects.values_list("cash", "reserved_cash").get(user=user)) == before
    from portfolio.tests.helpers import assert_books_balance

    assert_books_balance()


def test_credentials_that_do_not_authenticate(trader, base_url, client):
    user, key_id, secret = trader
    wrong = TradingClient(key_id, secret + "x", paper=True, url_override=base_url)
    unknown = TradingClient("PK" + "A" * 18, secret, paper=True, url_override=base_url)
    for bad in (wrong, unknown):
        error = refused(bad.get_account, 401, 40110000)
        assert error.message == "request is not authorized"
    for headers in ({}, {"APCA-API-KEY-ID": key_id}, {"APCA-API-SECRET-KEY": secret}):
        answer = requests.get(f"{base_url}/v2/account", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, 40110000)
    assert client.get_account().status.value == "ACTIVE"
    api_key_revoke(user=user, api_key_id=user.api_keys.get().pk)
    refused(client.get_account, 401, 40110000)


def test_an_access_token_works_as_an_oauth_token(trader, base_url):
    from rest_framework_simplejwt.tokens import RefreshToken

    user, _key_id, _secret = trader
    token = str(RefreshToken.for_user(user).access_token)
    assert TradingClient(oauth_token=token, paper=True, url_override=base_url).get_account().account_number
    refused(TradingClient(oauth_token="x.y.z", paper=True, url_override=base_url).get_account, 401, 40110000)


def test_insufficient_buying_power_and_qty(client, market, unchanged):
    error = refused(
        lambda: client.submit_order(
            MarketOrderRequest(symbol="005930", qty=1000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
        ),
        403,
        40310000,
    )
    body = json.loads(str(error))
    assert body["message"] == "insufficient buying power" and body["buying_power"] == "10000000.00"
    error = refused(
        lambda: client.submit_order(
            MarketOrderRequest(symbol="005930", qty=3, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        ),
        403,
        40310000,
    )
    assert error.message == "insufficient qty available for order (requested: 3, available: 0)"
    assert json.loads(str(error))["symbol"] == "005930"


def test_order_requests_the_facade_refuses(client, market, unchanged):
    def market_order(**fields):
        return MarketOrderRequest(**{"symbol": "005930", "side": OrderSide.BUY, "time_in_force": "day", **fields})

    cases = [
        market_order(qty=0.5),  # fractional
        market_order(notional=10000),
        market_order(qty=1, time_in_force=TimeInForce.OPG),
        market_order(qty=1, extended_hours=True),
        market_order(
            qty=1,
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(limit_price=80000),
            stop_loss=StopLossRequest(stop_price=60000),
        ),
        market_order(qty=1, symbol="999999"),  # no such stock
        market_order(qty=1, symbol="AAPL"),
        market_order(qty=10**12),
        StopOrderRequest(symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="day", stop_price=60000),  # below
        StopOrderRequest(symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="ioc", stop_price=80000),
        LimitOrderRequest(symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="day", limit_price=70050),
        LimitOrderRequest(symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="day", limit_price=100000),
        LimitOrderRequest(symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="day", limit_price=40000),
    ]
    for request in cases:
        refused(lambda request=request: client.submit_order(request), 422, 42210000)


def test_a_repeated_client_order_id_is_refused_and_creates_nothing(client, trader, market):
    user, _key_id, _secret = trader
    request = LimitOrderRequest(
        symbol="005930", qty=1, side=OrderSide.BUY, time_in_force="day", limit_price=60000, client_order_id="once"
    )
    first = client.submit_order(request)
    error = refused(lambda: client.submit_order(request), 422, 40010001)
    assert error.message == "client_order_id must be unique"
    assert Order.objects.filter(user=user).count() == 1
    # The native API keeps its idempotent answer for the same id.
    again = order_place(
        user=user,
        stock_code="005930",
        side="buy",
        order_type="limit",
        quantity=1,
        limit_price=60000,
        client_order_id="once",
    )
    assert not again.created and str(again.order.public_id) == str(first.id)


ORDER = {"symbol": "005930", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}


def order_body(**changes) -> str:
    return json.dumps({**ORDER, **changes})


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'"a string"', 400),
        (b"null", 400),
        (order_body(qty=0), 422),
        (order_body(qty=-1), 422),
        (order_body(qty="1e400"), 422),
        (order_body(qty="NaN"), 422),
        (order_body(qty=True), 422),
        (order_body(qty=[1]), 422),
        (order_body(symbol=5930), 422),
        (order_body(side="short"), 422),
        (order_body(type="best"), 422),
        (order_body(time_in_force="x"), 422),
        (order_body(type="limit"), 422),  # no limit_price
        (order_body(type="limit", limit_price="NaN"), 422),
        (order_body(type="limit", limit_price=1e20), 422),
        (order_body(type="limit", limit_price=1e30), 422),
        (order_body(type="stop", stop_price="9" * 40), 422),
        (order_body(type="limit", limit_price=-100, time_in_force="gtc"), 422),
        (order_body(client_order_id="x" * 65), 422),
    ],
)
def test_bad_order_bodies_are_4xx_in_alpacas_shape(http, market, unchanged, body, status):
    answer = http("POST", "/v2/orders", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert set(answer.json()) >= {"code", "message"} and answer.json()["code"] == {400: 40010000, 422: 42210000}[status]
    assert answer.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        "/v2/orders?status=foo",
        "/v2/orders?direction=up",
        "/v2/orders?limit=0",
        "/v2/orders?limit=abc",
        "/v2/orders?limit=501",
        "/v2/orders?after=yesterday",
        "/v2/orders?until=2026-13-45",
        "/v2/orders?side=short",
        "/v2/orders?nested=maybe",
        "/v2/assets?status=zombie",
        "/v2/assets?asset_class=bonds",
        "/v2/calendar?start=soon",
        "/v2/account/portfolio/history?timeframe=2D",
        "/v2/account/portfolio/history?start=nope",
        "/v2/stocks/bars?symbols=005930&timeframe=fortnight",
        "/v2/stocks/bars?timeframe=1Day",
        "/v2/stocks/bars?symbols=005930&timeframe=1Day&page_token=abc",
        "/v2/stocks/bars?symbols=005930&timeframe=1Day&limit=0",
        "/v2/stocks/bars?symbols=005930&timeframe=1Day&sort=up",
        "/v2/stocks/quotes/latest",
        "/v2/positions?cancel_orders=perhaps",
        "/v2/orders:by_client_order_id",
    ],
)
def test_unknown_query_values_are_400(http, market, path):
    method = "DELETE" if path.startswith("/v2/positions") else "GET"
    answer = http(method, path)
    assert (answer.status_code, answer.json()["code"]) == (400, 40010000), answer.text


def test_unknown_routes_and_methods_answer_json_never_a_redirect(http, base_url):
    for path in ("/v2/options/contracts", "/v2/corporate_actions/announcements", "/v2/nope", "/v2/account/", ""):
        answer = http("GET", path)
        assert (answer.status_code, answer.json()["code"]) == (404, 40410000), path
    answer = requests.get(base_url, allow_redirects=False)
    assert (answer.status_code, answer.json()["code"]) == (404, 40410000)
    answer = http("PUT", "/v2/account")
    assert (answer.status_code, answer.json()["code"]) == (405, 40510000)
    answer = http("GET", "/v2/orders/not-a-uuid")
    assert (answer.status_code, answer.json()["code"]) == (404, 40410000)
    answer = http("GET", "/v2/account", headers={"Accept": "text/html"})
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"


def test_an_unexpected_error_is_a_json_500(http, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr("alpaca.views.account.market_clock", broken)
    answer = http("GET", "/v2/clock")
    assert (answer.status_code, answer.json()) == (500, {"code": 50010000, "message": "internal server error"})


def test_a_lost_database_is_a_json_503(http, monkeypatch):
    def unavailable(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("alpaca.authentication.api_key_authenticate", unavailable)
    answer = http("GET", "/v2/clock")
    assert (answer.status_code, answer.json()["code"], answer.headers["Retry-After"]) == (503, 50310000, "5")


def test_error_pages_from_outside_the_views_become_json():
    page = HttpResponse("<html>oops</html>", status=503, headers={"Retry-After": "5"})
    middleware = AlpacaErrorMiddleware(lambda request: page)
    answer = middleware(RequestFactory().get("/alpaca/v2/account"))
    assert (answer.status_code, json.loads(answer.content)["code"], answer["Retry-After"]) == (503, 50310000, "5")
    assert middleware(RequestFactory().get("/market/")) is page


def test_throttled_order_placement_is_alpacas_429(trader, market, monkeypatch):
    from django.test import Client
    from rest_framework.throttling import ScopedRateThrottle

    _user, key_id, secret = trader
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "orders": "1/min"})
    headers = {"HTTP_APCA_API_KEY_ID": key_id, "HTTP_APCA_API_SECRET_KEY": secret}
    http = Client()
    assert http.post("/alpaca/v2/orders", ORDER, content_type="application/json", **headers).status_code == 200
    answer = http.post("/alpaca/v2/orders", ORDER, content_type="application/json", **headers)
    assert (answer.status_code, answer.json()) == (429, {"code": 42910000, "message": "rate limit exceeded"})
    assert int(answer["Retry-After"]) > 0
    assert http.get("/alpaca/v2/orders", **headers).status_code == 200  # reading is another budget
