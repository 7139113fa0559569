"""The adapter around the real `iamport` client, over HTTP against the sandbox: typed answers, and every
failure (unknown payment, refused credentials, timeouts, outages, refusals) as a domain error."""

import os
import re
import socket
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings

from payments import gateway
from payments.ids import is_imp_uid, new_merchant_uid
from stocking.core.exceptions import (
    PaymentGatewayError,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    PaymentNotFound,
    PaymentsNotConfigured,
)


def pay(merchant_uid: str = "order-1", amount: int = 10000, **extra) -> str:
    gateway.prepare(merchant_uid=merchant_uid, amount=D(amount))
    return gateway.sandbox_pay(merchant_uid=merchant_uid, **extra)


def test_a_paid_payment_is_fetched_typed_by_imp_uid_and_by_merchant_uid():
    order = new_merchant_uid()
    imp_uid = pay(order)
    found = gateway.find(imp_uid=imp_uid)
    assert (found.imp_uid, found.merchant_uid, found.status, found.currency) == (imp_uid, order, "paid", "KRW")
    assert found.amount == D("10000") and isinstance(found.amount, D)
    assert found.cancel_amount == 0 and found.cancellations == ()
    assert found.paid_at is not None and found.paid_at.tzinfo is not None
    assert gateway.find_by_merchant_uid(merchant_uid=order) == found


def test_an_unknown_payment_is_not_found():
    with pytest.raises(PaymentNotFound):
        gateway.find(imp_uid="imp_000000000000")
    with pytest.raises(PaymentNotFound):
        gateway.find_by_merchant_uid(merchant_uid=new_merchant_uid())


def test_wrong_credentials_are_a_gateway_error(settings):
    settings.PORTONE_V1_API_SECRET = "wrong"
    with pytest.raises(PaymentGatewayError) as caught:
        gateway.find(imp_uid="imp_1")
    assert caught.value.status_code == 502 and caught.value.code == "payment_gateway_error"


def test_missing_credentials_mean_payments_are_not_configured(settings):
    settings.PORTONE_V1_API_KEY = ""
    assert not gateway.is_configured()
    with pytest.raises(PaymentsNotConfigured) as caught:
        gateway.find(imp_uid="imp_1")
    assert caught.value.status_code == 503


def test_a_slow_gateway_times_out_as_unavailable(sandbox, settings):
    settings.PORTONE_TIMEOUT = 0.2
    sandbox.configure({"delay": 1})
    started = time.monotonic()
    with pytest.raises(PaymentGatewayUnavailable) as caught:
        gateway.find(imp_uid="imp_1")
    assert time.monotonic() - started < 0.9, "the call must give up at the timeout, not wait for the answer"
    assert caught.value.status_code == 503 and caught.value.code == "payment_gateway_unavailable"


def test_a_gateway_that_accepts_but_never_answers_times_out(settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # connections are accepted by the kernel, nobody ever reads or answers
    settings.PORTONE_API_URL = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    settings.PORTONE_TIMEOUT = 0.3
    try:
        with pytest.raises(PaymentGatewayUnavailable):
            gateway.find(imp_uid="imp_1")
    finally:
        silent.close()


def test_a_gateway_that_is_down_is_unavailable(settings):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.PORTONE_API_URL = f"http://127.0.0.1:{port}/"
    with pytest.raises(PaymentGatewayUnavailable):
        gateway.find(imp_uid="imp_1")


@pytest.mark.parametrize(("status", "error"), [(500, PaymentGatewayUnavailable), (503, PaymentGatewayUnavailable)])
def test_server_errors_are_unavailable(sandbox, status, error):
    sandbox.configure({"outage": status})
    with pytest.raises(error):
        gateway.find(imp_uid="imp_1")


def test_a_cancel_whose_checksum_is_stale_is_rejected():
    imp_uid = pay()
    with pytest.raises(PaymentGatewayRejected) as caught:
        gateway.cancel(imp_uid=imp_uid, amount=D("1000"), checksum=D("9000"), reason="test")
    assert caught.value.status_code == 409 and "checksum" in caught.value.message
    assert gateway.find(imp_uid=imp_uid).cancel_amount == 0


def test_a_partial_then_full_cancel_is_reported_with_its_history():
    imp_uid = pay()
    partial = gateway.cancel(imp_uid=imp_uid, amount=D("3000"), checksum=D("10000"), reason="part")
    assert (partial.status, partial.cancel_amount) == ("paid", D("3000"))
    full = gateway.cancel(imp_uid=imp_uid, amount=None, checksum=D("7000"), reason="rest")
    assert (full.status, full.cancel_amount) == ("cancelled", D("10000"))
    assert [c.amount for c in full.cancellations] == [D("3000"), D("7000")]
    assert len({c.key for c in full.cancellations}) == 2


def test_preparing_the_same_merchant_uid_twice_is_rejected():
    gateway.prepare(merchant_uid="order-2", amount=D("5000"))
    with pytest.raises(PaymentGatewayRejected):
        gateway.prepare(merchant_uid="order-2", amount=D("5000"))


def test_sandbox_pay_is_refused_outside_sandbox_mode(settings):
    settings.PORTONE_SANDBOX = False
    with pytest.raises(PaymentsNotConfigured):
        gateway.sandbox_pay(merchant_uid="order-1")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"imp_uid": "imp_1", "merchant_uid": "m", "status": "paid"},  # no amount
        {"imp_uid": "imp_1", "merchant_uid": "m", "status": "paid", "amount": "ten"},
        {"imp_uid": "imp_1", "merchant_uid": "m", "status": "paid", "amount": 1, "cancel_history": [{"amount": None}]},
        {"merchant_uid": "m", "status": "paid", "amount": 1},
    ],
)
def test_malformed_payments_are_gateway_errors(raw):
    with pytest.raises(PaymentGatewayError):
        gateway.parse_payment(raw)


def test_float_amounts_parse_exactly():
    parsed = gateway.parse_payment({"imp_uid": "i", "merchant_uid": "m", "status": "paid", "amount": 10000.0})
    assert parsed.amount == D("10000")


def test_the_sandbox_issues_imp_uids_of_portone_v1s_shape():
    imp_uid = pay()
    assert is_imp_uid(imp_uid) and len(imp_uid) == len("imp_") + 12


MERCHANT_UID = "stk_" + "0" * 32
MALFORMED_IMP_UIDS = [
    f"prepare/{MERCHANT_UID}",  # would fetch payments/prepare/{merchant_uid}
    "imp_1/../../users/getToken",
    "../payments/find/x",
    "imp_1?x=1",
    "imp_1#",
    "imp_1%2F..",
    "imp_123\n",
    "imp_١٢٣",  # Arabic-Indic digits: \d would admit them
    "IMP_123",
    "imp_",
    "imp_12 ",
    "",
    "imp_" + "1" * 61,
]


@pytest.mark.parametrize("imp_uid", MALFORMED_IMP_UIDS)
def test_a_malformed_imp_uid_is_refused_before_any_url_is_built(sandbox, imp_uid):
    # Any request that reached the sandbox would be answered 503: the refusal must come first.
    sandbox.configure({"outage": 503})
    with pytest.raises(gateway.InvalidPaymentId) as caught:
        gateway.find(imp_uid=imp_uid)
    assert (caught.value.status_code, caught.value.code) == (400, "invalid")
    with pytest.raises(gateway.InvalidPaymentId):
        gateway.cancel(imp_uid=imp_uid, amount=None, checksum=D("1000"), reason="test")


@pytest.mark.parametrize(
    "merchant_uid",
    ["prepare", "../users/getToken", MERCHANT_UID + "/x", MERCHANT_UID.upper(), "stk_" + "g" * 32, "order-1", ""],
)
def test_a_merchant_uid_this_server_did_not_generate_is_refused_before_any_url_is_built(sandbox, merchant_uid):
    sandbox.configure({"outage": 503})
    with pytest.raises(gateway.InvalidPaymentId):
        gateway.find_by_merchant_uid(merchant_uid=merchant_uid)


def test_only_the_adapter_imports_iamport():
    root = Path(settings.BASE_DIR)
    importers = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "staticfiles")]
        for name in files:
            path = Path(folder, name)
            if name.endswith(".py") and re.search(r"^\s*(from|import) iamport\b", path.read_text(), re.MULTILINE):
                importers.append(str(path.relative_to(root)))
    assert importers == ["payments/gateway.py"]


def test_every_request_carries_the_timeout(settings):
    session = gateway._client().requests_session
    assert isinstance(session, gateway._TimeoutSession)
    assert session.timeout == settings.PORTONE_TIMEOUT
