"""Wake-ups for the live stream: after a transaction that wrote order events or a tick record
commits, tell every stream process "something new" through Redis so it polls at once.

The message carries no data: the events always come from the database outbox, so a lost wake-up
(Redis down, a blip) only delays delivery until the stream's next regular poll. Without REDIS_URL
this is a no-op. It lives in stocking.core so trading can call it without importing `stream`.
"""

import logging
import time

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# Never make an order wait on a sick Redis: short timeouts, then leave it alone for a while.
TIMEOUT_SECONDS = 0.25
RETRY_AFTER_SECONDS = 5.0

_client = None
_client_url = ""
_down_until = 0.0


def _redis():
    global _client, _client_url
    if _client is None or _client_url != settings.REDIS_URL:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        _client_url = settings.REDIS_URL
    return _client


def wakeup_publish(kind: str = "stream") -> None:
    """Publish one wake-up now (callers use `wakeup_after_commit`)."""
    global _down_until
    if not settings.REDIS_URL or time.monotonic() < _down_until:
        return
    try:
        _redis().publish(settings.STREAM_WAKEUP_CHANNEL, kind)
    except Exception:  # any Redis failure: the stream's polling still delivers everything
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning("stream wake-up not published (Redis unreachable); retrying in %ss", RETRY_AFTER_SECONDS)


def wakeup_after_commit(kind: str) -> None:
    """Publish a wake-up once the current transaction commits (nothing if it rolls back)."""
    if settings.REDIS_URL:
        transaction.on_commit(lambda: wakeup_publish(kind))
