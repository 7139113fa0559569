"""The wallet page through Django's test client: balance, ledger, deposit and withdrawal, and the
PortOne top-up in its three modes (not configured, sandbox, a real store's browser SDK). The sandbox
from conftest.py answers as PortOne; no test reaches another host."""

from decimal import Decimal as D

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.services import payment_prepare
from portfolio.models import CashLedgerEntry, LedgerKind
from portfolio.selectors import balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def not_configured(settings):
    settings.PORTONE_STORE_ID = ""
    settings.PORTONE_V1_API_KEY = ""
    settings.PORTONE_V1_API_SECRET = ""
    settings.PORTONE_SANDBOX = False


@pytest.fixture
def real_store(settings):
    """A real store id without the sandbox: the page loads PortOne's SDK (the API calls still go to
    the local sandbox server, which speaks PortOne's REST API)."""
    settings.PORTONE_SANDBOX = False
    settings.PORTONE_STORE_ID = "imp12345678"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_wallet_shows_balance_ledger_and_payments(trader, user):
    response = trader.get("/wallet/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-live-url="/api/v1/balance"' in html and "₩10,000,000" in html
    [entry] = response.context["page"].object_list
    assert entry.kind == LedgerKind.INITIAL_GRANT
    assert "+₩10,000,000" in html
    assert response.context["topup_mode"] == "sandbox"


def test_deposit_and_withdraw_say_what_happened(trader, user):
    response = trader.post("/wallet/deposit/", {"amount": "500000"}, follow=True)
    assert response.redirect_chain == [("/wallet/", 302)]
    assert "₩500,000" in messages_of(response)[0] and "₩10,500,000" in messages_of(response)[0]
    response = trader.post("/wallet/withdraw/", {"amount": "200000"}, follow=True)
    assert "₩10,300,000" in messages_of(response)[-1]
    assert balance_get(user=user).cash == D("10300000")


@pytest.mark.parametrize(
    ("url", "amount"),
    [
        ("/wallet/deposit/", "abc"),
        ("/wallet/deposit/", "-5"),
        ("/wallet/deposit/", "0"),
        ("/wallet/deposit/", "12.5"),
        ("/wallet/deposit/", ""),
        ("/wallet/deposit/", "1" * 40),
        ("/wallet/deposit/", "99999999"),  # over the daily limit
        ("/wallet/withdraw/", "10000001"),  # more than the available cash
        ("/wallet/withdraw/", "NaN"),
    ],
)
def test_bad_amounts_are_errors_next_to_the_field(trader, user, url, amount):
    response = trader.post(url, {"amount": amount})
    assert response.status_code == 200
    form = response.context["deposit_form" if "deposit" in url else "withdraw_form"]
    assert form.errors["amount"]
    assert 'class="field field-invalid"' in response.content.decode()
    assert balance_get(user=user).cash == D("10000000")


def test_the_daily_limit_error_says_what_is_left(trader, settings):
    settings.DAILY_DEPOSIT_LIMIT = D("1000000")
    trader.post("/wallet/deposit/", {"amount": "700000"})
    response = trader.post("/wallet/deposit/", {"amount": "500000"})
    assert "₩300,000" in response.context["deposit_form"].errors["amount"][0]


def test_the_ledger_filters_by_kind_and_pages(trader, user):
    for _ in range(25):
        trader.post("/wallet/deposit/", {"amount": "1000"})
    trader.post("/wallet/withdraw/", {"amount": "1000"})
    page = trader.get("/wallet/").context["page"]
    assert len(page.object_list) == 20 and page.paginator.count == 27
    assert {e.kind for e in trader.get("/wallet/", {"kind": "withdrawal"}).context["page"]} == {"withdrawal"}
    for junk in ({"kind": "nonsense"}, {"page": "abc"}, {"page": "9999"}, {"kind": "deposit", "page": "-1"}):
        assert trader.get("/wallet/", junk).status_code == 200
    assert trader.get("/wallet/", {"kind": "nonsense"}).context["page"].paginator.count == 27


def test_sandbox_top_up_prepare_then_pay(trader, user):
    response = trader.post("/wallet/topup/", {"amount": "50000"})
    payment = Payment.objects.get(user=user)
    assert response["Location"] == f"/wallet/?checkout={payment.merchant_uid}#topup"
    html = trader.get(response["Location"]).content.decode()
    assert f'action="/wallet/topup/{payment.merchant_uid}/pay/"' in html
    assert "iamport" not in html  # the sandbox needs no script from PortOne
    response = trader.post(f"/wallet/topup/{payment.merchant_uid}/pay/", follow=True)
    assert response.redirect_chain == [("/wallet/", 302)]
    assert "₩50,000" in messages_of(response)[0]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.is_credited
    assert balance_get(user=user).cash == D("10050000")
    assert CashLedgerEntry.objects.filter(user=user, kind=LedgerKind.TOPUP).count() == 1
    # Paid: the pay step is gone, and paying again changes nothing.
    assert trader.get(f"/wallet/?checkout={payment.merchant_uid}").context["checkout"] is None
    trader.post(f"/wallet/topup/{payment.merchant_uid}/pay/")
    assert balance_get(user=user).cash == D("10050000")


@pytest.mark.parametrize("amount", ["500", "1000001", "1500", "abc", ""])
def test_top_up_amounts_outside_range_or_step_are_field_errors(trader, user, amount):
    response = trader.post("/wallet/topup/", {"amount": amount})
    assert response.status_code == 200
    assert response.context["topup_form"].errors["amount"]
    assert not Payment.objects.filter(user=user).exists()


def test_a_gateway_outage_is_a_form_error_not_a_500(trader, user, sandbox):
    sandbox.outage = 503
    response = trader.post("/wallet/topup/", {"amount": "50000"})
    assert response.status_code == 200
    assert response.context["topup_form"].non_field_errors()
    assert not Payment.objects.filter(user=user).exists()


def test_another_users_top_up_cannot_be_paid_or_shown(trader):
    theirs = payment_prepare(user=UserFactory(), amount=D("10000"))
    assert trader.post(f"/wallet/topup/{theirs.merchant_uid}/pay/").status_code == 404
    assert trader.get(f"/wallet/topup/{theirs.merchant_uid}/done/").status_code == 404
    assert trader.get("/wallet/", {"checkout": theirs.merchant_uid}).context["checkout"] is None
    assert trader.post("/wallet/topup/not-an-id/pay/").status_code == 404
    assert trader.get("/wallet/", {"checkout": "x" * 500}).status_code == 200


def test_without_portone_the_top_up_is_shown_disabled_with_the_reason(trader, not_configured):
    response = trader.get("/wallet/")
    html = response.content.decode()
    assert response.status_code == 200 and response.context["topup_mode"] == "off"
    assert 'data-testid="topup-off"' in html and "<fieldset disabled" in html and "PORTONE_STORE_ID" in html
    response = trader.post("/wallet/topup/", {"amount": "50000"}, follow=True)
    assert response.redirect_chain == [("/wallet/", 302)] and messages_of(response)
    assert "iamport" not in response["Content-Security-Policy"]


def test_a_real_store_loads_portones_sdk_on_the_pay_step_only(trader, user, real_store):
    plain = trader.get("/wallet/")
    assert "iamport" not in plain.content.decode() and "iamport" not in plain["Content-Security-Policy"]
    response = trader.post("/wallet/topup/", {"amount": "30000"})
    payment = Payment.objects.get(user=user)
    page = trader.get(response["Location"])
    html = page.content.decode()
    assert f'<script src="{"https://cdn.iamport.kr/v1/iamport.js"}" defer></script>' in html
    assert "/static/js/topup.js" in html
    assert f'data-merchant-uid="{payment.merchant_uid}"' in html and 'data-amount="30000"' in html
    assert 'data-store-id="imp12345678"' in html and 'data-complete-url="/api/v1/payments/complete"' in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.iamport.kr" in policy and "frame-src https://*.iamport.kr" in policy
    # No offline pay step with a real store.
    assert trader.post(f"/wallet/topup/{payment.merchant_uid}/pay/").status_code == 404


def test_the_done_page_reports_the_outcome(trader, user, real_store, settings):
    payment = payment_prepare(user=user, amount=D("20000"))
    response = trader.get(f"/wallet/topup/{payment.merchant_uid}/done/", follow=True)
    assert response.redirect_chain == [("/wallet/", 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    settings.PORTONE_SANDBOX = True  # only to let the sandbox play PortOne's window
    imp_uid = gateway.sandbox_pay(merchant_uid=payment.merchant_uid)
    settings.PORTONE_SANDBOX = False
    complete = {"imp_uid": imp_uid, "merchant_uid": payment.merchant_uid}
    assert trader.post("/api/v1/payments/complete", complete, content_type="application/json").status_code == 200
    response = trader.get(f"/wallet/topup/{payment.merchant_uid}/done/", follow=True)
    assert "₩20,000" in messages_of(response)[0]
