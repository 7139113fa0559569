"""Schemathesis against the served OpenAPI schema: every operation, as a user with cash, a position,
orders, a watchlist and top-ups, and anonymously. No 5xx, every status documented, every body in the
documented content type and shape, and schema-valid requests accepted.

Bounded and deterministic for CI: MAX_EXAMPLES generated requests per operation on top of the
schema's examples and schemathesis' coverage cases, derandomized, no example database.
Run it alone with `.venv/bin/pytest stocking/tests/test_schema_conformance.py`.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import UserFactory
from payments import gateway
from payments.sandbox import start_sandbox
from payments.services import payment_complete, payment_prepare
from stocking.wsgi import application
from trading.models import PriceBar
from trading.services import order_place
from trading.tests.factories import PriceBarFactory, StockFactory
from watchlist.models import Watchlist
from watchlist.services import watchlist_add_stock

MAX_EXAMPLES = 20

schema = schemathesis.openapi.from_wsgi(
    "/api/schema",
    application,
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "deterministic": True,
                # DRF refuses NUL in every string (ProhibitNullCharactersValidator), which no schema says.
                "allow-x00": False,
            },
        }
    ),
)

# Schema-valid requests the API refuses for reasons no JSON Schema can hold: the account's state
# (cash, shares, today's deposits, names already used) or price rules (the KRX tick grid and the
# day's limits around the previous close), or top-up limits that are settings. Each code is in the
# operation's documented 400; any other refusal of schema-valid data still fails.
RULE_REFUSALS = {
    "POST /api/v1/balance/deposit": {"deposit_limit_exceeded"},
    "POST /api/v1/balance/withdraw": {"insufficient_cash"},
    "POST /api/v1/orders": {
        "insufficient_cash",
        "insufficient_shares",
        "invalid_tick_size",
        "price_out_of_limit",
        "invalid_stop_price",  # a stop on the wrong side of the current price, off the grid or the limits
        "invalid_trail",  # a trail under one tick at the current price
    },
    "POST /api/v1/orders/oco": {
        "insufficient_shares",
        "invalid_tick_size",
        "price_out_of_limit",
        "invalid_stop_price",
        "invalid_order",  # a take-profit not above the stop
        "invalid_time_in_force",  # ioc and fok: a pair rests by nature
    },
    "PATCH /api/v1/orders/{id}": {
        "insufficient_cash",
        "insufficient_shares",
        "invalid_tick_size",
        "price_out_of_limit",
        "invalid_order",  # a quantity below what has already filled, or a price its type does not take
        "invalid_stop_price",  # a stop price for an order that is not a waiting stop, or a wrong one
        "invalid_trail",  # a trail for an order that is not a waiting trailing stop, or under a tick
        "order_not_modifiable",  # a market order resting through a VI, a triggered stop, an OCO member
    },
    "GET /api/v1/orders/orderable": {"invalid_tick_size", "price_out_of_limit"},
    "POST /api/v1/watchlists": {"duplicate_watchlist_name"},
    "PATCH /api/v1/watchlists/{id}": {"duplicate_watchlist_name"},
    "POST /api/v1/watchlists/{id}/stocks": {"already_in_watchlist", "invalid_watchlist"},
    "PATCH /api/v1/watchlists/{id}/stocks/{code}": {"invalid_watchlist"},
    "POST /api/v1/payments/prepare": {"payment_amount_out_of_range", "payment_amount_not_on_step", "invalid_amount"},
}
# The Alpaca facade (alpaca/) answers the same kind of refusal with 422 and Alpaca's numeric codes: a
# rule of the services (42210000: tick grid, limits, unknown symbol, a closed order, a name or symbol
# already on a list) or a repeated client_order_id (40010001).
ALPACA_RULE_REFUSALS = {
    "POST /alpaca/v2/orders": {42210000, 40010001},
    "PATCH /alpaca/v2/orders/{order_id}": {42210000, 40010001},
    "DELETE /alpaca/v2/orders/{order_id}": {42210000},
    "DELETE /alpaca/v2/positions/{symbol_or_asset_id}": {42210000},
    "POST /alpaca/v2/watchlists": {42210000},
    "PUT /alpaca/v2/watchlists/{watchlist_id}": {42210000},
    "POST /alpaca/v2/watchlists/{watchlist_id}": {42210000},
}
RULE_REFUSALS.update(ALPACA_RULE_REFUSALS)
# Sign-up refuses taken usernames and e-mails, passwords Django's validators reject (common, all
# digits, too like the username) and addresses its e-mail validator is stricter about than
# `format: email`: a field error on one of these fields, nothing else.
REGISTER = "POST /api/v1/auth/register"
REGISTER_FIELDS = {"username", "email", "password"}


def positive_data_acceptance_beyond_rules(ctx, response, case):
    """positive_data_acceptance, except for the documented refusals above."""
    json_body = response.headers.get("content-type", [""])[0].startswith("application/json")
    if response.status_code in (400, 422) and json_body:
        body = response.json()
        if body.get("code") in RULE_REFUSALS.get(case.operation.label, ()):
            return None
        errors = body.get("errors") or {"": None}
        if case.operation.label == REGISTER and body.get("code") == "invalid" and set(errors) <= REGISTER_FIELDS:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance_beyond_rules,
]

# Path values of the user's own objects, set by the `world` fixture: random ids and codes only ever
# find nothing, so about half of the generated requests to a detail path aim at a real object.
TARGETS: dict[str, dict[str, list]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    targets = TARGETS.get(context.operation.path)
    if not targets:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in targets.items()})
    return st.one_of(st.just(path_parameters), real.map(lambda values: {**path_parameters, **values}))


@pytest.fixture(scope="module")
def portone():
    server = start_sandbox(api_key="schema-key", api_secret="schema-secret")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def keep_test_connection():
    """Schemathesis calls the WSGI application itself, whose end-of-request cleanup would close the
    connection holding the test's transaction (MariaDB then loses it); Django's test client unhooks
    the same cleanup."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, portone, keep_test_connection):
    """A user with cash, a position, an open and a filled order, a watchlist with a stock, a pending and a
    credited top-up; two stocks with bars. Returns the user's Authorization header."""
    settings.PORTONE_API_URL = portone.url
    settings.PORTONE_V1_API_KEY = "schema-key"
    settings.PORTONE_V1_API_SECRET = "schema-secret"
    settings.PORTONE_STORE_ID = "imp-sandbox"
    settings.PORTONE_SANDBOX = True
    portone.state.reset()

    samsung = StockFactory(code="005930", name="삼성전자", current_price="70000", previous_close="70000")
    StockFactory(code="000660", name="SK하이닉스", current_price="150000", previous_close="150000")
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for step in range(3):
        PriceBarFactory(stock=samsung, interval=PriceBar.Interval.DAY, start=start + timedelta(days=step))
        PriceBarFactory(stock=samsung, interval=PriceBar.Interval.MINUTE, start=start + timedelta(minutes=step))

    user = UserFactory()
    filled = order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10).order
    pending = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=5, limit_price=D("60000")
    ).order
    watchlist = Watchlist.objects.get(user=user)
    watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code="005930")
    prepared = payment_prepare(user=user, amount=D("10000"))
    credited = payment_prepare(user=user, amount=D("20000"))
    imp_uid = gateway.sandbox_pay(merchant_uid=credited.merchant_uid)
    payment_complete(user=user, imp_uid=imp_uid, merchant_uid=credited.merchant_uid)

    TARGETS.update(
        {
            "/api/v1/orders/{id}": {"id": [str(pending.pk), str(filled.pk)]},
            "/api/v1/orders/{id}/cancel": {"id": [str(pending.pk), str(filled.pk)]},
            "/api/v1/executions/{id}": {"id": [str(filled.executions.get().pk)]},
            "/api/v1/payments/{id}": {"id": [str(prepared.pk), str(credited.pk)]},
            "/api/v1/watchlists/{id}": {"id": [str(watchlist.pk)]},
            "/api/v1/watchlists/{id}/stocks": {"id": [str(watchlist.pk)]},
            "/api/v1/watchlists/{id}/stocks/{code}": {"id": [str(watchlist.pk)], "code": ["005930"]},
            "/api/v1/stocks/{code}": {"code": ["005930", "000660"]},
            "/api/v1/stocks/{code}/candles": {"code": ["005930"]},
        }
    )
    # The Alpaca facade names the same objects by their public UUIDs; it takes the same Bearer token.
    TARGETS.update(
        {
            "/alpaca/v2/orders/{order_id}": {"order_id": [str(pending.public_id), str(filled.public_id)]},
            "/alpaca/v2/watchlists/{watchlist_id}": {"watchlist_id": [str(watchlist.public_id)]},
            "/alpaca/v2/watchlists/{watchlist_id}/{symbol}": {
                "watchlist_id": [str(watchlist.public_id)],
                "symbol": ["005930"],
            },
            "/alpaca/v2/positions/{symbol_or_asset_id}": {"symbol_or_asset_id": ["005930"]},
            "/alpaca/v2/assets/{symbol_or_asset_id}": {"symbol_or_asset_id": ["005930", "000660"]},
        }
    )
    yield {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    TARGETS.clear()


BOUNDS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The world fixture is rebuilt per operation, not per example, on purpose: state carries over
    # between the examples of one operation as it would between a client's requests.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@BOUNDS
@pytest.mark.django_db
def test_api_conforms_for_a_user(case, world):
    cache.clear()  # throttle counters: this is a conformance run, not a rate-limit test
    case.call_and_validate(headers=world, checks=CHECKS)


@schema.parametrize()
@BOUNDS
@pytest.mark.django_db
def test_api_conforms_anonymously(case, world):
    cache.clear()
    case.call_and_validate(checks=CHECKS)


def _operations():
    for path, methods in schema.raw_schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_response_documents_the_error_body():
    for label, operation in _operations():
        # The Alpaca facade's errors are Alpaca's {code, message} (alpaca/schema.py), not {detail, code}.
        ref = {"$ref": "#/components/schemas/AlpacaError" if " /alpaca/" in label else "#/components/schemas/Error"}
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == ref, (label, status)


def test_statuses_every_operation_can_answer_are_documented():
    for label, operation in _operations():
        responses = operation["responses"]
        assert {"429", "503"} <= set(responses), label
        if any(requirement for requirement in operation.get("security", [])):
            assert "401" in responses, label


def test_candles_are_a_plain_list_without_pagination():
    operation = schema.raw_schema["paths"]["/api/v1/stocks/{code}/candles"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert not {"page", "page_size"} & {p["name"] for p in operation["parameters"]}


@pytest.mark.parametrize(
    ("component", "field", "accepted", "refused"),
    [
        ("AmountInputRequest", "amount", ["1", "1000000"], ["", "-", "0", "-5", "1.", "1.5", "0100"]),
        ("PrepareInputRequest", "amount", ["10000", "10000.5", "-1"], ["", "-", ".", "1.", "1.234"]),
        ("WatchlistCreateRequest", "name", ["a", " a "], ["   ", "\t"]),
    ],
)
def test_request_patterns_admit_only_what_the_serializers_accept(component, field, accepted, refused):
    pattern = schema.raw_schema["components"]["schemas"][component]["properties"][field]["pattern"]
    assert all(re.search(pattern, value) for value in accepted)
    assert not any(re.search(pattern, value) for value in refused)


@pytest.mark.django_db
def test_a_watchlist_name_the_database_collates_as_taken_is_400_not_500(auth_client):
    """MariaDB's accent-insensitive collation makes the unique index refuse "Café" beside "Cafe", which the
    service's own check (letter case aside) lets through to an IntegrityError: that was a 500."""
    assert auth_client.post("/api/v1/watchlists", {"name": "Cafe"}, format="json").status_code == 201
    other = auth_client.post("/api/v1/watchlists", {"name": "Tea"}, format="json").json()
    created = auth_client.post("/api/v1/watchlists", {"name": "Café"}, format="json")
    renamed = auth_client.patch(f"/api/v1/watchlists/{other['id']}", {"name": "CAFÉ"}, format="json")
    if connection.vendor == "mysql":
        assert (created.status_code, created.json()["code"]) == (400, "duplicate_watchlist_name")
        assert (renamed.status_code, renamed.json()["code"]) == (400, "duplicate_watchlist_name")
    else:  # SQLite's index tells "é" from "e"
        assert (created.status_code, renamed.status_code) == (201, 400)  # "CAFÉ" is "Café" in another case
