"""The facade's one error choke point: every error leaves as Alpaca's `{"code": int, "message": str}`.

alpaca-py raises `APIError(response.text)`, whose `.code` and `.message` read those two keys, so a DRF
`{"detail", "code"}` body or an HTML page would leave a bot with a KeyError. The services raise
`ApplicationError`s with StocKing's stable codes; this module alone turns them into Alpaca's statuses
and codes (ALPACA.md §3).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from stocking.core.database_unavailable import is_database_unavailable
from stocking.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

BAD_REQUEST = 40010000
DUPLICATE_CLIENT_ORDER_ID = 40010001
UNAUTHORIZED = 40110000
FORBIDDEN = 40310000
NOT_FOUND = 40410000
METHOD_NOT_ALLOWED = 40510000
UNPROCESSABLE = 42210000
RATE_LIMITED = 42910000
INTERNAL = 50010000
UNAVAILABLE = 50310000

# Codes by HTTP status, for errors that carry only a status (and pages Django answers outside DRF).
CODE_BY_STATUS = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    422: UNPROCESSABLE,
    429: RATE_LIMITED,
    500: INTERNAL,
    503: UNAVAILABLE,
}

# StocKing's domain codes that answer something other than 422 here, with Alpaca's wording where
# bots match on it. Every other ApplicationError of a 4xx is an order or input rule: 422 42210000.
APPLICATION_ERRORS = {
    "insufficient_cash": (403, FORBIDDEN, "insufficient buying power"),
    "insufficient_shares": (403, FORBIDDEN, "insufficient qty available for order"),
    "not_found": (404, NOT_FOUND, None),
    # A symbol in a body (an order, a watchlist item) that no stock has is a bad request field, as Alpaca
    # has it; in a path it is a 404, which the view decides.
    "unknown_stock": (422, UNPROCESSABLE, None),
    "order_not_cancellable": (422, UNPROCESSABLE, "order is not cancelable"),
    "order_not_modifiable": (422, UNPROCESSABLE, "order is not replaceable"),
    "database_unavailable": (503, UNAVAILABLE, None),
}


class AlpacaError(Exception):
    """A refusal the facade itself decides (input it cannot translate, a rule of Alpaca's protocol)."""

    def __init__(self, status: int, code: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def bad_request(message: str) -> AlpacaError:
    return AlpacaError(400, BAD_REQUEST, message)


def unprocessable(message: str) -> AlpacaError:
    return AlpacaError(422, UNPROCESSABLE, message)


def not_found(message: str) -> AlpacaError:
    return AlpacaError(404, NOT_FOUND, message)


def duplicate_client_order_id() -> AlpacaError:
    return AlpacaError(422, DUPLICATE_CLIENT_ORDER_ID, "client_order_id must be unique")


def body(code: int, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def _application_error(exc: ApplicationError, order: dict) -> tuple[int, dict]:
    """`order` is what the request was about (symbol, qty, ...), for Alpaca's extra keys."""
    status, code, message = APPLICATION_ERRORS.get(exc.code, (None, None, None))
    if status is None:
        status = 404 if exc.status_code == 404 else 422
        code = NOT_FOUND if status == 404 else UNPROCESSABLE
    extra: dict = {}
    if exc.code == "insufficient_cash":
        extra = {"buying_power": exc.extra.get("available_cash"), "cost_basis": exc.extra.get("required_cash")}
    elif exc.code == "insufficient_shares":
        available = exc.extra.get("available_quantity")
        if "qty" in order and available is not None:
            message = f"{message} (requested: {order['qty']}, available: {available})"
        extra = {"available": available, "symbol": order.get("symbol")}
    extra = {key: value for key, value in extra.items() if value is not None}
    return status, body(code, message or exc.message, **extra)


def error_status_and_body(exc: Exception, order: dict | None = None) -> tuple[int, dict] | None:
    """Alpaca's status and body for a known error; None for an unexpected one."""
    if is_database_unavailable(exc):
        return 503, body(UNAVAILABLE, "database unavailable, retry shortly")
    if isinstance(exc, AlpacaError):
        return exc.status, body(exc.code, exc.message, **exc.extra)
    if isinstance(exc, ApplicationError):
        return _application_error(exc, order or {})
    if isinstance(exc, Http404 | drf.NotFound):
        return 404, body(NOT_FOUND, "not found")
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return 401, body(UNAUTHORIZED, "request is not authorized")
    if isinstance(exc, drf.Throttled):
        return 429, body(RATE_LIMITED, "rate limit exceeded")
    if isinstance(exc, PermissionDenied | drf.PermissionDenied):
        return 403, body(FORBIDDEN, "forbidden")
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, body(METHOD_NOT_ALLOWED, "method not allowed")
    if isinstance(exc, drf.ParseError | drf.UnsupportedMediaType):
        return 400, body(BAD_REQUEST, "request body format is invalid: send a JSON object")
    if isinstance(exc, drf.ValidationError):
        return 422, body(UNPROCESSABLE, "invalid request")
    if isinstance(exc, drf.APIException):
        status = exc.status_code
        return status, body(CODE_BY_STATUS.get(status, status * 100000), str(exc.detail))
    return None


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER for the facade's views (set per view, not in settings)."""
    request = context.get("request")
    known = error_status_and_body(exc, getattr(request, "alpaca_order", None))
    if known is None:
        logger.exception("unexpected error on %s", getattr(request, "path", "?"), exc_info=exc)
        return Response(body(INTERNAL, "internal server error"), status=500)
    status, payload = known
    if status == 503:
        logger.warning("database unavailable, answering 503 to %s: %r", getattr(request, "path", "?"), exc)
    response = Response(payload, status=status)
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait) + 1)
    elif status == 503:
        response["Retry-After"] = "5"
    return response
