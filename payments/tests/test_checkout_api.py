"""Top-ups through the API against the sandbox: prepare, pay (the sandbox stands in for the browser
window), then complete and/or webhook, in any order and any number of times: credited exactly once."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments import gateway
from payments.models import Payment, PaymentStatus, ReviewReason
from payments.services import payment_sandbox_checkout
from payments.tests.helpers import gateway_status, paid, prepared, topups
from portfolio.models import Balance
from portfolio.tests.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


def complete(client, payment, imp_uid):
    return client.post(
        "/api/v1/payments/complete", {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid}, format="json"
    )


def webhook(imp_uid, merchant_uid="", status="paid", fmt="json"):
    # PortOne posts without credentials or CSRF token; a CSRF-enforcing client proves the view is exempt.
    client = APIClient(enforce_csrf_checks=True)
    return client.post(
        "/api/v1/payments/webhook", {"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status}, format=fmt
    )


def cash(user) -> D:
    return Balance.objects.get(user=user).cash


def test_prepare_registers_the_amount_with_portone_and_returns_what_the_sdk_needs(auth_client, user, sandbox):
    response = auth_client.post("/api/v1/payments/prepare", {"amount": "10000"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    payment = Payment.objects.get(user=user)
    assert body == {
        "id": payment.pk,
        "merchant_uid": payment.merchant_uid,
        "amount": "10000.00",
        "virtual_amount": "10000.00",
        "currency": "KRW",
        "name": payment.name,
        "pay_method": "card",
        "store_id": "imp-sandbox",
        "channel_key": "",
        "buyer_name": user.username,
        "buyer_email": user.email,
        "sandbox": True,
    }
    assert payment.status == PaymentStatus.READY and not payment.is_credited
    assert sandbox.prepared[payment.merchant_uid] == 10000


def test_the_happy_path_credits_the_virtual_cash_once(auth_client, user):
    before = cash(user)
    payment, imp_uid = paid(user, "50000")
    response = complete(auth_client, payment, imp_uid)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["credited"], body["imp_uid"], body["refunds"]) == ("paid", True, imp_uid, [])
    assert body["paid_at"] and body["pay_method"] == "card"
    assert cash(user) == before + D("50000")
    assert topups(user) == [D("50000")]
    assert_books_balance()


def test_repeated_completes_and_webhooks_in_any_order_credit_once(auth_client, user):
    before = cash(user)
    first, first_imp = paid(user, "10000")
    second, second_imp = paid(user, "20000")
    assert complete(auth_client, first, first_imp).status_code == 200
    assert webhook(first_imp, first.merchant_uid).json() == {"result": "processed"}
    assert webhook(second_imp, second.merchant_uid).status_code == 200
    assert complete(auth_client, second, second_imp).status_code == 200
    for _ in range(3):
        assert complete(auth_client, first, first_imp).status_code == 200
        assert webhook(second_imp, second.merchant_uid).status_code == 200
    assert sorted(topups(user)) == [D("10000"), D("20000")]
    assert cash(user) == before + D("30000")
    assert_books_balance()


def test_the_webhook_accepts_a_form_body_and_trusts_only_the_imp_uid(user):
    payment, imp_uid = paid(user)
    # The body lies about the status and the order: the fetched payment is what counts.
    response = webhook(imp_uid, merchant_uid="someone-else", status="cancelled", fmt="multipart")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and topups(user) == [D("10000")]


def test_a_tampered_amount_is_cancelled_at_portone_flagged_and_never_credited(auth_client, user):
    before = cash(user)
    payment, imp_uid = paid(user, "100000", paid_amount="1000")
    response = complete(auth_client, payment, imp_uid)
    assert response.status_code == 409
    assert response.json()["code"] == "payment_amount_mismatch"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert payment.review_reason == ReviewReason.AMOUNT_MISMATCH and "cancelled at PortOne" in payment.review_note
    assert gateway_status(imp_uid) == "cancelled"
    assert webhook(imp_uid, payment.merchant_uid).status_code == 200  # PortOne's late notification: no credit
    assert complete(auth_client, payment, imp_uid).status_code == 409
    assert cash(user) == before and topups(user) == []
    assert_books_balance()


def test_a_tampered_payment_notified_by_webhook_first_is_cancelled_too(auth_client, user):
    payment, imp_uid = paid(user, "10000", paid_amount="10")
    assert webhook(imp_uid).json() == {"result": "processed"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.NEEDS_REVIEW and gateway_status(imp_uid) == "cancelled"
    assert complete(auth_client, payment, imp_uid).json()["code"] == "payment_amount_mismatch"
    assert topups(user) == []


def test_a_failed_payment_is_not_credited_and_a_retry_of_the_same_order_is(auth_client, user):
    payment = prepared(user)
    failed_imp = gateway.sandbox_pay(merchant_uid=payment.merchant_uid, fail=True)
    response = complete(auth_client, payment, failed_imp)
    assert response.status_code == 409 and response.json()["code"] == "payment_not_paid"
    assert response.json()["status"] == "failed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.fail_reason and topups(user) == []
    retried_imp = gateway.sandbox_pay(merchant_uid=payment.merchant_uid)
    assert complete(auth_client, payment, retried_imp).status_code == 200
    # The old attempt's callback arriving late changes nothing: the order is credited, once.
    assert complete(auth_client, payment, failed_imp).json()["imp_uid"] == retried_imp
    assert topups(user) == [D("10000")]
    assert_books_balance()


def test_a_payment_not_paid_yet_answers_not_paid(auth_client, user):
    payment = prepared(user)
    imp_uid = gateway.sandbox_pay(merchant_uid=payment.merchant_uid, fail=True)
    assert complete(auth_client, payment, imp_uid).json()["code"] == "payment_not_paid"


def test_an_imp_uid_portone_does_not_know_credits_nothing(auth_client, user):
    payment = prepared(user)
    response = complete(auth_client, payment, "imp_999999999999")
    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"
    forged = webhook("imp_999999999999", payment.merchant_uid)
    assert forged.status_code == 404 and forged.json()["code"] == "payment_not_found"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.READY and topups(user) == []


def test_another_users_merchant_uid_is_not_found_and_not_touched(auth_client, user):
    other = UserFactory()
    theirs, their_imp = paid(other)
    response = complete(auth_client, theirs, their_imp)
    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"
    theirs.refresh_from_db()
    assert theirs.status == PaymentStatus.READY and topups(other) == [] and topups(user) == []


def test_an_imp_uid_of_another_order_is_not_found_and_not_applied(auth_client, user):
    mine = prepared(user)
    other = UserFactory()
    theirs, their_imp = paid(other)
    assert complete(auth_client, mine, their_imp).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PaymentStatus.READY and topups(other) == []


def test_a_webhook_for_a_portone_payment_that_is_not_ours_is_acknowledged_and_ignored():
    gateway.prepare(merchant_uid="other-shop-1", amount=D("1000"))
    imp_uid = gateway.sandbox_pay(merchant_uid="other-shop-1")
    assert webhook(imp_uid, "other-shop-1").json() == {"result": "ignored"}
    assert not Payment.objects.exists()


@pytest.mark.parametrize("body", [{}, {"merchant_uid": "x"}, {"imp_uid": ""}])
def test_a_webhook_without_an_imp_uid_is_400(body):
    response = APIClient().post("/api/v1/payments/webhook", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_wrong_gateway_credentials_are_502_and_the_retry_succeeds(auth_client, user, settings):
    payment, imp_uid = paid(user)
    settings.PORTONE_V1_API_SECRET = "rotated-by-mistake"
    response = complete(auth_client, payment, imp_uid)
    assert response.status_code == 502 and response.json()["code"] == "payment_gateway_error"
    assert webhook(imp_uid).status_code == 502  # PortOne retries a webhook that did not get a 200
    assert topups(user) == []
    settings.PORTONE_V1_API_SECRET = "sandbox-test-secret"
    assert complete(auth_client, payment, imp_uid).status_code == 200
    assert topups(user) == [D("10000")]
    assert_books_balance()


def test_a_gateway_timeout_is_503_and_the_retry_succeeds(auth_client, user, sandbox, settings):
    payment, imp_uid = paid(user)
    settings.PORTONE_TIMEOUT = 0.2
    sandbox.configure({"delay": 0.6})
    response = complete(auth_client, payment, imp_uid)
    assert response.status_code == 503 and response.json()["code"] == "payment_gateway_unavailable"
    assert webhook(imp_uid).status_code == 503
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.READY and topups(user) == []
    sandbox.configure({"delay": 0})
    assert complete(auth_client, payment, imp_uid).status_code == 200
    assert topups(user) == [D("10000")]


def test_prepare_writes_nothing_when_portone_is_down(auth_client, user, sandbox):
    sandbox.configure({"outage": 503})
    response = auth_client.post("/api/v1/payments/prepare", {"amount": "10000"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "payment_gateway_unavailable"
    assert not Payment.objects.exists()
    sandbox.configure({"outage": 0})
    assert auth_client.post("/api/v1/payments/prepare", {"amount": "10000"}, format="json").status_code == 201


def test_prepare_without_portone_configuration_is_503(auth_client, settings):
    settings.PORTONE_STORE_ID = ""
    response = auth_client.post("/api/v1/payments/prepare", {"amount": "10000"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "payments_not_configured"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "invalid_amount"),
        ("-1000", "invalid_amount"),
        ("1000.5", "invalid_amount"),
        ("abc", "invalid"),
        ("", "invalid"),
        (None, "invalid"),
        ("1e30", "invalid"),
        ("999", "payment_amount_out_of_range"),
        ("1001000", "payment_amount_out_of_range"),
        ("1500", "payment_amount_not_on_step"),
    ],
)
def test_bad_amounts_are_400_and_reach_nobody(auth_client, sandbox, amount, code):
    response = auth_client.post("/api/v1/payments/prepare", {"amount": amount}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not Payment.objects.exists() and sandbox.prepared == {}


def test_amount_bounds_are_inclusive_and_the_rate_applies(auth_client, user, settings):
    settings.VIRTUAL_CASH_PER_KRW = D("2")
    low = auth_client.post("/api/v1/payments/prepare", {"amount": 1000}, format="json")
    high = auth_client.post("/api/v1/payments/prepare", {"amount": "1000000"}, format="json")
    assert (low.status_code, high.status_code) == (201, 201)
    assert low.json()["virtual_amount"] == "2000.00"
    payment = Payment.objects.get(merchant_uid=low.json()["merchant_uid"])
    before = cash(user)
    payment_sandbox_checkout(user=user, merchant_uid=payment.merchant_uid)
    assert cash(user) == before + D("2000")
    assert_books_balance()


def test_payments_need_authentication(api_client):
    assert api_client.post("/api/v1/payments/prepare", {"amount": "1000"}, format="json").status_code == 401
    assert api_client.post("/api/v1/payments/complete", {}, format="json").status_code == 401
    assert api_client.get("/api/v1/payments").status_code == 401


def test_users_see_only_their_own_payments(auth_client, user):
    other = UserFactory()
    mine, imp_uid = paid(user)
    complete(auth_client, mine, imp_uid)
    prepared(user, "2000")
    theirs = prepared(other)
    listed = auth_client.get("/api/v1/payments").json()
    assert listed["count"] == 2
    assert [row["amount"] for row in listed["results"]] == ["2000.00", "10000.00"]
    assert auth_client.get("/api/v1/payments", {"status": "paid"}).json()["count"] == 1
    detail = auth_client.get(f"/api/v1/payments/{mine.pk}")
    assert detail.status_code == 200 and detail.json()["merchant_uid"] == mine.merchant_uid
    hidden = auth_client.get(f"/api/v1/payments/{theirs.pk}")
    assert hidden.status_code == 404 and hidden.json()["code"] == "payment_not_found"
    assert client_for(other).get("/api/v1/payments").json()["count"] == 1


def test_the_payment_list_costs_the_same_queries_for_any_number_of_rows(auth_client, user, django_assert_num_queries):
    for _ in range(3):
        prepared(user)
    with django_assert_num_queries(3):  # user (JWT), count, page
        auth_client.get("/api/v1/payments")
    for _ in range(5):
        prepared(user)
    with django_assert_num_queries(3):
        assert auth_client.get("/api/v1/payments").json()["count"] == 8


def test_prepare_and_complete_use_the_payments_throttle(auth_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "payments": "2/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    prepare = [auth_client.post("/api/v1/payments/prepare", {"amount": "1000"}, format="json") for _ in range(3)]
    codes = [response.status_code for response in prepare]
    assert codes == [201, 201, 429]
    throttled = auth_client.post("/api/v1/payments/complete", {"imp_uid": "x", "merchant_uid": "y"}, format="json")
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert auth_client.get("/api/v1/payments").status_code == 200  # reads are not in the scope


def test_prepare_and_complete_bodies_cannot_set_amounts_status_or_owner(auth_client, user):
    victim = UserFactory()
    extra = {
        "virtual_amount": "99999999",
        "status": "paid",
        "user": victim.pk,
        "credit_entry": 1,
        "refunded_amount": "0",
    }
    response = auth_client.post("/api/v1/payments/prepare", {"amount": 10000, **extra}, format="json")
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(merchant_uid=response.json()["merchant_uid"])
    assert (payment.user, payment.status, payment.virtual_amount) == (user, "ready", D("10000"))
    imp_uid = gateway.sandbox_pay(merchant_uid=payment.merchant_uid)
    body = {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid, "amount": "99999999", **extra}
    assert auth_client.post("/api/v1/payments/complete", body, format="json").status_code == 200
    assert topups(user) == [D("10000")]
    assert not Payment.objects.filter(user=victim).exists()
