"""One error hierarchy for the domain, and the DRF handler that gives every API error one shape."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from stocking.core.database_unavailable import database_unavailable_response, is_database_unavailable

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain rule said no. Carries a stable machine code and the HTTP status the API answers with."""

    code = "application_error"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, extra: dict | None = None) -> None:
        self.message = message or self.default_message
        self.extra = extra or {}
        super().__init__(self.message)


class InsufficientFunds(ApplicationError):
    code = "insufficient_cash"
    default_message = "Not enough available cash."


class InsufficientShares(ApplicationError):
    code = "insufficient_shares"
    default_message = "Not enough shares available to sell."


class InvalidTickSize(ApplicationError):
    code = "invalid_tick_size"
    default_message = "The price is not on the tick grid."


class PriceOutOfLimit(ApplicationError):
    code = "price_out_of_limit"
    default_message = "The price is outside today's price limits."


class MarketClosed(ApplicationError):
    code = "market_closed"
    status_code = status.HTTP_409_CONFLICT
    default_message = "The market is closed."


class StockNotTradable(ApplicationError):
    code = "stock_not_tradable"
    status_code = status.HTTP_409_CONFLICT
    default_message = "This stock cannot be traded now."


class OrderNotCancellable(ApplicationError):
    code = "order_not_cancellable"
    status_code = status.HTTP_409_CONFLICT
    default_message = "The order is no longer open."


class OrderNotModifiable(ApplicationError):
    code = "order_not_modifiable"
    status_code = status.HTTP_409_CONFLICT
    default_message = "Only an open limit order can be modified."


class DepositLimitExceeded(ApplicationError):
    code = "deposit_limit_exceeded"
    default_message = "The daily deposit limit would be exceeded."


class InvalidAmount(ApplicationError):
    code = "invalid_amount"
    default_message = "The amount must be a positive whole number of won."


class NotFound(ApplicationError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = "Not found."


class PaymentMismatch(ApplicationError):
    code = "payment_amount_mismatch"
    status_code = status.HTTP_409_CONFLICT
    default_message = "The paid amount does not match the prepared payment."


class PaymentNotPaid(ApplicationError):
    code = "payment_not_paid"
    status_code = status.HTTP_409_CONFLICT
    default_message = "PortOne does not report this payment as paid."


class PaymentNotFound(ApplicationError):
    code = "payment_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = "No such payment."


class PaymentAmountOutOfRange(ApplicationError):
    code = "payment_amount_out_of_range"
    default_message = "The top-up amount is below the minimum or above the maximum."


class PaymentAmountNotOnStep(ApplicationError):
    code = "payment_amount_not_on_step"
    default_message = "The top-up amount must be a multiple of the top-up step."


class PaymentNotRefundable(ApplicationError):
    code = "payment_not_refundable"
    status_code = status.HTTP_409_CONFLICT
    default_message = "This payment cannot be refunded (not credited, or nothing left to refund)."


class PaymentGatewayError(ApplicationError):
    """PortOne answered something we cannot use (bad credentials, malformed reply): retrying will not help
    until an operator looks."""

    code = "payment_gateway_error"
    status_code = status.HTTP_502_BAD_GATEWAY
    default_message = "The payment gateway gave an unusable answer."


class PaymentGatewayUnavailable(ApplicationError):
    """PortOne is down, slow or unreachable: the same request can be retried later."""

    code = "payment_gateway_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = "The payment gateway is unavailable; try again later."


class PaymentGatewayRejected(ApplicationError):
    code = "payment_gateway_rejected"
    status_code = status.HTTP_409_CONFLICT
    default_message = "The payment gateway refused the request."


class PaymentsNotConfigured(PaymentGatewayUnavailable):
    code = "payments_not_configured"
    default_message = "Top-ups are not configured on this server."


def _error_body(detail, code: str) -> dict:
    return {"detail": str(detail), "code": code}


def api_exception_handler(exc, context):
    """Answer every error as `{"detail", "code"}`; validation errors also keep their field map in `errors`."""
    if is_database_unavailable(exc):
        return database_unavailable_response(exc, context.get("request"))
    if isinstance(exc, ApplicationError):
        body = _error_body(exc.message, exc.code)
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unknown errors stay 500 and are logged by Django

    if isinstance(exc, drf_exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        first = _first_message(errors)
        response.data = {"detail": first or "Invalid input.", "code": "invalid", "errors": errors}
        return response

    codes = exc.get_codes() if isinstance(exc, drf_exceptions.APIException) else None
    detail = response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    if isinstance(response.data, dict) and "code" in response.data and isinstance(response.data["code"], str):
        code = response.data["code"]  # simplejwt puts its own code (token_not_valid) here
    body = _error_body(detail, code)
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        body["wait"] = exc.wait
    response.data = body
    return response


def _first_message(errors) -> str:
    """The first human message in a (possibly nested) DRF error structure, prefixed by its field."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field == "non_field_errors" else f"{field}: {message}"
    elif isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
    elif errors:
        return str(errors)
    return ""
