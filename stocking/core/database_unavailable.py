"""A lost or unavailable database answers 503 (try again later), never a 500 (our bug).

Every write runs in one transaction, so a request that fails this way wrote nothing: the server
rolls back whatever a lost connection had not committed. (Only a connection lost during the COMMIT
itself leaves the client unsure; an order's client_order_id makes its retry safe.) The API answers
in its error shape; pages get a plain page that needs no database (a styled one would render the
user menu, which reads the session from the database again).
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from rest_framework import status
from rest_framework.response import Response

from stocking.core.db import discard_broken_connections

logger = logging.getLogger(__name__)

CODE = "database_unavailable"
DETAIL = "The database is unavailable; try again shortly."
RETRY_AFTER_SECONDS = "5"

# MySQL/MariaDB error numbers that mean "the server cannot be reached or gave up on us", not "your SQL
# is wrong": a retry later can succeed.
MYSQL_UNAVAILABLE = {
    1040,  # too many connections
    1053,  # server shutdown in progress
    1205,  # lock wait timeout: reaches a view only after atomic_with_retry's attempts are spent
    1213,  # deadlock: likewise
    1927,  # connection killed (MariaDB)
    2002,  # cannot connect through the socket
    2003,  # cannot connect over TCP
    2006,  # server has gone away
    2013,  # lost connection during query
    2055,  # lost connection (system error)
    4031,  # disconnected by the server for inactivity (MariaDB)
}
# SQLite's OperationalError carries no number; these are its "cannot get at the file" messages.
SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")

PAGE = (
    '<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>503 · StocKing</title></head>'
    "<body><h1>잠시 후 다시 시도해 주세요</h1><p>데이터베이스에 연결할 수 없습니다.</p>"
    '<p lang="en">The database is unavailable. Please try again shortly.</p></body></html>'
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True for driver errors that mean the database could not serve the request at all."""
    driver = connection.Database  # the DB-API module; reading it does not connect
    if isinstance(exc, (InterfaceError, driver.InterfaceError)):
        return True  # DB-API: the connection itself is unusable (mysqlclient: "(0, '')" on a closed one)
    # The driver's own class too: Django closes a failed cursor outside its error wrapper, and on a
    # lost connection that close can raise the driver's error in place of the wrapped one.
    if not isinstance(exc, (OperationalError, driver.OperationalError)):
        return False
    code = exc.args[0] if exc.args else None
    if isinstance(code, int):
        return code in MYSQL_UNAVAILABLE
    message = str(exc).lower()
    return any(text in message for text in SQLITE_UNAVAILABLE)


def _log(request, exc: BaseException) -> None:
    path = getattr(request, "path", "?")
    logger.warning("database unavailable, answering 503 to %s: %r", path, exc)


def database_unavailable_response(exc: BaseException | None = None, request=None) -> Response:
    """The API's answer (DRF exception handler): `{"detail", "code": "database_unavailable"}`, 503."""
    if exc is not None:
        _log(request, exc)
    return Response(
        {"detail": DETAIL, "code": CODE},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def unavailable_response_for(request) -> HttpResponse:
    """Outside DRF: JSON under /api/, a plain page elsewhere."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL, "code": CODE}, status=503)
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _note_failure(sender, request=None, **kwargs) -> None:
    # Django sends this while handling an exception that no view code caught (e.g. raised by a
    # middleware reading the session), so the exception is still current here.
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        request.database_unavailable = True


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE. A view's database failure arrives in process_exception; one raised by an
    inner middleware has already become a 500 response by the time it gets here, so a signal marks
    the request and the 500 is replaced on the way out. Before and after every request it drops a
    connection that a failure left in a broken state, so one bad moment cannot poison a thread."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_failure, dispatch_uid="stocking.database_unavailable")

    def __call__(self, request):
        discard_broken_connections()  # left by an earlier request on this thread
        response = self.get_response(request)
        discard_broken_connections()
        if response.status_code == 500 and getattr(request, "database_unavailable", False):
            return unavailable_response_for(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        _log(request, exception)
        return unavailable_response_for(request)
