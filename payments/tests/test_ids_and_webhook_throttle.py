"""Ids that end up in PortOne URL paths are refused unless they have PortOne's (imp_uid) or our
(merchant_uid) shape, before PortOne is asked; the webhook has its own throttle scope."""

from decimal import Decimal as D

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from payments.models import Payment, PaymentStatus
from payments.tests.helpers import paid, prepared, topups

pytestmark = pytest.mark.django_db

MALFORMED_IMP_UIDS = [
    "prepare/{merchant_uid}",  # the attack: GET payments/prepare/{merchant_uid} instead of a payment
    "find/{merchant_uid}",
    "imp_1/../../users/getToken",
    "imp_1?x=1",
    "imp_١٢٣",
    "IMP_123",
    "imp_",
    "payment-1",
]


@pytest.mark.parametrize("imp_uid", MALFORMED_IMP_UIDS)
def test_complete_refuses_a_malformed_imp_uid_with_400_before_asking_portone(auth_client, user, sandbox, imp_uid):
    payment = prepared(user)
    sandbox.configure({"outage": 503})  # a request that reached PortOne would answer 503
    body = {"imp_uid": imp_uid.format(merchant_uid=payment.merchant_uid), "merchant_uid": payment.merchant_uid}
    response = auth_client.post("/api/v1/payments/complete", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid" and "imp_uid" in response.json()["errors"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.READY and topups(user) == []


@pytest.mark.parametrize("imp_uid", MALFORMED_IMP_UIDS)
def test_the_webhook_answers_400_to_a_malformed_imp_uid(sandbox, imp_uid):
    sandbox.configure({"outage": 503})
    body = {"imp_uid": imp_uid.format(merchant_uid="stk_" + "0" * 32), "status": "paid"}
    for fmt in ("json", "multipart"):
        response = APIClient().post("/api/v1/payments/webhook", body, format=fmt)
        assert response.status_code == 400 and response.json()["code"] == "invalid", response.json()


@pytest.mark.parametrize("merchant_uid", ["stk_alice_1", "../find/x", "stk_" + "A" * 32, "prepare"])
def test_complete_refuses_a_merchant_uid_that_prepare_never_returns(auth_client, user, merchant_uid):
    _, imp_uid = paid(user)
    response = auth_client.post(
        "/api/v1/payments/complete", {"imp_uid": imp_uid, "merchant_uid": merchant_uid}, format="json"
    )
    assert response.status_code == 400 and "merchant_uid" in response.json()["errors"]
    assert topups(user) == []


def test_well_formed_ids_still_complete_and_notify(auth_client, user):
    payment, imp_uid = paid(user)
    body = {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid}
    assert auth_client.post("/api/v1/payments/complete", body, format="json").status_code == 200
    assert APIClient().post("/api/v1/payments/webhook", {**body, "status": "paid"}, format="json").status_code == 200
    assert topups(user) == [D("10000")]


def test_the_webhook_has_its_own_scope_so_anonymous_traffic_cannot_starve_it(user, stock, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "2/min", "webhook": "5/min"}
    for throttle in (AnonRateThrottle, ScopedRateThrottle):  # each may hold its own copy of the rates
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)
    anonymous = APIClient()  # same address as PortOne here: 127.0.0.1
    assert [anonymous.get("/api/v1/stocks").status_code for _ in range(3)] == [200, 200, 429]
    payment, imp_uid = paid(user)
    body = {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid, "status": "paid"}
    codes = [APIClient().post("/api/v1/payments/webhook", body, format="json").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429], "the anonymous budget is spent, the webhook's is not"
    assert Payment.objects.get(pk=payment.pk).is_credited and topups(user) == [D("10000")]


def test_the_webhook_scope_is_configured_per_address():
    assert "webhook" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
