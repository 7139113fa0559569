"""The wallet page: cash, the ledger, deposits and withdrawals (portfolio.services) and PortOne
top-ups (payments.services).

Top-ups come in three modes. Not configured: the form is shown disabled with the reason. Sandbox
(`PORTONE_SANDBOX`, the `make run` default): prepare, then a "pay" button completes the payment at the
local sandbox without leaving the server. A real store: prepare, then PortOne's browser SDK, loaded on
this page only and allowed by this page's content security policy alone, opens the payment window and
static/js/topup.js posts the result to POST /api/v1/payments/complete.
"""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import gateway
from payments.forms import AmountForm, LedgerFilterForm, TopupForm
from payments.models import CREDITABLE_STATUSES, Payment
from payments.selectors import payment_list
from payments.services import payment_prepare, payment_sandbox_checkout
from portfolio.selectors import balance_get, ledger_list
from portfolio.services import balance_deposit, balance_withdraw
from stocking.core.exceptions import ApplicationError, PaymentNotFound
from stocking.core.page_errors import add_error, error_message
from stocking.core.templatetags.stocking_format import won
from stocking.core.templatetags.wallet_labels import payment_status_label

PORTONE_SDK = "https://cdn.iamport.kr/v1/iamport.js"
# The SDK talks to and frames PortOne's own hosts; the card company's pages then load inside that
# frame, under PortOne's policy rather than ours. A PG whose window is framed from its own host
# directly needs that host added to frame-src.
PORTONE_CSP = {
    "script-src": ["https://cdn.iamport.kr"],
    "connect-src": ["https://*.iamport.kr"],
    "frame-src": ["https://*.iamport.kr"],
    "img-src": ["https://*.iamport.kr"],
}
LEDGER_PAGE_SIZE = 20
PAYMENTS_SHOWN = 10
AMOUNT_ERRORS = {
    "invalid_amount": "amount",
    "deposit_limit_exceeded": "amount",
    "insufficient_cash": "amount",
    "payment_amount_out_of_range": "amount",
    "payment_amount_not_on_step": "amount",
}


def topup_mode() -> str:
    """ "off" (PortOne not configured), "sandbox" (the local sandbox pays) or "sdk" (PortOne's window)."""
    if not gateway.is_configured():
        return "off"
    return "sandbox" if settings.PORTONE_SANDBOX else "sdk"


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    return _render_wallet(request)


def _checkout(request: HttpRequest) -> Payment | None:
    """The prepared top-up named by ?checkout=, if it is this user's and still payable."""
    merchant_uid = request.GET.get("checkout", "")
    if not merchant_uid or len(merchant_uid) > 40:
        return None
    return payment_list(user=request.user).filter(merchant_uid=merchant_uid, status__in=CREDITABLE_STATUSES).first()


def _render_wallet(request: HttpRequest, **forms) -> HttpResponse:
    mode = topup_mode()
    kind_form = LedgerFilterForm(request.GET)
    kind = kind_form.selected()
    ledger = Paginator(ledger_list(user=request.user, kind=kind), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    checkout = _checkout(request) if mode != "off" else None
    context = {
        "balance": balance_get(user=request.user),
        "kind_form": kind_form,
        "kind": kind,
        "page": ledger,
        "payments": list(payment_list(user=request.user)[:PAYMENTS_SHOWN]),
        "deposit_form": forms.get("deposit_form") or AmountForm(auto_id="deposit_%s"),
        "withdraw_form": forms.get("withdraw_form") or AmountForm(auto_id="withdraw_%s"),
        "topup_form": forms.get("topup_form") or TopupForm(auto_id="topup_%s"),
        "topup_mode": mode,
        "checkout": checkout,
        "portone_sdk": PORTONE_SDK if mode == "sdk" and checkout else "",
        "buyer_name": request.user.get_full_name() or request.user.display_name or request.user.get_username(),
        "store_id": settings.PORTONE_STORE_ID,
        "channel_key": settings.PORTONE_CHANNEL_KEY,
    }
    # Only a page about to open PortOne's window may load and frame PortOne; every other page keeps
    # the site-wide policy (nothing from another host).
    return (_wallet_page_with_portone if context["portone_sdk"] else _wallet_page)(request, context)


def _wallet_page(request: HttpRequest, context: dict) -> HttpResponse:
    return render(request, "payments/wallet.html", context)


_wallet_page_with_portone = csp_update(PORTONE_CSP)(_wallet_page)


def _amount_view(request: HttpRequest, name: str, service, done: str) -> HttpResponse:
    form = AmountForm(request.POST, auto_id=f"{name}_%s")
    if form.is_valid():
        try:
            entry = service(user=request.user, amount=form.cleaned_data["amount"])
        except ApplicationError as exc:
            add_error(form, exc, AMOUNT_ERRORS)
        else:
            messages.success(request, done % {"amount": won(abs(entry.amount)), "cash": won(entry.balance_after)})
            return redirect("payments:wallet")
    return _render_wallet(request, **{f"{name}_form": form})


@login_required
@require_POST
def deposit(request: HttpRequest) -> HttpResponse:
    return _amount_view(request, "deposit", balance_deposit, _("Deposited %(amount)s. Cash is now %(cash)s."))


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    return _amount_view(request, "withdraw", balance_withdraw, _("Withdrew %(amount)s. Cash is now %(cash)s."))


@login_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    """Prepare a top-up (PortOne registers the amount), then show the pay step."""
    if topup_mode() == "off":
        messages.error(request, _("Top-ups are not available on this server."))
        return redirect("payments:wallet")
    form = TopupForm(request.POST, auto_id="topup_%s")
    if form.is_valid():
        try:
            payment = payment_prepare(user=request.user, amount=form.cleaned_data["amount"])
        except ApplicationError as exc:
            add_error(form, exc, AMOUNT_ERRORS)
        else:
            return redirect(f"{reverse('payments:wallet')}?checkout={payment.merchant_uid}#topup")
    return _render_wallet(request, topup_form=form)


@login_required
@require_POST
def topup_pay(request: HttpRequest, merchant_uid: str) -> HttpResponse:
    """Sandbox only: the local sandbox plays PortOne's window, then the payment is verified and credited."""
    if topup_mode() != "sandbox":
        raise Http404
    try:
        payment = payment_sandbox_checkout(user=request.user, merchant_uid=merchant_uid)
    except PaymentNotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _credited(payment))
    return redirect("payments:wallet")


@login_required
def topup_done(request: HttpRequest, merchant_uid: str) -> HttpResponse:
    """Where topup.js lands after POST /api/v1/payments/complete: say what became of the payment."""
    payment = payment_list(user=request.user).filter(merchant_uid=merchant_uid).first()
    if payment is None:
        raise Http404
    if payment.is_credited:
        messages.success(request, _credited(payment))
    else:
        status = payment_status_label(payment.status)
        messages.warning(request, _("The top-up was not credited (status: %(status)s).") % {"status": status})
    return redirect("payments:wallet")


def _credited(payment: Payment) -> str:
    return _("Top-up complete: %(paid)s paid, %(credited)s of virtual cash credited.") % {
        "paid": won(payment.amount),
        "credited": won(payment.virtual_amount),
    }
