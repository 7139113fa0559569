"""The sandbox speaks PortOne's wire format: the `{code, message, response}` envelope and its statuses."""

import pytest
import requests
from django.conf import settings

from payments.tests.conftest import SANDBOX_KEY, SANDBOX_SECRET


def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": token} if token else {}
    return requests.request(method, f"{settings.PORTONE_API_URL}{path}", headers=headers, timeout=5, **kwargs)


def token() -> str:
    answer = call("POST", "users/getToken", json={"imp_key": SANDBOX_KEY, "imp_secret": SANDBOX_SECRET})
    assert answer.status_code == 200
    body = answer.json()
    assert body["code"] == 0 and set(body["response"]) == {"access_token", "now", "expired_at"}
    return body["response"]["access_token"]


def test_bad_credentials_answer_401_in_the_envelope():
    answer = call("POST", "users/getToken", json={"imp_key": SANDBOX_KEY, "imp_secret": "nope"})
    assert answer.status_code == 401
    assert answer.json()["code"] == -1 and answer.json()["response"] is None


def test_api_calls_without_a_token_answer_401():
    assert call("GET", "payments/imp_1").status_code == 401
    assert call("GET", "payments/imp_1", token="made-up").status_code == 401


def test_unknown_payments_answer_404_in_the_envelope():
    access = token()
    for path in ("payments/imp_404", "payments/find/nobody", "payments/prepare/nobody"):
        answer = call("GET", path, token=access)
        assert answer.status_code == 404, path
        assert answer.json()["code"] != 0 and answer.json()["response"] is None


def test_prepare_pay_find_and_cancel_round_trip():
    access = token()
    prepared = call("POST", "payments/prepare", token=f"Bearer {access}", json={"merchant_uid": "m1", "amount": 5000})
    assert prepared.json() == {"code": 0, "message": None, "response": {"merchant_uid": "m1", "amount": 5000}}
    paid = call("POST", "sandbox/pay", json={"merchant_uid": "m1"}).json()["response"]
    assert (paid["status"], paid["amount"], paid["currency"]) == ("paid", 5000, "KRW")
    assert call("GET", f"payments/{paid['imp_uid']}", token=access).json()["response"] == paid
    assert call("GET", "payments/find/m1", token=access).json()["response"] == paid
    again = call("POST", "sandbox/pay", json={"merchant_uid": "m1"}).json()
    assert again["code"] == 1, "an order that is paid cannot be paid again"
    cancelled = call("POST", "payments/cancel", token=access, json={"imp_uid": paid["imp_uid"], "checksum": 5000})
    assert cancelled.json()["response"]["status"] == "cancelled"
    twice = call("POST", "payments/cancel", token=access, json={"imp_uid": paid["imp_uid"]}).json()
    assert twice["code"] == 1 and twice["response"] is None


def test_paying_an_order_that_was_never_prepared_is_404():
    assert call("POST", "sandbox/pay", json={"merchant_uid": "ghost"}).status_code == 404


def test_a_failed_payment_can_be_simulated_and_retried():
    access = token()
    call("POST", "payments/prepare", token=access, json={"merchant_uid": "m2", "amount": 1000})
    failed = call("POST", "sandbox/pay", json={"merchant_uid": "m2", "status": "failed"}).json()["response"]
    assert failed["status"] == "failed" and failed["fail_reason"]
    retried = call("POST", "sandbox/pay", json={"merchant_uid": "m2"}).json()["response"]
    assert retried["status"] == "paid" and retried["imp_uid"] != failed["imp_uid"]
    assert call("GET", "payments/find/m2", token=access).json()["response"]["imp_uid"] == retried["imp_uid"]


def test_faults_can_target_one_path_and_a_lost_answer_is_still_carried_out(sandbox):
    access = token()
    call("POST", "payments/prepare", token=access, json={"merchant_uid": "m3", "amount": 1000})
    imp_uid = call("POST", "sandbox/pay", json={"merchant_uid": "m3"}).json()["response"]["imp_uid"]
    sandbox.configure({"outage_on": {"/payments/cancel": 503}})
    assert call("POST", "payments/cancel", token=access, json={"imp_uid": imp_uid}).status_code == 503
    assert call("GET", f"payments/{imp_uid}", token=access).json()["response"]["status"] == "paid"
    sandbox.configure({"outage_on": {}, "lost_answers": {"/payments/cancel": 2}})
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{settings.PORTONE_API_URL}payments/cancel",
            headers={"Authorization": access},
            json={"imp_uid": imp_uid},
            timeout=0.3,
        )
    assert call("GET", f"payments/{imp_uid}", token=access).json()["response"]["status"] == "cancelled"
