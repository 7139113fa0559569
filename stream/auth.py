"""Who is on a socket: a page's session cookie (only from an origin we serve pages on) or the
access token of the first message (any origin: a token is not sent by the browser on its own, so
another site cannot ride on it)."""

from http.cookies import CookieError, SimpleCookie
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """A cookie-authenticated socket must come from one of our pages (cross-site WebSocket
    hijacking: a browser sends the cookie to any page's socket). Allowed: the same host name as the
    socket's own Host (pages and stream on one name, another port), a host named in ALLOWED_HOSTS
    (never through its "*" wildcard) or an origin in CSRF_TRUSTED_ORIGINS."""
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wanted = urlsplit(trusted)
        if wanted.scheme == parts.scheme and validate_host(parts.netloc, [wanted.netloc.replace("*", "", 1)]):
            return True
    if host and split_domain_port(host)[0] == parts.hostname.lower():
        return True
    named = [pattern for pattern in settings.ALLOWED_HOSTS if pattern != "*"]
    return validate_host(parts.hostname.lower(), named)


def session_key(scope: dict) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    try:
        cookies = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel else None


def session_user_id(key: str) -> int | None:
    """The logged-in user of a session (sync), verified as Django verifies it for a request."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = get_user(request)
    return user.pk if user.is_authenticated and user.is_active else None
