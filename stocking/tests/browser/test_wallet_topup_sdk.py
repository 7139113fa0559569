"""The wallet's top-up with a real PortOne store: the page loads PortOne's SDK (allowed by that page's
policy alone) and static/js/topup.js opens the payment window, then completes the payment through
the API with the session's CSRF token. PortOne's CDN is out of reach here, so the test serves a
stand-in SDK at PortOne's own URL whose window "pays" at the local sandbox, as PortOne would."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from payments.models import Payment, PaymentStatus
from portfolio.selectors import balance_get
from stocking.tests.browser.conftest import visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SDK_URL = "https://cdn.iamport.kr/v1/iamport.js"
# What the page calls: IMP.init(store id), then IMP.request_pay(request, callback). The stand-in
# answers with the payment the test made at the sandbox, and only for the expected request.
STAND_IN = """
window.IMP = {
  init: function (storeId) { window.__impStore = storeId; },
  request_pay: function (request, callback) {
    var expected = %(expected)s;
    var ok = window.__impStore === expected.store && request.merchant_uid === expected.merchant_uid
      && request.amount === expected.amount && request.pay_method === "card";
    setTimeout(function () {
      callback(ok ? { success: true, imp_uid: expected.imp_uid, merchant_uid: request.merchant_uid }
                  : { success: false, error_msg: "unexpected request " + JSON.stringify(request) });
    }, 0);
  }
};
"""


def sandbox_pay(sandbox_url: str, merchant_uid: str) -> str:
    request = urllib.request.Request(
        f"{sandbox_url}sandbox/pay",
        data=json.dumps({"merchant_uid": merchant_uid}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)["response"]["imp_uid"]


def test_a_real_store_top_up_goes_through_portones_window(page, live_server, portone_sandbox, sandbox_server, settings):
    settings.PORTONE_SANDBOX = False
    settings.PORTONE_STORE_ID = "imp12345678"
    user = UserFactory(username="sdk-buyer")
    base = live_server.url

    def stand_in(route):
        payment = Payment.objects.get(user=user)
        expected = {
            "store": "imp12345678",
            "merchant_uid": payment.merchant_uid,
            "amount": 30000,
            "imp_uid": sandbox_pay(sandbox_server.url, payment.merchant_uid),
        }
        route.fulfill(content_type="text/javascript", body=STAND_IN % {"expected": json.dumps(expected)})

    page.route(SDK_URL, stand_in)  # a page route is matched before the context's other-host guard

    visit(page, f"{base}/accounts/login/?next=/wallet/")
    page.locator("input[name=username]").fill("sdk-buyer")
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("지갑")
    topup = page.locator("#topup")
    topup.get_by_label("금액(원)").fill("30000")
    with page.expect_request(SDK_URL):
        topup.get_by_role("button", name="결제 진행").click()
    pay = page.get_by_test_id("checkout").get_by_role("button", name="결제하기")
    expect(pay).to_be_enabled()  # topup.js enables it once the SDK has loaded
    pay.click()
    expect(page.locator(".message-success")).to_contain_text("충전 완료")
    expect(page.get_by_test_id("cash")).to_have_text("₩10,030,000")
    assert Payment.objects.get(user=user).status == PaymentStatus.PAID
    assert balance_get(user=user).cash == 10_030_000
