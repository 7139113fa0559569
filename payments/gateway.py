"""The one adapter around PortOne's V1 REST client (`iamport-rest-client`). Nothing else imports `iamport`.

Every call:
- goes to `settings.PORTONE_API_URL` (ends with "/"; the test suite and `make run` point it at the
  local sandbox, `manage.py portone_sandbox`);
- carries a timeout (`PORTONE_TIMEOUT`): the package sets none, so its session is replaced by one that
  adds it to every request, and that retries only failed connects (a request that never left);
- turns every failure into a domain error: an unknown payment → `PaymentNotFound` (404); refused
  credentials or a malformed answer → `PaymentGatewayError` (502); down, slow or 5xx →
  `PaymentGatewayUnavailable` (503); a business refusal (`code != 0`, e.g. a cancel whose checksum no
  longer matches) → `PaymentGatewayRejected` (409). Callers write nothing when a call fails, and never
  call this module while they hold a database row lock;
- refuses an `imp_uid` that is not PortOne V1's `imp_<digits>`, or a `merchant_uid` this server did not
  generate, with `InvalidPaymentId` (400 `invalid`) before any URL is built (see `payments/ids.py`).

Sandbox mode (`PORTONE_SANDBOX=true`, development only): `sandbox_pay(merchant_uid=..., amount=None,
fail=False) -> imp_uid` makes the local sandbox pay a prepared payment, as the PortOne browser window
would, so a page can complete a top-up offline: `payment_prepare` → `sandbox_pay` → `payment_complete`
(or `payments.services.payment_sandbox_checkout`, which does the last two).
"""

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from iamport import Iamport
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from payments.ids import is_imp_uid, is_merchant_uid
from stocking.core.exceptions import (
    ApplicationError,
    PaymentGatewayError,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    PaymentNotFound,
    PaymentsNotConfigured,
)

logger = logging.getLogger(__name__)


class InvalidPaymentId(ApplicationError):
    """An id that is not of PortOne's (imp_uid) or our (merchant_uid) format: refused before any URL is built."""

    code = "invalid"
    default_message = "Not a valid payment id."


@dataclass(frozen=True)
class GatewayCancellation:
    key: str  # PortOne's id for this cancellation: unique, so one cancellation is recorded once
    amount: Decimal
    cancelled_at: datetime | None
    reason: str


@dataclass(frozen=True)
class GatewayPayment:
    """PortOne's view of one payment attempt, parsed and typed. Built only from what PortOne answered."""

    imp_uid: str
    merchant_uid: str
    status: str  # ready | paid | failed | cancelled
    amount: Decimal
    cancel_amount: Decimal
    currency: str
    pay_method: str
    paid_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    fail_reason: str
    cancellations: tuple[GatewayCancellation, ...]
    raw: dict = field(repr=False, compare=False)


class _TimeoutSession(requests.Session):
    """A session that gives every request a timeout unless the caller passed one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        # Retry a connect that failed (nothing was sent), never a request that may have reached PortOne.
        adapter = HTTPAdapter(max_retries=Retry(total=1, connect=1, read=False, status=0, other=0))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def is_configured() -> bool:
    """Whether top-ups can be offered at all (pages show the top-up disabled otherwise)."""
    return bool(settings.PORTONE_V1_API_KEY and settings.PORTONE_V1_API_SECRET and settings.PORTONE_STORE_ID)


def _client() -> Iamport:
    if not (settings.PORTONE_V1_API_KEY and settings.PORTONE_V1_API_SECRET):
        raise PaymentsNotConfigured()
    client = Iamport(
        imp_key=settings.PORTONE_V1_API_KEY,
        imp_secret=settings.PORTONE_V1_API_SECRET,
        imp_url=settings.PORTONE_API_URL,
    )
    client.requests_session.close()
    client.requests_session = _TimeoutSession(settings.PORTONE_TIMEOUT)
    return client


@contextlib.contextmanager
def _translate_errors(action: str, *, refusal_is_rejection: bool = False) -> Iterator[None]:
    try:
        yield
    except ApplicationError:
        raise
    except Iamport.HttpError as exc:
        if exc.code == 404:
            raise PaymentNotFound("PortOne does not know this payment.")
        if exc.code in (401, 403):
            logger.error("PortOne refused our API credentials (%s) during %s", exc.code, action)
            raise PaymentGatewayError("The payment gateway refused this server's credentials.")
        if exc.code == 429 or exc.code >= 500:
            logger.warning("PortOne answered HTTP %s to %s", exc.code, action)
            raise PaymentGatewayUnavailable()
        logger.error("PortOne answered HTTP %s %s to %s", exc.code, exc.reason, action)
        raise PaymentGatewayError()
    except Iamport.ResponseError as exc:
        if refusal_is_rejection:
            raise PaymentGatewayRejected(f"PortOne refused: {exc.message}", extra={"gateway_code": exc.code})
        logger.error("PortOne answered code %s (%s) to %s", exc.code, exc.message, action)
        raise PaymentGatewayError()
    except requests.RequestException as exc:
        # Timeouts and refused or dropped connections: PortOne may well answer a retry.
        logger.warning("PortOne unreachable during %s: %s", action, exc)
        raise PaymentGatewayUnavailable()
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Not JSON, or JSON without PortOne's envelope: a proxy page, a wrong PORTONE_API_URL...
        logger.error("PortOne gave a malformed answer to %s: %r", action, exc)
        raise PaymentGatewayError()


def _amount(value) -> Decimal:
    # JSON numbers arrive as int or float; str() of a float is its shortest exact spelling (10000.0).
    if isinstance(value, bool) or value is None:
        raise PaymentGatewayError("The payment gateway sent a payment without an amount.")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise PaymentGatewayError("The payment gateway sent an amount that is not a number.")


def _timestamp(value) -> datetime | None:
    # PortOne sends Unix seconds, 0 for "never".
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _cancellations(imp_uid: str, history) -> tuple[GatewayCancellation, ...]:
    cancellations = []
    for item in history or ():
        # Older PortOne answers carry no cancellation_id; the PG's transaction id and time identify it.
        key = item.get("cancellation_id") or f"{imp_uid}:{item.get('pg_tid', '')}:{item.get('cancelled_at', '')}"
        cancellations.append(
            GatewayCancellation(
                key=str(key)[:100],
                amount=_amount(item.get("amount")),
                cancelled_at=_timestamp(item.get("cancelled_at")),
                reason=str(item.get("reason") or "")[:255],
            )
        )
    return tuple(cancellations)


def parse_payment(raw) -> GatewayPayment:
    """Type PortOne's payment object; anything missing or of the wrong type is a gateway error."""
    if not isinstance(raw, dict) or not raw.get("imp_uid") or not raw.get("merchant_uid") or not raw.get("status"):
        raise PaymentGatewayError("The payment gateway sent an incomplete payment.")
    try:
        return GatewayPayment(
            imp_uid=str(raw["imp_uid"]),
            merchant_uid=str(raw["merchant_uid"]),
            status=str(raw["status"]),
            amount=_amount(raw.get("amount")),
            cancel_amount=_amount(raw.get("cancel_amount") or 0),
            currency=str(raw.get("currency") or ""),
            pay_method=str(raw.get("pay_method") or "")[:32],
            paid_at=_timestamp(raw.get("paid_at")),
            failed_at=_timestamp(raw.get("failed_at")),
            cancelled_at=_timestamp(raw.get("cancelled_at")),
            fail_reason=str(raw.get("fail_reason") or "")[:255],
            cancellations=_cancellations(str(raw["imp_uid"]), raw.get("cancel_history")),
            raw=raw,
        )
    except (AttributeError, TypeError) as exc:
        raise PaymentGatewayError(f"The payment gateway sent a malformed payment ({exc}).")


def prepare(*, merchant_uid: str, amount: Decimal) -> None:
    """Register the amount PortOne must accept for `merchant_uid` (it refuses any other at payment time)."""
    client = _client()
    with _translate_errors("prepare", refusal_is_rejection=True):
        client.prepare(merchant_uid=merchant_uid, amount=int(amount))


def _require_imp_uid(imp_uid: str) -> None:
    if not is_imp_uid(imp_uid):
        raise InvalidPaymentId("imp_uid must be PortOne's imp_ followed by digits.")


def find(*, imp_uid: str) -> GatewayPayment:
    _require_imp_uid(imp_uid)
    client = _client()
    with _translate_errors("find"):
        raw = client.find_by_imp_uid(imp_uid)
    return parse_payment(raw)


def find_by_merchant_uid(*, merchant_uid: str) -> GatewayPayment:
    """PortOne's latest attempt for our order id (PortOne sends no webhook when a browser is closed)."""
    if not is_merchant_uid(merchant_uid):
        raise InvalidPaymentId("merchant_uid must be one this server generated.")
    client = _client()
    with _translate_errors("find_by_merchant_uid"):
        raw = client.find_by_merchant_uid(merchant_uid)
    return parse_payment(raw)


def cancel(*, imp_uid: str, amount: Decimal | None, checksum: Decimal, reason: str) -> GatewayPayment:
    """Cancel `amount` KRW (all that is left when None). `checksum` is what we believe is still
    refundable; PortOne refuses the cancel when it disagrees, so a repeated refund cannot go through twice."""
    _require_imp_uid(imp_uid)
    client = _client()
    extra = {"checksum": int(checksum)}
    if amount is not None:
        extra["amount"] = int(amount)
    with _translate_errors("cancel", refusal_is_rejection=True):
        raw = client.cancel_by_imp_uid(imp_uid, reason[:255], **extra)
    return parse_payment(raw)


def sandbox_pay(*, merchant_uid: str, amount: Decimal | None = None, fail: bool = False) -> str:
    """Have the local sandbox pay (or fail) a prepared payment; returns its imp_uid. Sandbox mode only.

    `amount` other than the prepared one simulates a tampered payment that slipped past PortOne.
    """
    if not settings.PORTONE_SANDBOX:
        raise PaymentsNotConfigured("Sandbox payments are only available with PORTONE_SANDBOX on.")
    body = {"merchant_uid": merchant_uid, "status": "failed" if fail else "paid"}
    if amount is not None:
        body["amount"] = int(amount)
    with _translate_errors("sandbox_pay"), _TimeoutSession(settings.PORTONE_TIMEOUT) as session:
        response = session.post(f"{settings.PORTONE_API_URL}sandbox/pay", json=body)
        return str(Iamport.get_response(response)["imp_uid"])
